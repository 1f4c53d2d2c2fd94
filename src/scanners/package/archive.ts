import { LimitError, ParseError } from '../../core/errors.js';
import type { Limits } from '../../core/limits.js';
import { DecompressionBudget, RATIO_GRACE_BYTES, decompress, type Codec } from '../../targets/decompress.js';
import { FileAccess } from '../../targets/file.js';
import { bufferSource } from '../../targets/memory.js';
import type { ByteSource } from '../../targets/source.js';
import { TarReader, type TarHeader } from '../../targets/tar.js';
import { openZipEntry } from '../../targets/zip-entry.js';
import { isZipSymlink, readLocalHeader, readZipDirectory, type ZipEntry } from '../../targets/zip.js';
import {
  MEMBER_HEAD_BYTES,
  type MemberType,
  type PackageArchive,
  type PackageKind,
  type PackageMember,
  type TextMember,
} from './model.js';

/**
 * Text files larger than this are not read: no real module, metadata file or `.pth` comes near it, and reading
 * it would let one member hold the scan's memory. Such a member makes the package unscannable (fail closed).
 */
export const MAX_TEXT_MEMBER_BYTES = 8 * 1024 * 1024;

/** Called with each Python module's text while the archive streams by; the text is dropped afterwards. */
export type ModuleVisitor = (member: PackageMember, text: string) => Promise<void>;

/** Called with the data of each model file (pickles, checkpoints, NumPy arrays…) instead of reading its head. */
export type ModelVisitor = (member: PackageMember, data: ByteSource) => Promise<void>;

interface ReadOptions {
  readonly limits: Limits;
  readonly checkDeadline: () => void;
  readonly onModule: ModuleVisitor;
  /** Model files are handed over whole, so that the model scanner reads what loading them would run. */
  readonly model?: { readonly claims: (path: string) => boolean; readonly visit: ModelVisitor };
}

const PYTHON_MODULE = /\.pyw?$/;

/** Files the install-time and metadata checks read, by their path inside the package. */
function isKeptPath(path: string, kind: PackageKind): boolean {
  if (path.endsWith('.pth')) return true;
  if (kind === 'sdist') {
    return (
      /^(setup\.py|setup\.cfg|pyproject\.toml|PKG-INFO)$/.test(path) ||
      /^[^/]+\.egg-info\/PKG-INFO$/.test(path)
    );
  }
  return /^[^/]+\.dist-info\/(METADATA|RECORD|WHEEL|entry_points\.txt)$/.test(path);
}

// The BOM is kept, as `.pth` reading tells Python versions apart by it; modules get it stripped.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const latin1 = new TextDecoder('latin1');

/** Python reads sources as UTF-8 unless a coding cookie says otherwise; Latin-1 keeps every byte of the rest. */
function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

function tooLargeText(name: string, size: number): LimitError {
  return new LimitError(
    'FILE_SIZE',
    `${name}: ${size} bytes or more, over the ${MAX_TEXT_MEMBER_BYTES} a source or metadata file may have`,
  );
}

/** The first `max` bytes of a source (fewer only at its end): a member's magic number, or a link's target. */
async function readHead(source: ByteSource, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < max) {
    const chunk = await source.read(max - total);
    if (chunk.length === 0) break;
    chunks.push(chunk.slice());
    total += chunk.length;
  }
  return Buffer.concat(chunks, total);
}

/**
 * The sdist's top folder is the first segment of the first member; later members outside it keep their full
 * name as their path, and make the archive's root ''.
 */
class RootTracker {
  private candidate: string | undefined;
  private shared = true;

  pathOf(name: string): string {
    const clean = name.replace(/^\.\//, '');
    if (this.candidate === undefined) {
      const slash = clean.indexOf('/');
      this.candidate = slash > 0 ? clean.slice(0, slash + 1) : '';
    }
    if (this.candidate !== '' && clean.startsWith(this.candidate)) return clean.slice(this.candidate.length);
    if (clean !== this.candidate.slice(0, -1)) this.shared = false;
    return clean;
  }

  get root(): string {
    return this.shared ? (this.candidate ?? '') : '';
  }
}

class ArchiveCollector {
  readonly members: PackageMember[] = [];
  readonly kept = new Map<string, TextMember>();
  private readonly options: ReadOptions;
  private readonly kind: PackageKind;
  private readonly roots = new RootTracker();

