import type { ByteSource } from '../../../targets/source.js';

/** A {@link ByteSource} over bytes already in memory (nested pickles, tests, the alternative FRAME reading). */
export class BytesSource implements ByteSource {
  readonly description: string;
  readonly size: number;
  private consumed = 0;

  constructor(
    private readonly bytes: Uint8Array,
    description = 'memory',
  ) {
    this.description = description;
    this.size = bytes.length;
  }

  get position(): number {
    return this.consumed;
  }

  read(max: number): Promise<Uint8Array> {
    const end = Math.min(this.bytes.length, this.consumed + max);
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
