import { Parser, type ReadEntry } from 'tar';
import { MlsecError, ParseError, messageOf } from '../core/errors.js';
import type { ByteSource, RandomAccess } from './source.js';
import { IterableSource } from './stream-source.js';

/** One member of a tar archive. Its `source` must be read or closed before asking for the next member. */
export interface TarMember {
  readonly name: string;
  /** node-tar's type name: `File`, `ContiguousFile`, `GNUDumpDir`, … */
  readonly type: string;
  readonly size: number;
  readonly source: ByteSource;
}

/** Every header of the archive, data-less ones (links, folders) included, as written in the archive. */
export interface TarHeader {
  readonly name: string;
  readonly type: string;
  /** Target of a `SymbolicLink` or hard `Link`. */
  readonly linkpath: string | undefined;
  /** Permission bits, when the header has them. */
  readonly mode: number | undefined;
  /** Declared data size. */
  readonly size: number;
}

const INPUT_CHUNK_BYTES = 64 * 1024;
/**
 * node-tar types for which Python's tarfile reads no data blocks (`TarInfo._proc_builtin` skips data only for
 * regular and unknown types) and `extractfile` returns no file of their own. Every other type node-tar hands out
 * (regular files, GNU dump directories `D`, which tarfile does not know and so reads as files) is a file member.
 */
const DATALESS_TYPES: ReadonlySet<string> = new Set([
  'Directory',
  'Link',
  'SymbolicLink',
  'CharacterDevice',
  'BlockDevice',
  'FIFO',
]);

/**
 * Pull-style reading of a tar stream with node-tar's `Parser`. The parser is push-based: a pump writes the
 * input into it and waits for `drain`, which the parser emits once the current member has been consumed, so at
 * most one input chunk is held at a time. Anything node-tar only warns about (bad checksums it skips over,
 * truncation) and every header the two parsers read differently (members of unknown type, which node-tar drops
 * but Python's tarfile reads as files; data declared by a link, device, FIFO or directory, which node-tar skips
 * but tarfile reads as the next header; an extended header too large for node-tar) is collected in
 * {@link problems}: tarfile and node-tar may disagree about such an archive, so the caller reports it unreadable.
 */
export class TarReader {
  /** Problems seen so far, as messages; non-empty means the archive was not read the way a loader reads it. */
  readonly problems: string[] = [];
  private readonly parser: Parser;
  private readonly source: ByteSource;
  private readonly description: string;
  private readonly queue: ReadEntry[] = [];
  private current: ReadEntry | undefined;
  private finished = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private stop: () => void = () => undefined;
  /** Settles when reading must stop, so that a pump waiting for `drain` does not wait forever. */
  private readonly stopped = new Promise<void>((resolve) => {
    this.stop = resolve;
  });

