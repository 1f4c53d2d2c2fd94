import { relative, sep } from 'node:path';
import picomatch from 'picomatch';
import type { IgnoreEntry } from './config/schema.js';
import type { Finding, Suppression } from './finding.js';

/** Decides, finding by finding, whether an ignore entry or the baseline accepts it. */
export class Suppressor {
  private readonly active: readonly { entry: IgnoreEntry; matchesPath: (path: string) => boolean }[];
  private readonly baseline: ReadonlySet<string>;
  private readonly root: string;
  readonly warnings: readonly string[];

  constructor(ignores: readonly IgnoreEntry[], root: string, baseline: ReadonlySet<string>, today: string) {
    this.root = root;
    this.baseline = baseline;
    const warnings: string[] = [];
    const active: { entry: IgnoreEntry; matchesPath: (path: string) => boolean }[] = [];
    for (const entry of ignores) {
      if (entry.expires !== undefined && entry.expires <= today) {
        // An expired acceptance turns back into a finding; say so, so the owner renews or fixes it.
        warnings.push(`ignore entry expired on ${entry.expires} and no longer applies: ${describe(entry)}`);
        continue;
      }
      const path = entry.path;
      active.push({ entry, matchesPath: path === undefined ? () => true : picomatch(path, { dot: true }) });
    }
    this.active = active;
    this.warnings = warnings;
  }

  /** `absolutePath` is the file on disk; ignore globs are relative to the configuration's directory. */
  suppressionFor(finding: Finding, absolutePath: string): Suppression | undefined {
    const relativePath = relative(this.root, absolutePath).split(sep).join('/');
    for (const { entry, matchesPath } of this.active) {
      if (entry.rule !== undefined && entry.rule !== finding.ruleId) continue;
      if (entry.fingerprint !== undefined && entry.fingerprint !== finding.fingerprint) continue;
      if (!matchesPath(relativePath)) continue;
      return { kind: 'config', reason: entry.reason };
    }
    if (this.baseline.has(finding.fingerprint)) return { kind: 'baseline', reason: 'in baseline' };
    return undefined;
  }
}

function describe(entry: IgnoreEntry): string {
  const parts = [
    entry.rule === undefined ? undefined : `rule ${entry.rule}`,
    entry.path === undefined ? undefined : `path ${entry.path}`,
    entry.fingerprint === undefined ? undefined : `fingerprint ${entry.fingerprint}`,
  ].filter((part) => part !== undefined);
  return `${parts.join(', ')} (${entry.reason})`;
}
