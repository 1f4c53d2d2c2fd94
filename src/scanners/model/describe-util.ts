/** Small helpers the format handlers share when they describe a model (ML-BOM facts, `inspect` sections). */

/** Longest attacker-controlled value kept in a property or a section line. */
export const MAX_SHOWN_CHARS = 200;

/** `text` cut to `max` characters, with the number of characters left out. */
export function clip(text: string, max = MAX_SHOWN_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** Number of elements of a tensor of this shape (1 for a scalar). */
export function elementCount(shape: readonly (number | bigint)[]): bigint {
  return shape.reduce<bigint>((count, dimension) => count * BigInt(dimension), 1n);
}

/** A parameter total as a JavaScript number (exact up to 2^53, which no real model approaches). */
export function parameterTotal(shapes: Iterable<readonly (number | bigint)[]>): number {
  let total = 0n;
  for (const shape of shapes) total += elementCount(shape);
  return Number(total);
}
