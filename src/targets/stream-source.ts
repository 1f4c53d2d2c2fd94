import type { ByteSource } from './source.js';

export interface IterableSourceOptions {
  readonly size?: number;
  /** Sees every chunk as it arrives, before it is served; throws to stop the stream (limits). */
  readonly onChunk?: (chunk: Uint8Array) => void;
  /** Turns an error of the producer into the error the scanner reports. */
  readonly mapError?: (error: unknown, position: number) => Error;
}

/**
 * Pulls chunks from an async iterable (a Node stream: a decompressor's output, a tar entry) and serves them as
 * a {@link ByteSource}. Nothing is read ahead beyond the current chunk, so stream back-pressure bounds memory.
 */
export class IterableSource implements ByteSource {
  readonly description: string;
  readonly size: number | undefined;
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly options: IterableSourceOptions;
  private pending: Uint8Array = new Uint8Array(0);
  private consumed = 0;
  private ended = false;

  constructor(chunks: AsyncIterable<Uint8Array>, description: string, options: IterableSourceOptions = {}) {
    this.iterator = chunks[Symbol.asyncIterator]();
    this.description = description;
    this.size = options.size;
    this.options = options;
  }

  get position(): number {
    return this.consumed;
  }

  private async fill(): Promise<boolean> {
    while (this.pending.length === 0) {
      if (this.ended) return false;
      let next: IteratorResult<Uint8Array>;
      try {
        next = await this.iterator.next();
      } catch (error) {
        this.ended = true;
        throw this.options.mapError === undefined ? error : this.options.mapError(error, this.consumed);
      }
      if (next.done === true) {
        this.ended = true;
        return false;
      }
      try {
        this.options.onChunk?.(next.value);
      } catch (error) {
        // A limit was reached: stop the producer now, whatever the caller does next.
        await this.close();
        throw error;
      }
      this.pending = next.value;
    }
    return true;
  }

  async read(max: number): Promise<Uint8Array> {
    if (max <= 0 || !(await this.fill())) return new Uint8Array(0);
    const chunk = this.pending.subarray(0, max);
    this.pending = this.pending.subarray(chunk.length);
    this.consumed += chunk.length;
    return chunk;
  }

  async skip(count: number): Promise<number> {
    let skipped = 0;
    while (skipped < count && (await this.fill())) {
      const step = Math.min(count - skipped, this.pending.length);
      this.pending = this.pending.subarray(step);
      skipped += step;
      this.consumed += step;
    }
    return skipped;
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    // Ends the producer (destroys a Node stream) so that nothing keeps working in the background.
    await this.iterator.return?.();
  }
}
