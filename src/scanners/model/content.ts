import type { ScanContext } from '../../core/scanner.js';
import { MemoryAccess, bufferSource } from '../../targets/memory.js';
import { BufferedReader } from '../../targets/reader.js';
import { ReaderSource } from '../../targets/reader-source.js';
import type { ByteSource, RandomAccess } from '../../targets/source.js';

/**
 * One piece of content to classify and scan: the file itself, an archive member, a decompressed stream or bytes
 * a pickle would load as another model. Findings inside it carry {@link member}.
 */
export interface Content {
  /** Location inside the file: members outermost first joined with `!`; undefined for the file itself. */
  readonly member: string | undefined;
  /** File or member name, only to decide whether unrecognised content was meant to be a model. */
  readonly name: string;
  /** Containers (archives and compression layers) entered to reach this content. */
  readonly depth: number;
  /** Forward reader positioned at the content's first byte. */
  readonly reader: BufferedReader;
  /** The same bytes with random access, when available without buffering (files, stored members). */
  readonly access: RandomAccess | undefined;
  readonly size: number | undefined;
  /** Pickles directly inside a TorchScript archive, whose class globals the TorchScript loader resolves. */
  readonly torchScript?: boolean;
}

/** Window for nested content: members are many and usually small; readers grow the window on demand. */
const MEMBER_WINDOW_BYTES = 64 * 1024;
/**
 * Largest nested archive buffered in memory when it is only reachable as a stream (a zip inside a gzip or a
 * tar). Larger ones are reported unscannable (SCAN-002) rather than risking memory exhaustion.
 */
const MAX_BUFFERED_ARCHIVE_BYTES = 256 * 1024 * 1024;

export function joinMember(parent: string | undefined, name: string): string {
  return parent === undefined ? name : `${parent}!${name}`;
}

export function contentFromAccess(
  access: RandomAccess,
  member: string | undefined,
  name: string,
  depth: number,
  windowBytes = MEMBER_WINDOW_BYTES,
): Content {
  const reader = new BufferedReader(access.stream(0, access.size, access.description), windowBytes);
  return { member, name, depth, reader, access, size: access.size };
}

export function contentFromSource(
  source: ByteSource,
  member: string | undefined,
  name: string,
  depth: number,
): Content {
  return {
    member,
    name,
    depth,
    reader: new BufferedReader(source, MEMBER_WINDOW_BYTES),
    access: undefined,
    size: source.size,
  };
}

export function contentFromBytes(
  bytes: Uint8Array,
  member: string | undefined,
  name: string,
  depth: number,
): Content {
  return contentFromAccess(new MemoryAccess(bytes, member ?? name), member, name, depth);
}

/** Random access to the content from where its reader stands, buffering a stream into memory up to a bound. */
export async function randomAccessOf(content: Content, context: ScanContext): Promise<RandomAccess> {
  if (content.access !== undefined) return content.access;
  const bound = Math.min(MAX_BUFFERED_ARCHIVE_BYTES, context.settings.limits.maxDecompressedBytes);
  const bytes = await bufferSource(new ReaderSource(content.reader), bound);
  return new MemoryAccess(bytes, content.member ?? content.name);
}

/** The first bytes of the content, without consuming them. */
export async function peekHead(content: Content, count: number): Promise<Uint8Array> {
  await content.reader.ensure(count);
  const reader = content.reader;
  return reader.buffer.slice(reader.cursor, Math.min(reader.limit, reader.cursor + count));
}
