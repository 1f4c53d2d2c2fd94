import { open, type FileHandle } from 'node:fs/promises';
import type { ByteSource, RandomAccess } from './source.js';

const CHUNK_BYTES = 1024 * 1024;

/** A forward reader over a byte range of an open file handle; `skip` is a seek. */
class FileRangeSource implements ByteSource {
  readonly description: string;
  readonly size: number;
  private readonly handle: FileHandle;
  private readonly start: number;
  private consumed = 0;
  private buffer: Buffer | undefined;

  constructor(handle: FileHandle, start: number, length: number, description: string) {
    this.handle = handle;
    this.start = start;
    this.size = length;
    this.description = description;
  }

  get position(): number {
    return this.consumed;
  }

  async read(max: number): Promise<Uint8Array> {
    const wanted = Math.min(max, this.size - this.consumed, CHUNK_BYTES * 16);
    if (wanted <= 0) return new Uint8Array(0);
    if (this.buffer === undefined || this.buffer.length < wanted) {
      this.buffer = Buffer.allocUnsafe(Math.max(wanted, CHUNK_BYTES));
    }
    const { bytesRead } = await this.handle.read(this.buffer, 0, wanted, this.start + this.consumed);
    this.consumed += bytesRead;
    return this.buffer.subarray(0, bytesRead);
  }

  skip(count: number): Promise<number> {
    const skipped = Math.max(0, Math.min(count, this.size - this.consumed));
    this.consumed += skipped;
    return Promise.resolve(skipped);
  }

  close(): Promise<void> {
    // The handle belongs to the enclosing FileAccess.
    return Promise.resolve();
  }
}

/** Random access to one file on disk. */
export class FileAccess implements RandomAccess {
  readonly description: string;
  readonly size: number;
  private readonly handle: FileHandle;

  private constructor(handle: FileHandle, size: number, description: string) {
    this.handle = handle;
    this.size = size;
    this.description = description;
  }

  static async open(path: string, description = path): Promise<FileAccess> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      return new FileAccess(handle, size, description);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async readAt(offset: number, length: number): Promise<Uint8Array> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    const buffer = Buffer.allocUnsafe(wanted);
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await this.handle.read(buffer, filled, wanted - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  }

  stream(offset: number, length: number, description: string): ByteSource {
    const clamped = Math.max(0, Math.min(length, this.size - offset));
    return new FileRangeSource(this.handle, offset, clamped, description);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
