import type { EnvironmentRecord } from './environment.js';
import { completeFinding, type Finding } from './finding.js';
import { ruleById } from './registry.js';
import type { FileReport, ScanReport } from './report-model.js';
import type { FileOutcome } from './scan-file.js';
import { SEVERITIES, type Severity } from './severity.js';
import type { Suppressor } from './suppress.js';
import { VERDICTS, worseVerdict, type Verdict } from './verdict.js';
import { VERSION } from './version.js';

/**
 * Turns per-file outcomes into the report every reporter renders: completes findings from the rule registry,
 * numbers them, fingerprints them, applies suppressions and derives each file's verdict from what is left.
 * Findings of rules outside `enabledRules` (when given) are dropped first, so scanners need not know the selection
 * and verdicts only reflect the selected rules.
 */
export function assembleReport(
  outcomes: readonly FileOutcome[],
  suppressor: Suppressor,
  walkWarnings: readonly string[],
  durationMs: number,
  enabledRules?: ReadonlySet<string>,
  environments: readonly EnvironmentRecord[] = [],
): ScanReport {
  const files: FileReport[] = [];
  const findings: Finding[] = [];
  for (const outcome of outcomes) {
    const occurrences = new Map<string, number>();
    const ids: string[] = [];
    let verdict: Verdict = 'clean';
    const selected = outcome.findings.filter(
      (raw) => enabledRules === undefined || enabledRules.has(raw.ruleId),
    );
    const ordered = selected.sort(
      (a, b) => (a.member ?? '').localeCompare(b.member ?? '') || (a.offset ?? 0) - (b.offset ?? 0),
    );
    for (const raw of ordered) {
      const rule = ruleById(raw.ruleId);
      if (rule === undefined) throw new Error(`scanner reported unknown rule ${raw.ruleId}`);
      const key = [raw.ruleId, raw.member ?? '', raw.evidence ?? raw.message].join('\0');
      const occurrence = occurrences.get(key) ?? 0;
      occurrences.set(key, occurrence + 1);
      const id = `F${findings.length + 1}`;
      const finding = completeFinding(raw, rule, outcome.displayPath, id, occurrence);
      const suppressed = raw.suppressed ?? suppressor.suppressionFor(finding, outcome.absolutePath);
      findings.push(suppressed === undefined ? finding : { ...finding, suppressed });
      ids.push(id);
      if (suppressed === undefined) verdict = worseVerdict(verdict, rule.verdict);
    }
    files.push({
      path: outcome.displayPath,
      format: outcome.format,
      verdict,
      size: outcome.size,
      findings: ids,
      models: outcome.models ?? [],
      ...(outcome.sha256 !== undefined && { sha256: outcome.sha256 }),
      ...(outcome.packages !== undefined && { packages: outcome.packages }),
    });
  }

  const verdicts = Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0])) as Record<Verdict, number>;
  for (const file of files) verdicts[file.verdict]++;
  const bySeverity = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<
    Severity,
    number
  >;
  let suppressed = 0;
  for (const finding of findings) {
    if (finding.suppressed === undefined) bySeverity[finding.severity]++;
    else suppressed++;
  }
  return {
    tool: { name: 'mlsec', version: VERSION },
    files,
    findings,
    summary: {
      files: files.length,
      verdicts,
      findings: findings.length - suppressed,
      suppressed,
      bySeverity,
      durationMs,
    },
    environments,
    warnings: [...walkWarnings, ...suppressor.warnings],
  };
}
