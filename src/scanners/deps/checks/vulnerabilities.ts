import { basename } from 'node:path';
import { messageOf, ParseError } from '../../../core/errors.js';
import { defineRule } from '../../../core/rule.js';
import type { Component, DependencyCheck, DependencyContext } from '../model.js';
import { loadIndex } from '../osv/cache.js';
import { packageEntry, type OsvIndex } from '../osv/index.js';
import { onlineIndex } from '../osv/online.js';
import {
  describeMatch,
  groupMatches,
  matchPackage,
  smallestSafeUpgrade,
  type AdvisoryGroup,
} from '../osv/match.js';

export const KNOWN_VULNERABILITY = defineRule({
  id: 'DEP-VULN-001',
  domain: 'deps',
  title: 'pinned dependency version has a known vulnerability',
  description:
    'An exactly pinned, locked or installed PyPI package version is affected by an advisory in the configured OSV database (PYSEC, GHSA, CVE).',
  fix: 'Upgrade to the smallest version the finding names as fixing every advisory for the package, regenerate the lock file, and re-run the audit.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-1395'],
  owasp: ['ML06:2023'],
});

export const KNOWN_MALICIOUS = defineRule({
  id: 'DEP-MAL-001',
  domain: 'deps',
  title: 'dependency is a known malicious package',
  description:
    'The package (at the pinned version, or at every version) is listed by an OpenSSF malicious-packages (`MAL-`) record in the configured OSV database.',
  fix: 'Remove the package, treat every machine that installed it as compromised (rotate its credentials), and check the name you meant to depend on.',
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-506'],
  owasp: ['ML06:2023'],
});

const RULE_IDS = [KNOWN_VULNERABILITY.id, KNOWN_MALICIOUS.id];

function dataAge(index: OsvIndex): string {
  const newest = index.newestModified.slice(0, 10);
  const days = Math.floor((Date.now() - Date.parse(index.newestModified)) / 86_400_000);
  return `${basename(index.source)}, newest record ${newest}${Number.isFinite(days) ? ` (${days} days old)` : ''}`;
}

function where(component: Component, context: DependencyContext): { line?: number; note: string } {
  const { line, path } = component.origin;
  if (path === context.manifest.path) return line === undefined ? { note: '' } : { line, note: '' };
  return { note: ` (declared in ${path}${line === undefined ? '' : ` line ${line}`})` };
}

function reportGroup(
  context: DependencyContext,
  component: Component,
  version: string,
  group: AdvisoryGroup,
  upgrade: string,
  index: OsvIndex,
): void {
  const label = `${component.name}==${version}`;
  const aliases = group.aliases.length === 0 ? '' : ` (aliases ${group.aliases.join(', ')})`;
  const summary = group.matches
    .find((match) => match.advisory.summary !== '')
    ?.advisory.summary.replace(/\.+$/, '');
  const scored = group.matches.find((match) => match.advisory.score !== undefined)?.advisory;
  const rating =
    scored === undefined
      ? group.severity === undefined
        ? 'Severity: not rated by the database (reported as high)'
        : `Severity: ${group.severity} (database rating)`
      : `Severity: CVSS ${scored.score} (${scored.vector})`;
  const matched = group.matches.map((match) => `${match.advisory.id}: ${describeMatch(match)}`).join('; ');
  const fixes = [
    ...new Set(group.matches.flatMap((match) => (match.fixedIn === undefined ? [] : [match.fixedIn]))),
  ];
  const { line, note } = where(component, context);
  const text = group.malicious
    ? `${label}${note} is a known malicious package: ${group.id}${aliases}${summary === undefined ? '' : ` — ${summary}`}. Matched ${matched}. Source: ${dataAge(index)}`
    : `${label}${note}: ${group.id}${aliases}${summary === undefined ? '' : ` — ${summary}`}. Matched ${matched}. Fixed in ${fixes.length === 0 ? 'no release yet' : fixes.join(', ')}; ${upgrade}. ${rating}. Source: ${dataAge(index)}`;
  context.report({
    ruleId: group.malicious ? KNOWN_MALICIOUS.id : KNOWN_VULNERABILITY.id,
    message: text,
    ...(line !== undefined && { line }),
    evidence: `${label} ${group.id}`,
    package: label,
    pin: { name: component.name, version },
    advisory: { id: group.id, aliases: group.aliases },
    ...(!group.malicious && group.severity !== undefined && { severity: group.severity }),
  });
}