  constructor(kind: PackageKind, options: ReadOptions) {
    this.kind = kind;
    this.options = options;
  }

  /** A member's path inside the project: sdists lose their top folder, wheels have none. */
  pathOf(name: string): string {
    return this.kind === 'sdist' ? this.roots.pathOf(name) : name;
  }

  add(member: PackageMember): void {
    if (this.members.length >= this.options.limits.maxArchiveMembers) {
      throw new LimitError(
        'MEMBER_COUNT',
        `archive lists more than ${this.options.limits.maxArchiveMembers} members`,
      );
    }
    this.members.push(member);
  }

  /** Whether the member's text is read: Python modules and the files the later checks need. */
  wantsText(path: string): boolean {
    return PYTHON_MODULE.test(path) || isKeptPath(path, this.kind);
  }

  /** Reads a file member's head (and text when wanted) from its data, then records it. */
  async addFile(base: Omit<PackageMember, 'head'>, data: ByteSource): Promise<void> {
    this.options.checkDeadline();
    const wantsText = this.wantsText(base.path);
    const model = this.options.model;
    if (!wantsText && model?.claims(base.path) === true) {
      const member: PackageMember = { ...base, head: new Uint8Array() };
      this.add(member);
      await model.visit(member, data);
      return;
    }
    if (wantsText && base.size > MAX_TEXT_MEMBER_BYTES) throw tooLargeText(base.name, base.size);
    // A declared size can lie (tar's is checked against the data, a zip member's is not): the read is bounded too.
    const bytes = wantsText
      ? await bufferSource(data, MAX_TEXT_MEMBER_BYTES, (size) => tooLargeText(base.name, size))
      : await readHead(data, MEMBER_HEAD_BYTES);
    const member: PackageMember = { ...base, head: bytes.slice(0, MEMBER_HEAD_BYTES) };
    this.add(member);
    if (!wantsText) return;
    const text = decodeText(bytes);
    if (isKeptPath(base.path, this.kind)) this.kept.set(base.path, { member, text });
    if (PYTHON_MODULE.test(base.path)) await this.options.onModule(member, text.replace(/^\ufeff/, ''));
  }

  finish(fileName: string): PackageArchive {
    return {
      kind: this.kind,
      fileName,
      root: this.kind === 'sdist' ? this.roots.root : '',
      members: this.members,
      kept: this.kept,
    };
  }
}

const UNIX_TYPE_MASK = 0o170000;
const UNIX_DIRECTORY = 0o040000;

function zipMemberType(entry: ZipEntry): MemberType {
  if (isZipSymlink(entry)) return 'symlink';
  const unixType = (entry.externalAttributes >>> 16) & UNIX_TYPE_MASK;
  if (entry.name.endsWith('/') || unixType === UNIX_DIRECTORY) return 'directory';
  return 'file';
}

/**
 * Entries whose declared sizes make a decompression bomb are refused before anything is inflated: an installer
 * would write them out in full even though the scan only needs their first bytes.
 */
function checkDeclaredSizes(entries: readonly ZipEntry[], limits: Limits): void {
  let total = 0;
  for (const entry of entries) {
    total += entry.uncompressedSize;
    if (total > limits.maxDecompressedBytes) {
      throw new LimitError(
        'DECOMPRESSED_SIZE',
        `members declare more than ${limits.maxDecompressedBytes} bytes once extracted (at ${entry.name})`,
      );
    }
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (entry.uncompressedSize > RATIO_GRACE_BYTES && ratio > limits.maxCompressionRatio) {
      throw new LimitError(
        'COMPRESSION_RATIO',
        `${entry.name} expands ${Math.round(ratio)}-fold (${entry.compressedSize} → ${entry.uncompressedSize} bytes)`,
      );
    }
  }
}

async function readZipPackage(
  absolutePath: string,
  collector: ArchiveCollector,
  limits: Limits,
): Promise<void> {
  const access = await FileAccess.open(absolutePath);
  try {
    const directory = await readZipDirectory(access, limits.maxArchiveMembers);
    if (directory === undefined) throw new ParseError('BAD_STRUCTURE', 'not a zip archive: no end record');
    if (directory.truncated) {
      throw new LimitError('MEMBER_COUNT', `archive lists more than ${limits.maxArchiveMembers} members`);
    }
    checkDeclaredSizes(directory.entries, limits);
    const budget = new DecompressionBudget(limits.maxDecompressedBytes);
    for (const entry of directory.entries) {
      const type = zipMemberType(entry);
      const mode = (entry.externalAttributes >>> 16) & 0o7777;
      const base = {
        name: entry.name,
        path: collector.pathOf(entry.name),
        type,
        size: entry.uncompressedSize,
        ...(mode !== 0 && { mode }),
      };
      if (type !== 'file' && type !== 'symlink') {
        collector.add({ ...base, head: new Uint8Array() });
        continue;
      }
      const local = await readLocalHeader(access, entry);
      const data = await openZipEntry(
        access,
        entry,
        local,
        {
          maxDecompressedBytes: limits.maxDecompressedBytes,
          maxCompressionRatio: limits.maxCompressionRatio,
          budget,
        },
        entry.name,
      );
      try {
        if (type === 'symlink') {
          // `unzip` restores such a member as a link whose target is the member's data.
          const target = decodeText(await readHead(data, 4096));
          collector.add({ ...base, linkTarget: target, head: new Uint8Array() });
        } else {
          await collector.addFile(base, data);
        }
      } finally {
        await data.close();
      }
    }
  } finally {
    await access.close();
  }
}

/** The compression around a tar stream, from its magic bytes. */
function tarCodec(head: Uint8Array): Codec | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bz2';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) return 'xz';
  return undefined;
}

