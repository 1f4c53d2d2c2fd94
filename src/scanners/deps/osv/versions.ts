import { compare, parse, valid } from '@renovatebot/pep440';

/*
 * PEP 440 ordering through @renovatebot/pep440, whose ordering matched Python's `packaging` on the tricky cases
 * (notes §4); its specifier matching is not used. Matching never compares a pin with every event: the index
 * sorts each package's event versions once ({@link sortDistinct}) and a pin is placed among them by binary search
 * ({@link positionOf}), so an audit costs a few comparisons per package.
 */

export function isValidVersion(version: string): boolean {
  return valid(version) !== null;
}

/** Negative, zero or positive as `a` sorts before, equal to or after `b`; both must be valid. */
export function compareVersions(a: string, b: string): number {
  return compare(a, b);
}

/**
 * A string equal for PEP 440-equal versions (`1.0`, `1.0.0`, `v1.0`; `1.0+Local` and `1.0+local`): the parsed
 * parts with trailing release zeros dropped. Invalid versions stay as written and only equal themselves.
 */
export function equalityKey(version: string): string {
  const parsed = parse(version);
  if (parsed === null) return `=${version}`;
  const release = [...parsed.release];
  while (release.length > 1 && release.at(-1) === 0) release.pop();
  return JSON.stringify([parsed.epoch, release, parsed.pre, parsed.post, parsed.dev, parsed.local]);
}

/** Valid versions sorted in PEP 440 order, with equal ones (`1.0`, `1.0.0`) kept once. */
export function sortDistinct(versions: Iterable<string>): string[] {
  const sorted = [...new Set(versions)].sort(compare);
  return sorted.filter(
    (version, index) => index === 0 || compare(sorted[index - 1] as string, version) !== 0,
  );
}

/**
 * Where a valid version falls among `order` (sorted, distinct): `2i` when it equals `order[i]`, `2i - 1` when it
 * lies between `order[i - 1]` and `order[i]` (so -1 below all, `2n - 1` above all). Comparing positions compares
 * versions: an event at `order[r]` sits at `2r`.
 */
export function positionOf(order: readonly string[], version: string): number {
  let low = 0;
  let high = order.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const sign = compare(order[middle] as string, version);
    if (sign === 0) return 2 * middle;
    if (sign < 0) low = middle + 1;
    else high = middle;
  }
  return 2 * low - 1;
}
