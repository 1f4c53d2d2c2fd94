/**
 * Where bytes come from. A scanner reads a {@link ByteSource} front to back; it never needs the whole input in
 * memory, and `skip` lets it pass over tensor payloads without reading them (file-backed sources seek).
 */
export interface ByteSource {
  /** Human-readable description for messages, e.g. `archive/data.pkl (deflate)`. */
  readonly description: string;
  /** Bytes consumed so far (read or skipped): the offset reported in findings. */
  readonly position: number;
  /** Total length when known up front (plain files, stored or sized members); undefined for streams. */
  readonly size: number | undefined;
  /**
   * Returns the next bytes, at most `max` of them and at least one unless the data has ended (then an empty
   * array). The returned array may be reused by the next call: copy what you keep.
   */
  read(max: number): Promise<Uint8Array>;
  /** Advances by `count` bytes without returning them. Returns how many were skipped (fewer only at the end). */
  skip(count: number): Promise<number>;
  close(): Promise<void>;
}

/** Random access over a fixed-size range, for formats indexed from the end (zip central directory). */
export interface RandomAccess {
  readonly description: string;
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`, fewer only past the end. */
  readAt(offset: number, length: number): Promise<Uint8Array>;
  /** A forward stream over `[offset, offset + length)`. */
  stream(offset: number, length: number, description: string): ByteSource;
  close(): Promise<void>;
}
