import { relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { normalizeName } from '../scanners/deps/pep508/parse.js';
import { compareVersions, parseVersion } from '../scanners/deps/pep508/version.js';
import type { IgnoreEntry } from './config/schema.js';
import type { Finding, Suppression } from './finding.js';

/** An ignore entry compiled once: its path glob and its package selector. */
interface ActiveEntry {
  readonly entry: IgnoreEntry;
  readonly matchesPath: (path: string) => boolean;
  readonly advisory: string | undefined;
  readonly package: { readonly name: string; readonly version: string | undefined } | undefined;
}

/** Decides, finding by finding, whether an ignore entry or the baseline accepts it. */
export class Suppressor {
  private readonly active: readonly ActiveEntry[];
  private readonly baseline: ReadonlySet<string>;
  private readonly root: string;
  readonly warnings: readonly string[];

  constructor(ignores: readonly IgnoreEntry[], root: string, baseline: ReadonlySet<string>, today: string) {
    this.root = root;
    this.baseline = baseline;
    const warnings: string[] = [];
    const active: ActiveEntry[] = [];
    for (const entry of ignores) {
      if (entry.expires !== undefined && entry.expires <= today) {
        // An expired acceptance turns back into a finding; say so, so the owner renews or fixes it.
        warnings.push(`ignore entry expired on ${entry.expires} and no longer applies: ${describe(entry)}`);
        continue;
      }
      const path = entry.path;
      active.push({
        entry,
        matchesPath: path === undefined ? () => true : picomatch(path, { dot: true }),
        advisory: entry.advisory?.trim().toUpperCase(),
        package: entry.package === undefined ? undefined : splitPin(entry.package),
      });
    }
    this.active = active;
    this.warnings = warnings;
  }

  /** `absolutePath` is the file on disk; ignore globs are relative to the configuration's directory. */
  suppressionFor(finding: Finding, absolutePath: string): Suppression | undefined {
    const relativePath = relative(this.root, absolutePath).split(sep).join('/');
    for (const { entry, matchesPath, advisory, package: selector } of this.active) {
      if (entry.rule !== undefined && entry.rule !== finding.ruleId) continue;
      if (entry.fingerprint !== undefined && entry.fingerprint !== finding.fingerprint) continue;
      if (advisory !== undefined && !reportsAdvisory(finding, advisory)) continue;
      if (selector !== undefined && !concernsPackage(finding, selector.name, selector.version)) continue;
      if (!matchesPath(relativePath)) continue;
      return { kind: 'config', reason: entry.reason };
    }
    if (this.baseline.has(finding.fingerprint)) return { kind: 'baseline', reason: 'in baseline' };
    return undefined;
  }
}

/** `name` or `name==version`, the name PEP 503-normalised. */
function splitPin(text: string): { name: string; version: string | undefined } {
  const separator = text.indexOf('==');
  const name = normalizeName((separator === -1 ? text : text.slice(0, separator)).trim());
  return { name, version: separator === -1 ? undefined : text.slice(separator + 2).trim() };
}

/** Advisory ids are compared without case: databases and users spell GHSA and CVE ids both ways. */
function reportsAdvisory(finding: Finding, id: string): boolean {
  const advisory = finding.advisory;
  if (advisory === undefined) return false;
  return [advisory.id, ...advisory.aliases].some((known) => known.toUpperCase() === id);
}

/**
 * The structured pin when the finding has one; otherwise the `name` or `name==version` label every dependency
 * finding carries. Versions are compared as PEP 440 (`2.25` is `2.25.0`), as text when either is not PEP 440.
 */
function concernsPackage(finding: Finding, name: string, version: string | undefined): boolean {
  const pin =
    finding.pin ?? (finding.location.package === undefined ? undefined : splitPin(finding.location.package));
  if (pin === undefined || normalizeName(pin.name) !== name) return false;
  if (version === undefined) return true;
  if (pin.version === undefined) return false;
  const wanted = parseVersion(version);
  const actual = parseVersion(pin.version);
  if (wanted !== undefined && actual !== undefined) return compareVersions(wanted, actual) === 0;
  return version.toLowerCase() === pin.version.toLowerCase();
}

function describe(entry: IgnoreEntry): string {
  const parts = [
    entry.rule === undefined ? undefined : `rule ${entry.rule}`,
    entry.path === undefined ? undefined : `path ${entry.path}`,
    entry.fingerprint === undefined ? undefined : `fingerprint ${entry.fingerprint}`,
    entry.advisory === undefined ? undefined : `advisory ${entry.advisory}`,
    entry.package === undefined ? undefined : `package ${entry.package}`,
  ].filter((part) => part !== undefined);
  return `${parts.join(', ')} (${entry.reason})`;
}
