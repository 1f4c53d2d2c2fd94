/**
 * A symmetric-delete index: each key string is stored under the hash of itself and of every one-character
 * deletion of it, so that two strings within Damerau-Levenshtein distance 1 share a hash. Hashes (32-bit
 * polynomial, computed for all deletions in one pass without building the strings) are packed with the entry id
 * into one sorted `Float64Array`: half a million entries build in tens of milliseconds, where a `Map` of strings
 * takes most of a second. Hash collisions only add candidates, which the caller verifies.
 */
const BASE = 0x01000193;
/** Ids are the low 21 bits of each packed value; keys the upper 32 (53 bits in all: exact in a double). */
const ID_BITS = 2 ** 21;
const MAX_ENTRIES = ID_BITS;

export class DeletionIndex {
  private readonly packed: Float64Array;

  /** `keys[id]` is indexed under `id`. */
  constructor(keys: readonly string[]) {
    if (keys.length > MAX_ENTRIES) throw new RangeError(`a deletion index holds at most ${MAX_ENTRIES} keys`);
    const values: number[] = [];
    keys.forEach((key, id) => {
      for (const hash of deletionHashes(key)) values.push(hash * ID_BITS + id);
    });
    this.packed = Float64Array.from(values).sort();
  }

  /** Ids of the keys that may be within one edit of `text` (a superset: verify each). */
  candidates(text: string): Set<number> {
    const ids = new Set<number>();
    for (const hash of deletionHashes(text)) {
      const low = hash * ID_BITS;
      for (let at = this.lowerBound(low); at < this.packed.length; at += 1) {
        const value = this.packed[at] ?? Infinity;
        if (value >= low + ID_BITS) break;
        ids.add(value - low);
      }
    }
    return ids;
  }

  private lowerBound(value: number): number {
    let low = 0;
    let high = this.packed.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.packed[middle] ?? Infinity) < value) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** The hash of `text` and of each one-character deletion of it, deduplicated. */
function deletionHashes(text: string): Set<number> {
  const length = text.length;
  // suffix[k] = hash of text[k..], as if it were the tail of a longer string: sum text[j] * BASE^(length-1-j).
  const suffix = new Uint32Array(length + 1);
  const power = new Uint32Array(length + 1);
  power[0] = 1;
  for (let index = 1; index <= length; index += 1) power[index] = Math.imul(power[index - 1] ?? 0, BASE);
  for (let index = length - 1; index >= 0; index -= 1) {
    suffix[index] =
      ((suffix[index + 1] ?? 0) + Math.imul(text.charCodeAt(index), power[length - 1 - index] ?? 0)) >>> 0;
  }
  const hashes = new Set<number>([suffix[0] ?? 0]);
  // Deleting character i shifts the prefix down one power: prefix(i) / BASE is not computable mod 2^32, so the
  // prefix is accumulated directly in the shorter string's powers instead.
  let prefix = 0;
  for (let index = 0; index < length; index += 1) {
    hashes.add((prefix + (suffix[index + 1] ?? 0)) >>> 0);
    prefix = (prefix + Math.imul(text.charCodeAt(index), power[length - 2 - index] ?? 0)) >>> 0;
  }
  return hashes;
}
