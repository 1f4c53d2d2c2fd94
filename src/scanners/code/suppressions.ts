import type { Suppression } from '../../core/finding.js';
import type { Rule } from '../../core/rule.js';

const NOSEC = /#\s*nosec\b:?([^#]*)/i;
const BANDIT_ID = /\bB\d{3}\b/g;
const NOQA = /#\s*noqa\b(?::\s*([A-Z]+\d+(?:[\s,]+[A-Z]+\d+)*))?/i;
const MLSEC_IGNORE = /#\s*mlsec:\s*ignore\[([^\]]*)\]([^#]*)/i;

/**
 * Reads a suppression comment on a finding's line the way each tool would:
 * - bandit: `# nosec` suppresses everything, `# nosec B301,B614` the rules mapped to those tests;
 * - ruff: `# noqa` everything, `# noqa: S301` the rules mapped to those codes;
 * - mlsec: `# mlsec: ignore[PY-DES-001, PY-MDL-001] reason`.
 */
export function inlineSuppression(comment: string | undefined, rule: Rule): Suppression | undefined {
  if (comment === undefined) return undefined;
  const own = MLSEC_IGNORE.exec(comment);
  if (own !== null) {
    const ids = (own[1] ?? '').split(',').map((id) => id.trim());
    const reason = (own[2] ?? '').trim();
    if (ids.includes(rule.id) || ids.some((id) => rule.aliases?.includes(id) === true))
      return { kind: 'inline', reason: reason === '' ? own[0].trim() : reason };
  }
  const nosec = NOSEC.exec(comment);
  if (nosec !== null) {
    const tests = (nosec[1] ?? '').match(BANDIT_ID) ?? [];
    if (tests.length === 0 || tests.some((test) => rule.bandit?.includes(test.toUpperCase())))
      return { kind: 'inline', reason: nosec[0].trim() };
  }
  const noqa = NOQA.exec(comment);
  if (noqa !== null) {
    const codes = noqa[1]?.split(/[\s,]+/) ?? [];
    if (codes.length === 0 || codes.some((code) => rule.ruff?.includes(code.toUpperCase())))
      return { kind: 'inline', reason: noqa[0].trim() };
  }
  return undefined;
}
