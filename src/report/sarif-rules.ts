import type { Finding } from '../core/finding.js';
import { ALL_RULES, ruleById } from '../core/registry.js';
import { SECURITY_SEVERITY_SCORE, type Confidence, type Severity } from '../core/severity.js';
import { ruleDocsUrl } from './links.js';

export type SarifLevel = 'error' | 'warning' | 'note';

/** GitHub ranks alerts by `security-severity`; `level` only decides how other SARIF viewers flag a result. */
export const SARIF_LEVEL: Readonly<Record<Severity, SarifLevel>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

// SARIF's `precision` scale also has `very-high`; no confidence of ours claims that much.
const PRECISION: Readonly<Record<Confidence, string>> = { high: 'high', medium: 'medium', low: 'low' };

/** What a descriptor needs: a registry rule, or what any finding carries of its rule. */
interface RuleFacts {
  readonly id: string;
  readonly domain?: string;
  readonly title: string;
  readonly description: string;
  readonly fix: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  readonly cwe: readonly string[];
  readonly owasp: readonly string[];
}

/**
 * Findings are completed from the registry, so the registry knows every rule in a report. A report read back from
 * elsewhere (a baseline, another version) may name a rule this build does not know; its findings still describe it.
 */
function factsOf(ruleId: string, example: Finding): RuleFacts {
  return (
    ruleById(ruleId) ?? {
      id: ruleId,
      title: example.title,
      description: example.title,
      fix: example.fix,
      severity: example.severity,
      confidence: example.confidence,
      cwe: example.cwe,
      owasp: example.owasp,
    }
  );
}

function tagsOf(rule: RuleFacts): string[] {
  const tags = [
    'security',
    ...(rule.domain === undefined ? [] : [rule.domain]),
    ...rule.cwe.map((cwe) => `external/cwe/${cwe.toLowerCase()}`),
    // `ML06:2023` becomes `owasp-ml:ML06`, the tag form code scanning users filter on.
    ...rule.owasp.map((id) => `owasp-ml:${id.split(':')[0] ?? id}`),
  ];
  return [...new Set(tags)];
}

/**
 * SARIF wants `name` to be a Pascal-case identifier distinct from `id` (validator rule SARIF2012). One-letter words
 * and acronyms kept in capitals would give runs of capitals, which it rejects: `Pickle references a …` →
 * `PickleReferencesDangerous…`.
 */
function pascalName(title: string): string {
  return title
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 1)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join('');
}

function descriptor(rule: RuleFacts): Record<string, unknown> {
  const url = ruleDocsUrl(rule.id);
  return {
    id: rule.id,
    name: pascalName(rule.title),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.description },
    helpUri: url,
    help: {
      text: `${rule.description}\n\nFix: ${rule.fix}\n\nDocumentation: ${url}`,
      markdown: `${rule.description}\n\n**Fix:** ${rule.fix}\n\n[Rule documentation](${url})`,
    },
    defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
    properties: {
      tags: tagsOf(rule),
      precision: PRECISION[rule.confidence],
      'security-severity': SECURITY_SEVERITY_SCORE[rule.severity],
    },
  };
}

const REGISTRY_ORDER = new Map(ALL_RULES.map((rule, index) => [rule.id, index]));

function byRegistryOrder(a: string, b: string): number {
  const rankA = REGISTRY_ORDER.get(a) ?? ALL_RULES.length;
  const rankB = REGISTRY_ORDER.get(b) ?? ALL_RULES.length;
  if (rankA !== rankB) return rankA - rankB;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Descriptors for the rules that occur in `findings` (suppressed ones included), in registry order so that runs
 * over different files list rules alike, and the index of each rule id for `result.ruleIndex`. Only occurring rules
 * go in: GitHub needs no descriptor without results, and the log stays small for the common clean scan.
 */
export function ruleDescriptors(findings: readonly Finding[]): {
  rules: Record<string, unknown>[];
  indexOf: ReadonlyMap<string, number>;
} {
  const examples = new Map<string, Finding>();
  for (const finding of findings) if (!examples.has(finding.ruleId)) examples.set(finding.ruleId, finding);
  const ordered = [...examples].sort(([a], [b]) => byRegistryOrder(a, b));
  return {
    rules: ordered.map(([id, example]) => descriptor(factsOf(id, example))),
    indexOf: new Map(ordered.map(([id], index) => [id, index])),
  };
}
