/**
 * Little-endian integer arguments of pickle opcodes. Each is a few operations over `bytes`, so V8 inlines them
 * into the decoder's hot loop; callers make sure the bytes are in the window.
 */

/** The signed 32-bit integer at `at` (BININT, and the lengths of BINSTRING and LONG4). */
export function i32le(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)
  );
}

/** The unsigned 32-bit integer at `at`. */
export function u32le(bytes: Uint8Array, at: number): number {
  return i32le(bytes, at) >>> 0;
}

/** The unsigned 64-bit length at `at`, or -1 when it is 2^53 or more (no JS number holds it exactly). */
export function u64le(bytes: Uint8Array, at: number): number {
  const high = u32le(bytes, at + 4);
  return high < 0x200000 ? high * 0x100000000 + u32le(bytes, at) : -1;
}
