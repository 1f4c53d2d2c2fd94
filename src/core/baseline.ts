import { readFile, writeFile } from 'node:fs/promises';
import { UsageError } from './errors.js';
import type { Finding } from './finding.js';

/**
 * A baseline records accepted findings by fingerprint, so that only new findings fail a build. Fingerprints
 * ignore line numbers and offsets, so edits elsewhere in a file do not resurrect baselined findings.
 */
export interface BaselineFile {
  readonly tool: 'mlsec';
  readonly version: 1;
  readonly findings: readonly {
    readonly fingerprint: string;
    readonly ruleId: string;
    readonly path: string;
  }[];
}

export async function readBaseline(file: string): Promise<ReadonlySet<string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError('USAGE_BAD_BASELINE', `cannot read baseline ${file}`, { cause: error });
  }
  if (!isBaseline(parsed)) {
    throw new UsageError('USAGE_BAD_BASELINE', `${file} is not an mlsec baseline (version 1)`);
  }
  return new Set(parsed.findings.map((entry) => entry.fingerprint));
}

/** Writes the unsuppressed findings of a scan as a baseline. */
export async function writeBaseline(file: string, findings: readonly Finding[]): Promise<void> {
  const baseline: BaselineFile = {
    tool: 'mlsec',
    version: 1,
    findings: findings
      .filter((finding) => finding.suppressed === undefined)
      .map((finding) => ({
        fingerprint: finding.fingerprint,
        ruleId: finding.ruleId,
        path: finding.location.path,
      })),
  };
  await writeFile(file, `${JSON.stringify(baseline, null, 2)}\n`);
}

function isBaseline(value: unknown): value is BaselineFile {
  if (typeof value !== 'object' || value === null) return false;
  if (!('tool' in value) || value.tool !== 'mlsec' || !('version' in value) || value.version !== 1)
    return false;
  if (!('findings' in value) || !Array.isArray(value.findings)) return false;
  const entries: unknown[] = value.findings;
  return entries.every(
    (entry) =>
      typeof entry === 'object' &&
      entry !== null &&
      'fingerprint' in entry &&
      typeof entry.fingerprint === 'string',
  );
}
