import { severityRank, type Severity } from '../../../core/severity.js';
import { packageEntry, type Advisory, type OsvIndex, type RangeEvent } from './index.js';
import { equalityKey, isValidVersion, positionOf } from './versions.js';

/** Why a version is affected: the ECOSYSTEM range it falls in (as `>=1.0,<1.2`), or its `versions[]` entry. */
export interface Match {
  readonly advisory: Advisory;
  /** The `introduced` event of the range that matched, and the event that closes it (if any). */
  readonly opened?: RangeEvent;
  readonly close?: RangeEvent;
  /** The pin as `versions[]` listed it, when no range matched. */
  readonly listedVersion?: string;
  /** The smallest `fixed` above the version in the range that matched; absent when that range has none. */
  readonly fixedIn?: string;
  /** {@link fixedIn}'s rank in the package's event order. */
  readonly fixedRank?: number;
}

/** What matched, for messages: `introduced 0, fixed 1.2` or `versions[] lists 1.1` (built only when reported). */
export function describeMatch(match: Match): string {
  if (match.opened === undefined) return `versions[] lists ${match.listedVersion ?? '?'}`;
  const close = match.close === undefined ? 'no fix or limit' : `${match.close.kind} ${match.close.version}`;
  return `introduced ${match.opened.version}, ${close}`;
}

/** A pin as matching sees it: its position among the package's event versions and its equality key. */
interface Pin {
  readonly version: string;
  /** Undefined for a version that is not PEP 440: ranges cannot place it, only `versions[]` can list it. */
  readonly position?: number;
  readonly key: string;
}

/** The OSV evaluation: walk the sorted events, `introduced` opens, `fixed`/`limit` close at, `last_affected` after. */
function matchRange(events: readonly RangeEvent[], position: number): Omit<Match, 'advisory'> | undefined {
  let opened: RangeEvent | undefined;
  for (const event of events) {
    const sign = position - 2 * event.rank;
    if (event.kind === 'introduced') {
      if (sign >= 0) opened = event;
    } else if (opened !== undefined && (event.kind === 'last_affected' ? sign > 0 : sign >= 0))
      opened = undefined;
  }
  if (opened === undefined) return undefined;
  const start = events.indexOf(opened);
  const close = events.find((event, index) => index > start && event.kind !== 'introduced');
  return {
    opened,
    ...(close !== undefined && { close }),
    ...(close?.kind === 'fixed' && { fixedIn: close.version, fixedRank: close.rank }),
  };
}

/** Binary search in the sorted `versionKeys` (code-unit order): no per-advisory set to build at audit time. */
function listed(advisory: Advisory, key: string): boolean {
  const keys = advisory.versionKeys;
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const probe = keys[middle] as string;
    if (probe === key) return true;
    if (probe < key) low = middle + 1;
    else high = middle;
  }
  return false;
}

function matchPin(advisory: Advisory, pin: Pin): Match | undefined {
  if (pin.position !== undefined) {
    for (const events of advisory.ranges) {
      const found = matchRange(events, pin.position);
      if (found !== undefined) return { advisory, ...found };
    }
  }
  return listed(advisory, pin.key) ? { advisory, listedVersion: pin.version } : undefined;
}

/**
 * Every advisory affecting `name` (PEP 503-normalised) at `version`, one match per advisory id: ranges first
 * (they carry the fix), then `versions[]` (compared by PEP 440 equality).
 */
export function matchPackage(index: OsvIndex, name: string, version: string): Match[] {
  const entry = packageEntry(index, name);
  if (entry === undefined) return [];
  const pin: Pin = {
    version,
    key: equalityKey(version),
    ...(isValidVersion(version) && { position: positionOf(entry.order, version) }),
  };
  const matches: Match[] = [];
  for (const advisory of entry.advisories) {
    const match = matchPin(advisory, pin);
    if (match !== undefined) matches.push(match);
  }
  return matches;
}

