/**
 * Every scanned file gets exactly one verdict. The order is the escalation order: a file that could not be fully
 * read ranks above one with only suspicious content, because the unread part may hide anything (fail closed);
 * a positively identified dangerous callable outranks everything.
 */
export const VERDICTS = ['clean', 'suspicious', 'unscannable', 'malicious'] as const;
export type Verdict = (typeof VERDICTS)[number];

export function worseVerdict(a: Verdict, b: Verdict): Verdict {
  return VERDICTS.indexOf(a) >= VERDICTS.indexOf(b) ? a : b;
}
