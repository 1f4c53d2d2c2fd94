import { LimitError } from '../core/errors.js';
import type { ByteSource, RandomAccess } from './source.js';

/** A forward source over bytes already in memory (nested pickles, buffered archive members). */
export class MemorySource implements ByteSource {
  readonly description: string;
  private readonly bytes: Uint8Array;
  private consumed = 0;

  constructor(bytes: Uint8Array, description: string) {
    this.bytes = bytes;
    this.description = description;
  }

  get position(): number {
    return this.consumed;
  }

  get size(): number {
    return this.bytes.length;
  }

  read(max: number): Promise<Uint8Array> {
    const end = Math.min(this.bytes.length, this.consumed + Math.max(0, max));
    const chunk = this.bytes.subarray(this.consumed, end);
    this.consumed = end;
    return Promise.resolve(chunk);
  }

  skip(count: number): Promise<number> {
    const skipped = Math.max(0, Math.min(count, this.bytes.length - this.consumed));
    this.consumed += skipped;
    return Promise.resolve(skipped);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Random access over bytes in memory. */
export class MemoryAccess implements RandomAccess {
  readonly description: string;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array, description: string) {
    this.bytes = bytes;
    this.description = description;
  }

  get size(): number {
    return this.bytes.length;
  }

  readAt(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.max(0, Math.min(offset, this.bytes.length));
    return Promise.resolve(
      this.bytes.subarray(start, Math.min(this.bytes.length, start + Math.max(0, length))),
    );
  }

  stream(offset: number, length: number, description: string): ByteSource {
    const start = Math.max(0, Math.min(offset, this.bytes.length));
    const end = Math.min(this.bytes.length, start + Math.max(0, length));
    return new MemorySource(this.bytes.subarray(start, end), description);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Random access over `[offset, offset + length)` of another random-access input (a stored zip member). */
export class RangeAccess implements RandomAccess {
  readonly description: string;
  readonly size: number;
  private readonly parent: RandomAccess;
  private readonly start: number;

  constructor(parent: RandomAccess, offset: number, length: number, description: string) {
    this.parent = parent;
    this.start = Math.max(0, Math.min(offset, parent.size));
    this.size = Math.max(0, Math.min(length, parent.size - this.start));
    this.description = description;
  }

  readAt(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.max(0, Math.min(offset, this.size));
    return this.parent.readAt(this.start + start, Math.min(Math.max(0, length), this.size - start));
  }

  stream(offset: number, length: number, description: string): ByteSource {
    const start = Math.max(0, Math.min(offset, this.size));
    return this.parent.stream(
      this.start + start,
      Math.min(Math.max(0, length), this.size - start),
      description,
    );
  }

  close(): Promise<void> {
    // The parent owns the underlying handle.
    return Promise.resolve();
  }
}

/**
 * Reads a whole stream into memory, for formats that need random access (a zip inside a gzip or a tar entry).
 * Refuses past `maxBytes` so a large nested archive is reported as not scanned instead of exhausting memory;
 * `tooLarge` makes the error for callers that buffer something else (a by-name text member).
 */
export async function bufferSource(
  source: ByteSource,
  maxBytes: number,
  tooLarge: (size: number) => Error = () =>
    new LimitError(
      'DECOMPRESSED_SIZE',
      `${source.description}: a nested archive larger than ${maxBytes} bytes inside a stream is not buffered`,
      source.position,
    ),
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = await source.read(1024 * 1024);
    if (chunk.length === 0) break;
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(total);
    chunks.push(chunk.slice());
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
