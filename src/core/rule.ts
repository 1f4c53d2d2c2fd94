import type { Confidence, Severity } from './severity.js';
import type { Verdict } from './verdict.js';

export type Domain = 'scan' | 'model' | 'code' | 'deps' | 'env' | 'package';

/** OWASP Machine Learning Security Top 10 (2023) identifiers used for tagging. */
export type OwaspMlId =
  | 'ML01:2023'
  | 'ML02:2023'
  | 'ML03:2023'
  | 'ML04:2023'
  | 'ML05:2023'
  | 'ML06:2023'
  | 'ML07:2023'
  | 'ML08:2023'
  | 'ML09:2023'
  | 'ML10:2023';

export interface Rule {
  /** Stable identifier, `<DOMAIN>-<THEME>-<nnn>`. Never renamed once released. */
  readonly id: string;
  readonly domain: Domain;
  /** One-line title, shown in listings and as the SARIF short description. */
  readonly title: string;
  /** What the rule detects and why it matters (SARIF full description, docs summary). */
  readonly description: string;
  /** How to remediate, attached to every finding of the rule. */
  readonly fix: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  /** The verdict a finding of this rule gives the file it is found in. */
  readonly verdict: Verdict;
  readonly cwe: readonly `CWE-${number}`[];
  readonly owasp: readonly OwaspMlId[];
  /** Equivalent bandit test ids (`B301`), so that `# nosec B301` suppresses this rule too. */
  readonly bandit?: readonly string[];
  /** Equivalent ruff codes (`S301`), so that `# noqa: S301` suppresses this rule too. */
  readonly ruff?: readonly string[];
  /**
   * Other ids this rule answers to: catalogue rows that are the same check seen from another theme
   * (`PY-SUP-002`, trust_remote_code in the supply-chain view, is PY-MDL-006). Selectors and
   * `# mlsec: ignore[...]` accept them; findings carry the rule's own id, so nothing is reported twice.
   */
  readonly aliases?: readonly string[];
  /**
   * `false` for audit rules that are too noisy to run unless asked for (`--select`); they are listed by
   * `mlsec rules` but not in the default set.
   */
  readonly enabledByDefault?: false;
}

export function defineRule<const R extends Rule>(rule: R): R {
  return rule;
}

export function docsPath(ruleId: string): string {
  return `docs/rules/${ruleId}.md`;
}
