import type { ByteSource } from './source.js';

const DEFAULT_WINDOW = 1024 * 1024;
/** Enough for any fixed-size opcode argument, so hot loops rarely need to grow the window. */
const MIN_WINDOW = 64;

/**
 * A forward, buffered reader over a {@link ByteSource}, built for byte-at-a-time decoders.
 *
 * Hot loops read `buffer[cursor]` directly while `cursor + n <= limit`, and call `ensure(n)` only when the window
 * runs short. Several decoders may share one reader in sequence (e.g. the pickles of a legacy PyTorch file, then
 * its raw storages): each continues exactly where the previous one stopped.
 */
export class BufferedReader {
  /** Current window. Valid bytes are `buffer[cursor .. limit)`. */
  buffer: Uint8Array;
  cursor = 0;
  limit = 0;
  /** Stream offset of `buffer[0]`. */
  private base = 0;
  private ended = false;
  private readonly source: ByteSource;

  constructor(source: ByteSource, windowBytes = DEFAULT_WINDOW) {
    this.source = source;
    // Small inputs get a small window: a scan of thousands of small files must not allocate a megabyte each.
    const size = source.size;
    this.buffer = new Uint8Array(
      size === undefined ? windowBytes : Math.max(MIN_WINDOW, Math.min(windowBytes, size)),
    );
  }

  get description(): string {
    return this.source.description;
  }

  /** Stream offset of the next unread byte. */
  get offset(): number {
    return this.base + this.cursor;
  }

  get available(): number {
    return this.limit - this.cursor;
  }

  /**
   * Makes at least `count` bytes available at `cursor`, unless the data ends first. Returns whether they are
   * available. Grows the window when `count` exceeds it, so callers must bound `count` themselves.
   */
  async ensure(count: number): Promise<boolean> {
    if (this.limit - this.cursor >= count) return true;
    if (this.cursor > 0) {
      this.buffer.copyWithin(0, this.cursor, this.limit);
      this.base += this.cursor;
      this.limit -= this.cursor;
      this.cursor = 0;
    }
    if (count > this.buffer.length) {
      const grown = new Uint8Array(Math.max(count, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.limit));
      this.buffer = grown;
    }
    while (this.limit < count && !this.ended) {
      const chunk = await this.source.read(this.buffer.length - this.limit);
      if (chunk.length === 0) {
        this.ended = true;
        break;
      }
      this.buffer.set(chunk, this.limit);
      this.limit += chunk.length;
    }
    return this.limit - this.cursor >= count;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.ensure(1));
  }

  /** Skips `count` bytes: first from the window, then by skipping in the source (a seek for files). */
  async skip(count: number): Promise<number> {
    const fromWindow = Math.min(count, this.limit - this.cursor);
    this.cursor += fromWindow;
    let remaining = count - fromWindow;
    if (remaining > 0 && !this.ended) {
      // The window is empty now; restart it at the source's position after the skip.
      this.base += this.limit;
      this.cursor = 0;
      this.limit = 0;
      const skipped = await this.source.skip(remaining);
      this.base += skipped;
      remaining -= skipped;
      if (remaining > 0) this.ended = true;
    }
    return count - remaining;
  }

  /**
   * The next `count` bytes as a view into the window, without copying or awaiting, when the window already holds
   * them; undefined otherwise (then use {@link take}). The view is only valid until the next call on the reader:
   * for small fields decoded at once (lengths, numbers), which are most of a header.
   */
  takeBuffered(count: number): Uint8Array | undefined {
    if (this.limit - this.cursor < count) return undefined;
    const view = this.buffer.subarray(this.cursor, this.cursor + count);
    this.cursor += count;
    return view;
  }

  /** Returns a copy of the next `count` bytes (fewer at the end of data) and advances past them. */
  async take(count: number): Promise<Uint8Array> {
    await this.ensure(count);
    const end = Math.min(this.cursor + count, this.limit);
    const bytes = this.buffer.slice(this.cursor, end);
    this.cursor = end;
    return bytes;
  }
}
