import type { BufferedReader } from './reader.js';
import type { ByteSource } from './source.js';

/**
 * The rest of a {@link BufferedReader}'s data as a {@link ByteSource}: first what its window already holds,
 * then its source. Lets a layer that sniffed the head through the reader hand the same bytes to a decoder
 * (decompressor, tar parser) without reading them twice. `position` counts from where the reader stood.
 */
export class ReaderSource implements ByteSource {
  readonly description: string;
  readonly size: number | undefined;
  private readonly reader: BufferedReader;
  private readonly start: number;

  constructor(reader: BufferedReader, size?: number) {
    this.reader = reader;
    this.description = reader.description;
    this.start = reader.offset;
    this.size = size === undefined ? undefined : Math.max(0, size - reader.offset);
  }

  get position(): number {
    return this.reader.offset - this.start;
  }

  async read(max: number): Promise<Uint8Array> {
    if (max <= 0 || !(await this.reader.ensure(1))) return new Uint8Array(0);
    const reader = this.reader;
    const count = Math.min(max, reader.limit - reader.cursor);
    const chunk = reader.buffer.subarray(reader.cursor, reader.cursor + count);
    reader.cursor += count;
    return chunk;
  }

  skip(count: number): Promise<number> {
    return this.reader.skip(count);
  }

  close(): Promise<void> {
    // The reader's source belongs to whoever created the reader.
    return Promise.resolve();
  }
}
