/**
 * Seeded mutation for the fuzz tests: a deterministic generator and byte-level mutations that tend to break
 * length fields, counters and tables. Shared by the model and package fuzzers.
 */

/** mulberry32: tiny, fast and good enough to spread mutations; deterministic for a given seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values that tend to break length fields, counters and opcode tables. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x2e, 0x28, 0x63, 0x93, 0x95, 0x50, 0x4b];

export function mutate(input: Uint8Array, next: () => number): Uint8Array {
  let bytes: Uint8Array = input.slice();
  const pick = (limit: number): number => Math.floor(next() * limit);
  const rounds = 1 + pick(4);
  for (let round = 0; round < rounds && bytes.length > 0; round++) {
    const at = pick(bytes.length);
    switch (pick(7)) {
      case 0: // flip one bit
        bytes[at] = (bytes[at] ?? 0) ^ (1 << pick(8));
        break;
      case 1: // an interesting byte
        bytes[at] = INTERESTING[pick(INTERESTING.length)] ?? 0;
        break;
      case 2: // a hostile 4- or 8-byte little-endian length
        for (let index = 0; index < (next() < 0.5 ? 4 : 8) && at + index < bytes.length; index++) {
          bytes[at + index] = next() < 0.5 ? 0xff : pick(256);
        }
        break;
      case 3: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 4: {
        // duplicate a run in place
        const length = 1 + pick(Math.min(64, bytes.length - at));
        const copy = new Uint8Array(bytes.length + length);
        copy.set(bytes.subarray(0, at + length));
        copy.set(bytes.subarray(at), at + length);
        bytes = copy;
        break;
      }
      case 5: {
        // delete a run
        const length = 1 + pick(Math.min(64, bytes.length - at));
        const copy = new Uint8Array(bytes.length - length);
        copy.set(bytes.subarray(0, at));
        copy.set(bytes.subarray(at + length), at);
        bytes = copy;
        break;
      }
      default: {
        // insert random bytes
        const length = 1 + pick(16);
        const copy = new Uint8Array(bytes.length + length);
        copy.set(bytes.subarray(0, at));
        for (let index = 0; index < length; index++) copy[at + index] = pick(256);
        copy.set(bytes.subarray(at), at + length);
        bytes = copy;
      }
    }
  }
  return bytes;
}
