import { ParseError } from '../core/errors.js';
import { BufferedReader } from './reader.js';
import type { RandomAccess } from './source.js';

/**
 * A tolerant zip reader in the manner of the loaders, not of `zipfile`: the central directory is the truth
 * (as for PyTorch's miniz reader), CRC and flag bits are reported, never enforced, and an archive with bytes
 * before it (a polyglot) is located the way Python's `zipfile` does. yauzl was not used: it aborts the whole
 * archive on flag bit 0x40 and on bytes after the end record, both of which PyTorch loads.
 */

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_EOCD_BYTES = 56;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
const MAX_COMMENT_BYTES = 0xffff;

const FLAG_ENCRYPTED = 0x1;
const FLAG_DATA_DESCRIPTOR = 0x8;
const FLAG_PATCHED = 0x20;
const FLAG_STRONG_ENCRYPTION = 0x40;
/** Bits that make `zipfile` refuse or decrypt a member while PyTorch reads it as plain data. */
export const SECURITY_FLAGS = FLAG_ENCRYPTED | FLAG_PATCHED | FLAG_STRONG_ENCRYPTION;
export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;

export interface ZipEntry {
  readonly index: number;
  readonly name: string;
  readonly rawName: Uint8Array;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Absolute offset of the local header in the random-access input (the archive's base included). */
  readonly localHeaderOffset: number;
  /** "External attributes": on Unix-made archives the high 16 bits are the file mode (`unzip` restores symlinks). */
  readonly externalAttributes: number;
}

const UNIX_FILE_TYPE_MASK = 0o170000;
const UNIX_SYMLINK = 0o120000;

/** A member `unzip` extracts as a symbolic link: its data is the link target. Python's zipfile writes a file. */
export function isZipSymlink(entry: ZipEntry): boolean {
  return ((entry.externalAttributes >>> 16) & UNIX_FILE_TYPE_MASK) === UNIX_SYMLINK;
}

export interface ZipDirectory {
  readonly entries: readonly ZipEntry[];
  /** Bytes before the archive proper, as Python's zipfile computes them; 0 for an ordinary zip. */
  readonly base: number;
  /** Entry count the end record declares, which may disagree with the entries listed. */
  readonly declaredEntries: number;
  /** True when more entries exist than `maxEntries` allowed reading. */
  readonly truncated: boolean;
}

/**
 * The name in the local header at the very start of `head` (the first bytes of a file), or undefined when the
 * file does not start with one. Enough to tell what kind of zip a file is without reading its directory.
 */
export function firstLocalName(head: Uint8Array): string | undefined {
  if (head.length < LOCAL_BYTES) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  if (view.getUint32(0, true) !== LOCAL_SIGNATURE) return undefined;
  const nameLength = view.getUint16(26, true);
  return latin1.decode(head.subarray(LOCAL_BYTES, LOCAL_BYTES + nameLength));
}

export interface LocalHeader {
  readonly rawName: Uint8Array;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Absolute offset of the member's data. */
  readonly dataOffset: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function decodeName(raw: Uint8Array): string {
  try {
    return utf8.decode(raw);
  } catch {
    return latin1.decode(raw);
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(data: DataView, offset: number): number {
  const value = data.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ParseError('INVALID_LENGTH', 'zip64 field larger than 2^53', offset);
  }
  return Number(value);
}

/** Finds the end-of-central-directory record as miniz and zipfile do: the last signature in the tail. */
async function findEndRecord(access: RandomAccess): Promise<number | undefined> {
  const tailLength = Math.min(access.size, EOCD_BYTES + MAX_COMMENT_BYTES);
  const tailStart = access.size - tailLength;
  const tail = await access.readAt(tailStart, tailLength);
  const data = view(tail);
  for (let at = tail.length - EOCD_BYTES; at >= 0; at -= 1) {
    if (data.getUint32(at, true) === EOCD_SIGNATURE) return tailStart + at;
  }
  return undefined;
}

interface EndRecord {
  readonly entries: number;
  readonly directorySize: number;
  readonly directoryOffset: number;
  /** Where the central directory ends: the zip64 end record, or the classic one. */
  readonly directoryEnd: number;
}

async function readEndRecord(access: RandomAccess, at: number): Promise<EndRecord> {
  const data = view(await access.readAt(at, EOCD_BYTES));
  const classic: EndRecord = {
    entries: data.getUint16(10, true),
    directorySize: data.getUint32(12, true),
    directoryOffset: data.getUint32(16, true),
    directoryEnd: at,
  };
  if (at < ZIP64_LOCATOR_BYTES) return classic;
  const locator = view(await access.readAt(at - ZIP64_LOCATOR_BYTES, ZIP64_LOCATOR_BYTES));
  if (locator.getUint32(0, true) !== ZIP64_LOCATOR_SIGNATURE) return classic;
  // Python looks for the zip64 record just before the locator rather than where the locator points, which keeps
  // prefixed (polyglot) archives readable; a record with extensible data is found where the locator points.
  let recordAt = at - ZIP64_LOCATOR_BYTES - ZIP64_EOCD_BYTES;
  let record = view(await access.readAt(Math.max(0, recordAt), ZIP64_EOCD_BYTES));
  if (
    recordAt < 0 ||
    record.byteLength < ZIP64_EOCD_BYTES ||
    record.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE
  ) {
    recordAt = u64(locator, 8);
    record = view(await access.readAt(recordAt, ZIP64_EOCD_BYTES));
    if (record.byteLength < ZIP64_EOCD_BYTES || record.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) {
      throw new ParseError('BAD_STRUCTURE', 'zip64 end record not found', at);
    }
  }
  return {
    entries: u64(record, 32),
    directorySize: u64(record, 40),
    directoryOffset: u64(record, 48),
    directoryEnd: recordAt,
  };
}

/** Applies the zip64 extended-information extra field to the central fields that overflowed. */
function applyZip64(
  extra: Uint8Array,
  sizes: { uncompressed: number; compressed: number; offset: number },
): { uncompressed: number; compressed: number; offset: number } {
  const data = view(extra);
  for (let at = 0; at + 4 <= extra.length;) {
    const id = data.getUint16(at, true);
    const length = data.getUint16(at + 2, true);
    if (id === 0x0001) {
      let field = at + 4;
      const end = Math.min(extra.length, field + length);
      const next = (): number => {
        if (field + 8 > end) throw new ParseError('INVALID_LENGTH', 'zip64 extra field too short');
        const value = u64(data, field);
        field += 8;
        return value;
      };
      const uncompressed = sizes.uncompressed === 0xffffffff ? next() : sizes.uncompressed;
      const compressed = sizes.compressed === 0xffffffff ? next() : sizes.compressed;
      const offset = sizes.offset === 0xffffffff ? next() : sizes.offset;
      return { uncompressed, compressed, offset };
    }
    at += 4 + length;
  }
  return sizes;
}

/**
 * Reads the central directory. Returns undefined when the input has no end record (it is not a zip at all);
 * throws `ParseError` when it has one but the directory is malformed.
 */
export async function readZipDirectory(
  access: RandomAccess,
  maxEntries: number,
): Promise<ZipDirectory | undefined> {
  const endAt = await findEndRecord(access);
  if (endAt === undefined) return undefined;
  const end = await readEndRecord(access, endAt);
  const base = end.directoryEnd - end.directorySize - end.directoryOffset;
  if (base < 0) {
    throw new ParseError('BAD_STRUCTURE', 'central directory lies outside the file', end.directoryEnd);
  }
  const directoryStart = base + end.directoryOffset;
  const reader = new BufferedReader(
    access.stream(directoryStart, end.directorySize, 'zip central directory'),
    64 * 1024,
  );
  const entries: ZipEntry[] = [];
  let truncated = false;
  // Like zipfile, list entries until the directory's bytes are used up; the declared count is compared later.
  while (!(await reader.atEnd())) {
    if (entries.length >= maxEntries) {
      truncated = true;
      break;
    }
    const at = directoryStart + reader.offset;
    if (!(await reader.ensure(CENTRAL_BYTES)))
      throw new ParseError('TRUNCATED', 'central directory entry cut short', at);
    const header = view(reader.buffer.subarray(reader.cursor, reader.cursor + CENTRAL_BYTES));
    if (header.getUint32(0, true) !== CENTRAL_SIGNATURE) {
      throw new ParseError('BAD_STRUCTURE', 'bad central directory entry signature', at);
    }
    const nameLength = header.getUint16(28, true);
    const extraLength = header.getUint16(30, true);
    const commentLength = header.getUint16(32, true);
    const fixed = {
      flags: header.getUint16(8, true),
      method: header.getUint16(10, true),
      crc32: header.getUint32(16, true),
      compressed: header.getUint32(20, true),
      uncompressed: header.getUint32(24, true),
      offset: header.getUint32(42, true),
      externalAttributes: header.getUint32(38, true),
    };
    reader.cursor += CENTRAL_BYTES;
    const rawName = await reader.take(nameLength);
    const extra = await reader.take(extraLength);
    await reader.skip(commentLength);
    if (rawName.length !== nameLength || extra.length !== extraLength) {
      throw new ParseError('TRUNCATED', 'central directory entry cut short', at);
    }
    const sizes = applyZip64(extra, fixed);
    entries.push({
      index: entries.length,
      name: decodeName(rawName),
      rawName,
      flags: fixed.flags,
      method: fixed.method,
      crc32: fixed.crc32,
      compressedSize: sizes.compressed,
      uncompressedSize: sizes.uncompressed,
      localHeaderOffset: base + sizes.offset,
      externalAttributes: fixed.externalAttributes,
    });
  }
  return { entries, base, declaredEntries: end.entries, truncated };
}

/** Reads the local header the central entry points to; the member's data follows it. */
export async function readLocalHeader(access: RandomAccess, entry: ZipEntry): Promise<LocalHeader> {
  const fixed = await access.readAt(entry.localHeaderOffset, LOCAL_BYTES);
  if (fixed.length < LOCAL_BYTES)
    throw new ParseError('TRUNCATED', 'local header cut short', entry.localHeaderOffset);
  const data = view(fixed);
  if (data.getUint32(0, true) !== LOCAL_SIGNATURE) {
    throw new ParseError(
      'BAD_STRUCTURE',
      'no local header where the central directory points',
      entry.localHeaderOffset,
    );
  }
  const nameLength = data.getUint16(26, true);
  const extraLength = data.getUint16(28, true);
  const rawName = await access.readAt(entry.localHeaderOffset + LOCAL_BYTES, nameLength);
  return {
    rawName,
    flags: data.getUint16(6, true),
    method: data.getUint16(8, true),
    crc32: data.getUint32(14, true),
    compressedSize: data.getUint32(18, true),
    uncompressedSize: data.getUint32(22, true),
    dataOffset: entry.localHeaderOffset + LOCAL_BYTES + nameLength + extraLength,
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/** Ways the local header disagrees with the central directory, as short descriptions (empty when consistent). */
export function localHeaderMismatches(entry: ZipEntry, local: LocalHeader): string[] {
  const mismatches: string[] = [];
  if (!sameBytes(entry.rawName, local.rawName)) {
    mismatches.push(`local header names '${decodeName(local.rawName)}'`);
  }
  if (entry.method !== local.method)
    mismatches.push(`local method ${local.method} vs central ${entry.method}`);
  // Only the bits that change how the data is read; writers legitimately differ on the others (0x8, 0x800).
  if ((entry.flags & SECURITY_FLAGS) !== (local.flags & SECURITY_FLAGS)) {
    mismatches.push(`local flags 0x${local.flags.toString(16)} vs central 0x${entry.flags.toString(16)}`);
  }
  // With a data descriptor the local CRC and sizes are legitimately zero; zip64 locals carry 0xffffffff.
  const checkable = (local.flags & FLAG_DATA_DESCRIPTOR) === 0 && local.compressedSize !== 0xffffffff;
  if (checkable && local.crc32 !== entry.crc32) mismatches.push('local CRC-32 differs from central');
  if (
    checkable &&
    (local.compressedSize !== entry.compressedSize || local.uncompressedSize !== entry.uncompressedSize)
  ) {
    mismatches.push('local sizes differ from central');
  }
  return mismatches;
}