function tarMemberType(type: string): MemberType {
  switch (type) {
    case 'Directory':
      return 'directory';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      return 'hardlink';
    case 'CharacterDevice':
    case 'BlockDevice':
    case 'FIFO':
      return 'other';
    default:
      return 'file';
  }
}

async function readTarPackage(
  absolutePath: string,
  label: string,
  collector: ArchiveCollector,
  limits: Limits,
): Promise<void> {
  const access = await FileAccess.open(absolutePath, label);
  try {
    const codec = tarCodec(await access.readAt(0, 8));
    const raw = access.stream(0, access.size, label);
    const source =
      codec === undefined
        ? raw
        : decompress(
            codec,
            raw,
            {
              maxDecompressedBytes: limits.maxDecompressedBytes,
              maxCompressionRatio: limits.maxCompressionRatio,
            },
            label,
          );
    const headers: TarHeader[] = [];
    const tar = new TarReader(source, label, (header) => {
      if (tarMemberType(header.type) !== 'file') headers.push(header);
    });
    const recordDataless = (): void => {
      for (const header of headers.splice(0)) {
        collector.add({
          name: header.name,
          path: collector.pathOf(header.name),
          type: tarMemberType(header.type),
          size: header.size,
          ...(header.linkpath !== undefined && header.linkpath !== '' && { linkTarget: header.linkpath }),
          ...(header.mode !== undefined && { mode: header.mode & 0o7777 }),
          head: new Uint8Array(),
        });
      }
    };
    try {
      for (;;) {
        const member = await tar.next();
        recordDataless();
        if (member === undefined) break;
        try {
          await collector.addFile(
            { name: member.name, path: collector.pathOf(member.name), type: 'file', size: member.size },
            member.source,
          );
        } finally {
          await member.source.close();
        }
      }
    } finally {
      tar.close();
      await source.close();
    }
    if (tar.problems.length > 0) {
      throw new ParseError('BAD_STRUCTURE', `tar archive read with problems: ${tar.problems.join('; ')}`);
    }
  } finally {
    await access.close();
  }
}

/**
 * Reads a wheel or sdist without extracting anything: every member's header, the first bytes of every file,
 * and the text of Python modules (handed to `onModule` as they stream by) and of the files the install-time and
 * metadata checks need. Throws `ParseError`/`LimitError` when the archive cannot be read to the end or passes a
 * limit (member count, declared or actual decompressed size, compression ratio, a text member over 8 MiB).
 */
export async function readPackageArchive(
  absolutePath: string,
  fileName: string,
  kind: PackageKind,
  options: ReadOptions,
): Promise<PackageArchive> {
  const collector = new ArchiveCollector(kind, options);
  if (/\.(whl|zip|egg)$/i.test(fileName)) await readZipPackage(absolutePath, collector, options.limits);
  else await readTarPackage(absolutePath, fileName, collector, options.limits);
  return collector.finish(fileName);
}
