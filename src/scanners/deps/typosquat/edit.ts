/** One Damerau-Levenshtein edit that turns a popular name (or a confused form of it) into the candidate. */
export type Edit =
  | { readonly kind: 'substitution'; readonly expected: string; readonly found: string }
  | { readonly kind: 'insertion'; readonly found: string }
  | { readonly kind: 'deletion'; readonly expected: string }
  | { readonly kind: 'transposition'; readonly expected: string; readonly found: string };

/**
 * The single edit from `target` to `candidate`, or undefined when they are equal or further apart. Linear: the
 * strings are compared from both ends, which is all a distance-1 test needs.
 */
export function singleEdit(target: string, candidate: string): Edit | undefined {
  const difference = candidate.length - target.length;
  if (Math.abs(difference) > 1 || target === candidate) return undefined;
  let start = 0;
  while (start < target.length && start < candidate.length && target[start] === candidate[start]) start += 1;
  let targetEnd = target.length;
  let candidateEnd = candidate.length;
  while (targetEnd > start && candidateEnd > start && target[targetEnd - 1] === candidate[candidateEnd - 1]) {
    targetEnd -= 1;
    candidateEnd -= 1;
  }
  const expected = target.slice(start, targetEnd);
  const found = candidate.slice(start, candidateEnd);
  if (difference === 1 && expected === '' && found.length === 1) return { kind: 'insertion', found };
  if (difference === -1 && found === '' && expected.length === 1) return { kind: 'deletion', expected };
  if (difference !== 0) return undefined;
  if (expected.length === 1) return { kind: 'substitution', expected, found };
  if (expected.length === 2 && expected[0] === found[1] && expected[1] === found[0])
    return { kind: 'transposition', expected, found };
  return undefined;
}

/** `1 transposition (\`qe\` for \`eq\`)`, for evidence. */
export function describeEdit(edit: Edit): string {
  switch (edit.kind) {
    case 'substitution':
      return `1 substitution (\`${edit.found}\` for \`${edit.expected}\`)`;
    case 'insertion':
      return `1 inserted character (\`${edit.found}\`)`;
    case 'deletion':
      return `1 missing character (\`${edit.expected}\`)`;
    case 'transposition':
      return `1 transposition (\`${edit.found}\` for \`${edit.expected}\`)`;
  }
}
