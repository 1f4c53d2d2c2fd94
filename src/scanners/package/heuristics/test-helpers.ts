import { analyseModule } from './analyse-module.js';

export interface Found {
  readonly rule: string;
  readonly line: number;
  readonly message: string;
  readonly severity?: string;
  readonly confidence?: string;
}

/** The heuristic findings of one module given as text, compact to assert on (`rule` filters them). */
export async function heuristicFindings(
  source: string,
  path = 'pkg/module.py',
  rule?: string,
): Promise<Found[]> {
  const { findings } = await analyseModule(source, { path, role: 'library', checkDeadline: () => undefined });
  return findings
    .filter((finding) => rule === undefined || finding.ruleId === rule)
    .map((finding) => ({
      rule: finding.ruleId,
      line: finding.line ?? 0,
      message: finding.message,
      ...(finding.severity !== undefined && { severity: finding.severity }),
      ...(finding.confidence !== undefined && { confidence: finding.confidence }),
    }));
}