/** Advisories that name each other through `aliases` (PYSEC, GHSA, CVE, MAL for one flaw) reported as one. */
export interface AdvisoryGroup {
  /** The id shown first: a MAL record, else GHSA, else PYSEC, else the smallest id. */
  readonly id: string;
  /** Every other id of the group and of its records' aliases, sorted. */
  readonly aliases: readonly string[];
  readonly matches: readonly Match[];
  readonly malicious: boolean;
  readonly severity?: Severity;
}

const PREFERENCE = ['MAL-', 'GHSA-', 'PYSEC-'];

function preference(id: string): number {
  const rank = PREFERENCE.findIndex((prefix) => id.startsWith(prefix));
  return rank === -1 ? PREFERENCE.length : rank;
}

function groupOf(members: readonly Match[]): AdvisoryGroup {
  const ids = new Set<string>();
  let id: string | undefined;
  let severity: Severity | undefined;
  let malicious = false;
  for (const { advisory } of members) {
    ids.add(advisory.id);
    for (const alias of advisory.aliases) ids.add(alias);
    const better =
      id === undefined ||
      preference(advisory.id) - preference(id) < 0 ||
      (preference(advisory.id) === preference(id) && advisory.id < id);
    if (better) id = advisory.id;
    if (
      advisory.severity !== undefined &&
      (severity === undefined || severityRank(advisory.severity) > severityRank(severity))
    )
      severity = advisory.severity;
    malicious ||= advisory.malicious;
  }
  const shown = id as string;
  ids.delete(shown);
  return {
    id: shown,
    aliases: [...ids].sort(),
    matches: members,
    malicious,
    ...(severity !== undefined && { severity }),
  };
}

export function groupMatches(matches: readonly Match[]): AdvisoryGroup[] {
  if (matches.length <= 1) return matches.map((match) => groupOf([match]));
  // Union-find over ids: two advisories join when either lists the other (or a shared CVE) as an alias.
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    for (let next = parent.get(root); next !== undefined && next !== root; next = parent.get(root))
      root = next;
    parent.set(id, root);
    return root;
  };
  for (const { advisory } of matches) {
    for (const alias of advisory.aliases) {
      const [a, b] = [find(advisory.id), find(alias)];
      if (a !== b) parent.set(a, b);
    }
  }
  const groups = new Map<string, Match[]>();
  for (const match of matches) {
    const root = find(match.advisory.id);
    const members = groups.get(root);
    if (members === undefined) groups.set(root, [match]);
    else members.push(match);
  }
  return [...groups.values()].map(groupOf);
}

const MAX_UPGRADE_STEPS = 64;

/**
 * The smallest version at or above every group's fix that no advisory of the package affects: start from the
 * highest per-advisory fix and, while some advisory (matched or not) still covers the candidate, move to the
 * highest fix of those. Undefined when an advisory has no fix above the pin. Fixes are event versions, so the
 * candidates are ranks in the package's order and need no comparisons.
 */
export function smallestSafeUpgrade(
  index: OsvIndex,
  name: string,
  matches: readonly Match[],
): string | undefined {
  const entry = packageEntry(index, name);
  if (entry === undefined || matches.length === 0) return undefined;
  let rank = -1;
  for (const match of matches) {
    if (match.fixedRank === undefined) return undefined;
    rank = Math.max(rank, match.fixedRank);
  }
  for (let step = 0; step < MAX_UPGRADE_STEPS; step++) {
    const version = entry.order[rank] as string;
    const pin: Pin = { version, key: equalityKey(version), position: 2 * rank };
    let next = -1;
    for (const advisory of entry.advisories) {
      const found = matchPin(advisory, pin);
      if (found === undefined) continue;
      if (found.fixedRank === undefined) return undefined;
      next = Math.max(next, found.fixedRank);
    }
    if (next === -1) return version;
    rank = next;
  }
  return undefined;
}