  /** `onHeader` sees every header in order, before its member (if it has data) is returned by {@link next}. */
  constructor(source: ByteSource, description: string, onHeader?: (header: TarHeader) => void) {
    this.source = source;
    this.description = description;
    this.parser = new Parser({ strict: false });
    this.parser.on('entry', (entry: ReadEntry) => {
      onHeader?.({
        name: entry.path,
        type: entry.type,
        linkpath: entry.linkpath,
        mode: entry.mode,
        size: entry.size,
      });
      // startBlockSize is what node-tar skips as data; tarfile skips nothing for these types.
      if (DATALESS_TYPES.has(entry.type) && entry.startBlockSize > 0) {
        this.problems.push(
          `${entry.type} '${entry.path}' declares ${entry.size} bytes of data, which node-tar skips and Python's tarfile reads as the next header`,
        );
      }
      this.queue.push(entry);
      this.notify();
    });
    this.parser.on('ignoredEntry', (entry: ReadEntry) => {
      if (entry.meta) {
        // Only extended headers above node-tar's size bound are ignored; tarfile applies them to the next member.
        this.problems.push(
          `extended header of ${entry.size} bytes is too large for node-tar and was not applied`,
        );
      } else if (entry.size > 0) {
        this.problems.push(`member '${entry.path}' has unsupported type '${entry.type}' and was not read`);
      }
    });
    this.parser.on('warn', (code: string, message: string) => {
      this.problems.push(`${code}: ${message}`);
    });
    this.parser.on('error', (error: Error) => {
      this.fail(error);
    });
    this.parser.on('end', () => {
      this.finished = true;
      this.notify();
    });
    void this.pump();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private asError(error: unknown): Error {
    if (error instanceof MlsecError) return error;
    return new ParseError('BAD_STRUCTURE', `${this.description}: ${messageOf(error)}`);
  }

  private fail(error: unknown): void {
    this.failure ??= this.asError(error);
    this.stop();
    // A member being read would otherwise wait for data that never comes.
    this.current?.destroy(this.failure);
    this.notify();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const chunk = await this.source.read(INPUT_CHUNK_BYTES);
        if (chunk.length === 0) break;
        // Copy: the source may reuse its buffer, and the parser keeps partial blocks.
        if (!this.parser.write(Buffer.from(chunk))) {
          await Promise.race([
            new Promise<void>((resolve) => this.parser.once('drain', resolve)),
            this.stopped,
          ]);
        }
        if (this.failure !== undefined) return;
      }
      this.parser.end();
    } catch (error) {
      this.fail(error);
    }
  }

  /** The next member that holds data Python's tarfile would read as a file, or undefined at the end. */
  async next(): Promise<TarMember | undefined> {
    if (this.current !== undefined) {
      // Let the parser discard whatever the caller left unread of the previous member.
      this.current.resume();
      this.current = undefined;
    }
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const entry = this.queue.shift();
      if (entry !== undefined) {
        if (DATALESS_TYPES.has(entry.type)) {
          entry.resume();
          continue;
        }
        this.current = entry;
        return {
          name: entry.path,
          type: entry.type,
          size: entry.size,
          source: new IterableSource(
            entry as AsyncIterable<Uint8Array>,
            `${this.description}!${entry.path}`,
            {
              size: entry.size,
              mapError: (error) => this.failure ?? this.asError(error),
            },
          ),
        };
      }
      if (this.finished) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** Stops reading; the rest of the input is abandoned. */
  close(): void {
    this.failure ??= new ParseError('BAD_STRUCTURE', `${this.description}: closed`);
    this.stop();
    this.current?.resume();
    this.parser.removeAllListeners();
  }
}

const BLOCK_BYTES = 512;
const SIZE_FIELD_OFFSET = 124;
const SIZE_FIELD_BYTES = 12;

/** A header's size field: octal digits, or base-256 (GNU) when the first byte has its high bit set. */
function headerSize(header: Uint8Array): number | undefined {
  const field = header.subarray(SIZE_FIELD_OFFSET, SIZE_FIELD_OFFSET + SIZE_FIELD_BYTES);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = 0;
    for (const [index, byte] of field.entries()) value = value * 256 + (index === 0 ? byte & 0x7f : byte);
    return Number.isSafeInteger(value) ? value : undefined;
  }
  const digits = new TextDecoder('latin1')
    .decode(field)
    .replace(/[\0 ]+$/, '')
    .trim();
  return /^[0-7]+$/.test(digits) ? parseInt(digits, 8) : undefined;
}

/**
 * Whether `offset` is where the data of one of the tar's members starts, found by walking the headers from the
 * start (each header is followed by its data rounded up to 512-byte blocks). A zip stored as a tar member is
 * found there by zip tools that search the file's tail, but it is a member, not a second view of the file.
 */
export async function isTarMemberData(access: RandomAccess, offset: number): Promise<boolean> {
  for (let at = 0; at + BLOCK_BYTES <= access.size && at < offset;) {
    const header = await access.readAt(at, BLOCK_BYTES);
    if (header.length < BLOCK_BYTES || header.every((byte) => byte === 0)) return false;
    const size = headerSize(header);
    if (size === undefined) return false;
    const dataStart = at + BLOCK_BYTES;
    if (dataStart === offset) return size > 0;
    at = dataStart + Math.ceil(size / BLOCK_BYTES) * BLOCK_BYTES;
  }
  return false;
}
