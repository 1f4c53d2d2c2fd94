import { crc32 } from 'node:zlib';
import type { ByteSource } from './source.js';

/**
 * Skips up to this many bytes by reading them, so that the CRC of a member the scanner reads almost entirely
 * (a pickle with a few skipped blobs) can still be checked. Longer skips seek and give up on the check.
 */
const HASHED_SKIP_BYTES = 64 * 1024 * 1024;

/** Passes a source through while computing the CRC-32 of everything read from it (zip member checks). */
export class Crc32Source implements ByteSource {
  private readonly inner: ByteSource;
  private crc = 0;
  private hashedAll = true;
  private skipBudget = HASHED_SKIP_BYTES;
  private reachedEnd = false;

  constructor(inner: ByteSource) {
    this.inner = inner;
  }

  get description(): string {
    return this.inner.description;
  }

  get position(): number {
    return this.inner.position;
  }

  get size(): number | undefined {
    return this.inner.size;
  }

  /** The CRC-32 of the bytes seen so far, or undefined when some were skipped without being read. */
  get value(): number | undefined {
    return this.hashedAll ? this.crc : undefined;
  }

  /** True once a read found the end of the data. */
  get ended(): boolean {
    return this.reachedEnd;
  }

  async read(max: number): Promise<Uint8Array> {
    const chunk = await this.inner.read(max);
    if (chunk.length > 0) this.crc = crc32(chunk, this.crc);
    else if (max > 0) this.reachedEnd = true;
    return chunk;
  }

  async skip(count: number): Promise<number> {
    if (!this.hashedAll || count > this.skipBudget) {
      this.hashedAll = false;
      return this.inner.skip(count);
    }
    this.skipBudget -= count;
    let skipped = 0;
    while (skipped < count) {
      const chunk = await this.read(Math.min(count - skipped, 1024 * 1024));
      if (chunk.length === 0) break;
      skipped += chunk.length;
    }
    return skipped;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
