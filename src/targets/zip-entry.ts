import { ParseError } from '../core/errors.js';
import { decompress, type DecompressLimits } from './decompress.js';
import type { ByteSource, RandomAccess } from './source.js';
import { METHOD_DEFLATED, METHOD_STORED, type LocalHeader, type ZipEntry } from './zip.js';

const METHOD_BZIP2 = 12;
const METHOD_LZMA = 14;
/** Methods mlsec decodes: miniz (torch) reads the first two, Python's zipfile (numpy, joblib users) all four. */
export const READABLE_METHODS: ReadonlySet<number> = new Set([
  METHOD_STORED,
  METHOD_DEFLATED,
  METHOD_BZIP2,
  METHOD_LZMA,
]);

const LZMA_EOS_FLAG = 0x2;

/** Serves `prefix` and then the bytes of `rest`. */
class PrefixedSource implements ByteSource {
  readonly description: string;
  readonly size = undefined;
  private prefix: Uint8Array;
  private readonly rest: ByteSource;
  private consumed = 0;

  constructor(prefix: Uint8Array, rest: ByteSource) {
    this.prefix = prefix;
    this.rest = rest;
    this.description = rest.description;
  }

  get position(): number {
    return this.consumed;
  }

  async read(max: number): Promise<Uint8Array> {
    if (this.prefix.length === 0) {
      const chunk = await this.rest.read(max);
      this.consumed += chunk.length;
      return chunk;
    }
    const chunk = this.prefix.subarray(0, max);
    this.prefix = this.prefix.subarray(chunk.length);
    this.consumed += chunk.length;
    return chunk;
  }

  async skip(count: number): Promise<number> {
    const fromPrefix = Math.min(count, this.prefix.length);
    this.prefix = this.prefix.subarray(fromPrefix);
    const skipped = fromPrefix + (count > fromPrefix ? await this.rest.skip(count - fromPrefix) : 0);
    this.consumed += skipped;
    return skipped;
  }

  close(): Promise<void> {
    return this.rest.close();
  }
}

/**
 * A zip LZMA member (method 14) is a 4-byte version/size header, 5 bytes of LZMA properties and a raw LZMA
 * stream. Rewritten as the `.lzma` "alone" format (properties, then the 8-byte size or -1 when the stream ends
 * with an end marker), liblzma's alone decoder reads it.
 */
async function lzmaAsAlone(raw: ByteSource, entry: ZipEntry, description: string): Promise<ByteSource> {
  const header = new Uint8Array(9);
  let filled = 0;
  while (filled < header.length) {
    const chunk = await raw.read(header.length - filled);
    if (chunk.length === 0) throw new ParseError('TRUNCATED', `${description}: LZMA header cut short`);
    header.set(chunk, filled);
    filled += chunk.length;
  }
  const alone = new Uint8Array(13);
  alone.set(header.subarray(4, 9), 0);
  const size = (entry.flags & LZMA_EOS_FLAG) !== 0 ? 0xffffffffffffffffn : BigInt(entry.uncompressedSize);
  new DataView(alone.buffer).setBigUint64(5, size, true);
  return new PrefixedSource(alone, raw);
}

/**
 * The member's data as a loader reads it: sizes and method from the central directory (as miniz does), the
 * data start from the local header. Stored members are a plain range of the input, so `skip` seeks; compressed
 * members decompress as a stream under the decompression limits. Other methods throw `ParseError('UNSUPPORTED')`.
 */
export async function openZipEntry(
  access: RandomAccess,
  entry: ZipEntry,
  local: LocalHeader,
  limits: DecompressLimits,
  description: string,
): Promise<ByteSource> {
  if (!READABLE_METHODS.has(entry.method)) {
    throw new ParseError(
      'UNSUPPORTED',
      `${description}: compression method ${entry.method} is not supported`,
    );
  }
  if (local.dataOffset + entry.compressedSize > access.size) {
    throw new ParseError(
      'TRUNCATED',
      `${description}: member data runs past the end of the archive`,
      local.dataOffset,
    );
  }
  const raw = access.stream(local.dataOffset, entry.compressedSize, description);
  switch (entry.method) {
    case METHOD_DEFLATED:
      return decompress('deflate-raw', raw, limits, `${description} (deflate)`);
    case METHOD_BZIP2:
      return decompress('bz2', raw, limits, `${description} (bzip2)`);
    case METHOD_LZMA:
      return decompress('lzma', await lzmaAsAlone(raw, entry, description), limits, `${description} (lzma)`);
    default:
      return raw;
  }
}

/** Random access to a stored member's bytes (a zip or npy stored inside a zip needs no buffering). */
export function storedRange(
  entry: ZipEntry,
  local: LocalHeader,
): { offset: number; length: number } | undefined {
  return entry.method === METHOD_STORED
    ? { offset: local.dataOffset, length: entry.compressedSize }
    : undefined;
}
