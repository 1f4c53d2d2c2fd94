import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ByteSource, RandomAccess } from './source.js';

/*
 * File reads are synchronous on purpose. Scans run on worker threads (or in a CLI with nothing else to do), so
 * blocking costs nothing, while every asynchronous fs call is a round trip through libuv's thread pool: on a
 * folder of ten thousand small pickles those round trips, not the parsing, were most of the time.
 */

const CHUNK_BYTES = 1024 * 1024;

/** Reads into `buffer` at `offset` until `length` bytes or the end of the file; returns the count read. */
export function readFully(
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number,
): number {
  let filled = 0;
  while (filled < length) {
    const bytesRead = readSync(fd, buffer, offset + filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** A forward reader over a byte range of an open file; `skip` is a seek. */
class FileRangeSource implements ByteSource {
  readonly description: string;
  readonly size: number;
  private readonly fd: number;
  private readonly start: number;
  private consumed = 0;
  private buffer: Buffer | undefined;

  constructor(fd: number, start: number, length: number, description: string) {
    this.fd = fd;
    this.start = start;
    this.size = length;
    this.description = description;
  }

  get position(): number {
    return this.consumed;
  }

  read(max: number): Promise<Uint8Array> {
    const wanted = Math.min(max, this.size - this.consumed, CHUNK_BYTES * 16);
    if (wanted <= 0) return Promise.resolve(new Uint8Array(0));
    if (this.buffer === undefined || this.buffer.length < wanted) {
      this.buffer = Buffer.allocUnsafe(Math.max(wanted, Math.min(CHUNK_BYTES, this.size - this.consumed)));
    }
    const bytesRead = readFully(this.fd, this.buffer, 0, wanted, this.start + this.consumed);
    this.consumed += bytesRead;
    return Promise.resolve(this.buffer.subarray(0, bytesRead));
  }

  skip(count: number): Promise<number> {
    const skipped = Math.max(0, Math.min(count, this.size - this.consumed));
    this.consumed += skipped;
    return Promise.resolve(skipped);
  }

  close(): Promise<void> {
    // The descriptor belongs to the enclosing FileAccess.
    return Promise.resolve();
  }
}

/** Random access to one file on disk. */
export class FileAccess implements RandomAccess {
  readonly description: string;
  readonly size: number;
  private readonly fd: number;

  private constructor(fd: number, size: number, description: string) {
    this.fd = fd;
    this.size = size;
    this.description = description;
  }

  static open(path: string, description = path): Promise<FileAccess> {
    const fd = openSync(path, 'r');
    try {
      return Promise.resolve(new FileAccess(fd, fstatSync(fd).size, description));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  readAt(offset: number, length: number): Promise<Uint8Array> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    const buffer = Buffer.allocUnsafe(wanted);
    return Promise.resolve(buffer.subarray(0, readFully(this.fd, buffer, 0, wanted, offset)));
  }

  stream(offset: number, length: number, description: string): ByteSource {
    const clamped = Math.max(0, Math.min(length, this.size - offset));
    return new FileRangeSource(this.fd, offset, clamped, description);
  }

  close(): Promise<void> {
    closeSync(this.fd);
    return Promise.resolve();
  }
}