/** A pin is matched; ranges and bare names are not guessed as a version, but a MAL record covering every version applies. */
function auditUnpinned(context: DependencyContext, component: Component, index: OsvIndex): void {
  const everyVersion = (packageEntry(index, component.normalizedName)?.advisories ?? []).filter(
    (advisory) =>
      advisory.malicious &&
      advisory.ranges.some(
        (events) => events.length === 1 && events[0]?.kind === 'introduced' && events[0].version === '0',
      ),
  );
  for (const group of groupMatches(
    everyVersion.map((advisory) => ({
      advisory,
      ...(advisory.ranges[0]?.[0] !== undefined && { opened: advisory.ranges[0][0] }),
    })),
  )) {
    const { line, note } = where(component, context);
    context.report({
      ruleId: KNOWN_MALICIOUS.id,
      message: `${component.name}${note} is a known malicious package at every version: ${group.id}${group.aliases.length === 0 ? '' : ` (aliases ${group.aliases.join(', ')})`}. Source: ${dataAge(index)}`,
      ...(line !== undefined && { line }),
      evidence: `${component.name} ${group.id}`,
      package: component.name,
      advisory: { id: group.id, aliases: group.aliases },
    });
  }
}

function auditPinned(
  context: DependencyContext,
  component: Component,
  version: string,
  index: OsvIndex,
): void {
  const matches = matchPackage(index, component.normalizedName, version);
  if (matches.length === 0) return;
  const groups = groupMatches(matches);
  const advisories = groups.filter((group) => !group.malicious);
  const safe = smallestSafeUpgrade(
    index,
    component.normalizedName,
    advisories.flatMap((group) => group.matches),
  );
  const all = advisories.length === 1 ? 'the 1 advisory' : `all ${advisories.length} advisories`;
  const upgrade =
    safe === undefined
      ? `no release fixes ${all} for ${component.name}`
      : `smallest upgrade fixing ${all} for ${component.name}: ${safe}`;
  for (const group of groups) reportGroup(context, component, version, group, upgrade, index);
}

async function indexOf(path: string): Promise<OsvIndex> {
  try {
    return await loadIndex(path);
  } catch (error) {
    if (error instanceof ParseError) throw error;
    throw new ParseError('BAD_STRUCTURE', `OSV database ${path}: ${messageOf(error)}`);
  }
}

/** The manifest's exact PyPI pins, each once: what `--online` asks OSV.dev about. */
function pinsOf(components: readonly Component[]): { name: string; version: string }[] {
  const pins = new Map<string, { name: string; version: string }>();
  for (const component of components)
    if (component.ecosystem === 'PyPI' && component.pin === 'exact' && component.version !== undefined)
      pins.set(`${component.normalizedName}==${component.version}`, {
        name: component.normalizedName,
        version: component.version,
      });
  return [...pins.values()];
}

/**
 * With both `--db` and `--online`, the second audit reports only advisory groups the first has not reported for the
 * same package (no id in common), so that one flaw is one finding.
 */
function deduplicated(context: DependencyContext): DependencyContext {
  const reported = new Map<string, Set<string>>();
  return {
    ...context,
    report: (finding) => {
      const ids = finding.advisory === undefined ? [] : [finding.advisory.id, ...finding.advisory.aliases];
      const key = finding.package ?? '';
      const seen = reported.get(key) ?? new Set<string>();
      if (ids.some((id) => seen.has(id))) return;
      for (const id of ids) seen.add(id);
      reported.set(key, seen);
      context.report(finding);
    },
  };
}

/**
 * Audits the manifest's PyPI components against the configured OSV database (`--db`, `[deps] db`) and, with
 * `--online`, against OSV.dev; without either it does nothing. A database that cannot be loaded, or an online
 * query that fails, makes the manifest unscannable rather than clean.
 */
export const vulnerabilityCheck: DependencyCheck = {
  rules: [KNOWN_VULNERABILITY, KNOWN_MALICIOUS],
  async run(context) {
    const db = context.settings.deps?.db;
    const online = context.settings.deps?.online === true;
    const enabled = context.settings.enabledRules;
    // Loading a database is the expensive part; a scan that reports neither rule skips it.
    const wanted = enabled === undefined || RULE_IDS.some((id) => enabled.includes(id));
    if ((db === undefined && !online) || !wanted) return;
    const indexes = db === undefined ? [] : [await indexOf(db)];
    const pins = online ? pinsOf(context.manifest.components) : [];
    if (pins.length > 0) indexes.push(await onlineIndex(pins));
    const audit = indexes.length > 1 ? deduplicated(context) : context;
    for (const index of indexes)
      for (const component of context.manifest.components) {
        if (component.ecosystem !== 'PyPI') continue;
        context.checkDeadline();
        if (component.pin === 'exact' && component.version !== undefined)
          auditPinned(audit, component, component.version, index);
        else auditUnpinned(audit, component, index);
      }
  },
};
