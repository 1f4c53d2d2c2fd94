/** Resource limits applied to every file. Reaching one makes the file `unscannable`, never clean. */
export interface Limits {
  /** Files larger than this are not opened. Tensor payloads are skipped, not read, so this can be large. */
  readonly maxFileBytes: number;
  /**
   * Bytes all decompressed streams of one file may produce together: compression layers (gzip/bz2/xz),
   * deflated zip members, and the same inside nested archives. Stored members are read, not decompressed.
   */
  readonly maxDecompressedBytes: number;
  /** Output:input ratio above which a decompressed stream is treated as a bomb (checked past 1 MiB of output). */
  readonly maxCompressionRatio: number;
  /** Containers inside containers (zip in tar in gzip …). */
  readonly maxNestingDepth: number;
  /** Members one archive may list. */
  readonly maxArchiveMembers: number;
  /** Values plus marks on the pickle machine's stack. */
  readonly maxStackDepth: number;
  /** Entries in one pickle's memo. */
  readonly maxMemoEntries: number;
  /** Opcodes in one pickle stream. */
  readonly maxOpcodes: number;
  /** Wall-clock time for one file, including everything inside it. */
  readonly timeoutMs: number;
}

const GiB = 1024 ** 3;

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 256 * GiB,
  maxDecompressedBytes: 8 * GiB,
  maxCompressionRatio: 1000,
  maxNestingDepth: 5,
  maxArchiveMembers: 200_000,
  maxStackDepth: 200_000,
  maxMemoEntries: 50_000_000,
  maxOpcodes: 2_000_000_000,
  timeoutMs: 120_000,
};
