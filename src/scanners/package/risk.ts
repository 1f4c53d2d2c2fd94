import type { RawFinding } from '../../core/finding.js';
import type { Rule } from '../../core/rule.js';
import type { Severity } from '../../core/severity.js';
import type { Capability, CapabilityUse } from './model.js';

/** How much one threat weighs, by the severity it was reported with. */
const THREAT_WEIGHT: Readonly<Record<Severity, number>> = {
  critical: 8,
  high: 6,
  medium: 3,
  low: 1,
  info: 0,
};
/** Capabilities that let code act on a threat: without one of them, a threat indicator is only text. */
const ACTING_CAPABILITIES: ReadonlySet<Capability> = new Set([
  'network',
  'process',
  'dynamic-code',
  'file-write',
  'native-code',
  'binary',
]);
/** Scores from this value up are reported (PKG-RISK-001); from {@link CRITICAL_SCORE} up as critical. */
export const REPORTED_SCORE = 7;
const CRITICAL_SCORE = 9;
const MAX_SCORE = 10;

/** A threat finding with where it sits in the package and whether that code runs unasked. */
export interface Threat {
  readonly finding: RawFinding;
  /** Path inside the package. */
  readonly path: string;
  /** The code runs at install (setup.py, build backend) or import (a package's `__init__`). */
  readonly unasked: boolean;
}

export interface RiskScore {
  /** 0 (nothing but capabilities) to 10. */
  readonly score: number;
  /** The threats that count, strongest first, as `PKG-X-001 (path:line)`. */
  readonly reasons: readonly string[];
  readonly capabilities: readonly Capability[];
  readonly unasked: boolean;
}

function severityOf(threat: Threat, ruleOf: (id: string) => Rule | undefined): Severity {
  return threat.finding.severity ?? ruleOf(threat.finding.ruleId)?.severity ?? 'info';
}

/**
 * GuardDog's idea, with numbers: capabilities alone (what ordinary libraries do) score 0. The strongest threat
 * sets the base (critical 8, high 6, medium 3, low 1); each further kind of threat of at least medium weight adds
 * 1 (at most 2); a threat in code that runs unasked adds 1, and so does a capability that lets the code act.
 * So an ordinary `setup.py` or a `requests`-like SDK scores 0, a lone shady URL in library code 4, and base64
 * that is executed from `setup.py` of a package with network access 8.
 */
export function riskScore(
  threats: readonly Threat[],
  capabilities: readonly CapabilityUse[],
  ruleOf: (id: string) => Rule | undefined,
): RiskScore {
  const present = [...new Set(capabilities.map((use) => use.capability))].sort();
  if (threats.length === 0) return { score: 0, reasons: [], capabilities: present, unasked: false };
  const ranked = threats
    .map((threat) => ({ threat, weight: THREAT_WEIGHT[severityOf(threat, ruleOf)] }))
    .sort((a, b) => b.weight - a.weight);
  const base = ranked[0]?.weight ?? 0;
  const strongKinds = new Set(
    ranked.filter(({ weight }) => weight >= 3).map(({ threat }) => threat.finding.ruleId),
  );
  const breadth = Math.min(2, Math.max(0, strongKinds.size - 1));
  const unasked = ranked.some(({ threat, weight }) => weight >= 3 && threat.unasked);
  const acting = present.some((capability) => ACTING_CAPABILITIES.has(capability));
  const score = Math.min(MAX_SCORE, base + breadth + (unasked ? 1 : 0) + (acting && base >= 3 ? 1 : 0));
  // The strongest finding of each rule stands for it.
  const strongest = new Map<string, Threat>();
  for (const { threat } of ranked)
    if (!strongest.has(threat.finding.ruleId)) strongest.set(threat.finding.ruleId, threat);
  const reasons = [...strongest.values()].map(
    (threat) =>
      `${threat.finding.ruleId} (${threat.path}${threat.finding.line === undefined ? '' : `:${threat.finding.line}`})`,
  );
  return { score, reasons, capabilities: present, unasked };
}

export function riskSeverity(score: number): Severity {
  return score >= CRITICAL_SCORE ? 'critical' : 'high';
}

/**
 * Whether capabilities could still lift these threats to the reporting line: they add at most 1, so a package
 * whose threats score below {@link REPORTED_SCORE} - 1 without them needs no capability pass.
 */
export function capabilitiesCouldMatter(
  threats: readonly Threat[],
  ruleOf: (id: string) => Rule | undefined,
): boolean {
  const acting: CapabilityUse = { capability: 'network', path: '', evidence: '' };
  return riskScore(threats, [acting], ruleOf).score >= REPORTED_SCORE;
}
