import type { Severity } from '../../../core/severity.js';
import { normalizeName } from '../pep508/parse.js';
import { cvss3BaseScore, severityOfRating, severityOfScore } from './cvss.js';
import type { OsvRecord, OsvSeverity } from './schema.js';
import { equalityKey, isValidVersion, positionOf, sortDistinct } from './versions.js';

export type EventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

export interface RangeEvent {
  readonly kind: EventKind;
  readonly version: string;
  /** Index of `version` in the package's {@link PackageAdvisories.order}; -1 for `introduced: "0"`. */
  readonly rank: number;
}

/** One advisory as it concerns one package: the compact, JSON-serialisable entry the index and its cache hold. */
export interface Advisory {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  readonly modified: string;
  readonly published?: string;
  /** ECOSYSTEM ranges, each with its events sorted in PEP 440 order (`introduced: "0"` first). */
  readonly ranges: readonly (readonly RangeEvent[])[];
  /** `versions[]` as {@link equalityKey}s in code-unit order, so that a pin is looked up, not compared with each. */
  readonly versionKeys: readonly string[];
  /** From the CVSS v3 vector, else the database's own rating; absent when the record rates nothing. */
  readonly severity?: Severity;
  readonly score?: number;
  readonly vector?: string;
  /** An OpenSSF malicious-packages record (`MAL-…`). */
  readonly malicious: boolean;
}

export interface OsvIndex {
  /** Bumped when {@link Advisory} changes, so that an old cache is rebuilt. */
  readonly format: number;
  readonly source: string;
  readonly records: number;
  readonly withdrawn: number;
  /** ECOSYSTEM ranges left out because an event version is not PEP 440 (they cannot be ordered). */
  readonly skippedRanges: number;
  /** The newest `modified` date in the database: how current the data is. */
  readonly newestModified: string;
  /** PEP 503 name → advisories affecting it. */
  readonly packages: Readonly<Record<string, PackageAdvisories>>;
}

export interface PackageAdvisories {
  /** Every ECOSYSTEM event version of the package's advisories, sorted in PEP 440 order, equal ones once. */
  readonly order: readonly string[];
  readonly advisories: readonly Advisory[];
}

export const INDEX_FORMAT = 2;

/**
 * The package's entry, looked up as an own property only: the index read back from its JSON cache is a plain
 * object, and `constructor` or `__proto__` is a package name like any other.
 */
export function packageEntry(index: OsvIndex, name: string): PackageAdvisories | undefined {
  return Object.hasOwn(index.packages, name) ? index.packages[name] : undefined;
}
const MAX_SUMMARY = 200;

function summaryOf(record: OsvRecord): string {
  const text = (record.summary ?? record.details ?? '').trim().split('\n')[0] ?? '';
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text;
}

function ratingOf(
  record: OsvRecord,
  severities: readonly OsvSeverity[],
): Pick<Advisory, 'severity' | 'score' | 'vector'> {
  for (const entry of severities) {
    if (entry.type !== 'CVSS_V3') continue;
    const score = cvss3BaseScore(entry.score);
    if (score !== undefined) return { severity: severityOfScore(score), score, vector: entry.score };
  }
  const rated = record.database_specific?.severity;
  const severity = rated === undefined ? undefined : severityOfRating(rated);
  return severity === undefined ? {} : { severity };
}

function orderable(event: Omit<RangeEvent, 'rank'>): boolean {
  return (event.kind === 'introduced' && event.version === '0') || isValidVersion(event.version);
}

type Draft = Omit<Advisory, 'ranges'> & { ranges: Omit<RangeEvent, 'rank'>[][] };

/** Ranks every event against the package's sorted versions and sorts each range's events by rank (stably). */
function ranked(drafts: readonly Draft[]): PackageAdvisories {
  const order = sortDistinct(
    drafts.flatMap((draft) =>
      draft.ranges.flat().flatMap((event) => (event.version === '0' ? [] : [event.version])),
    ),
  );
  const rankOf = (event: Omit<RangeEvent, 'rank'>): number =>
    event.kind === 'introduced' && event.version === '0' ? -1 : positionOf(order, event.version) / 2;
  const advisories = drafts.map((draft) => ({
    ...draft,
    // Array.prototype.sort is stable: events at the same version keep the record's order (Python's sort agrees).
    ranges: draft.ranges.map((events) =>
      events.map((event) => ({ ...event, rank: rankOf(event) })).sort((a, b) => a.rank - b.rank),
    ),
  }));
  return { order, advisories };
}

/** Builds the per-package index from every record of a database; withdrawn records are counted and left out. */
export function buildIndex(records: readonly OsvRecord[], source: string): OsvIndex {
  const drafts = new Map<string, Draft[]>();
  let withdrawn = 0;
  let skippedRanges = 0;
  let newestModified = '';
  for (const record of records) {
    if (record.modified > newestModified) newestModified = record.modified;
    if (record.withdrawn !== undefined) {
      withdrawn++;
      continue;
    }
    for (const affected of record.affected ?? []) {
      if (affected.package === undefined || affected.package.ecosystem !== 'PyPI') continue;
      const ranges: Omit<RangeEvent, 'rank'>[][] = [];
      for (const range of affected.ranges ?? []) {
        if (range.type !== 'ECOSYSTEM') continue;
        const events = range.events.map((event) => {
          const [kind, version] = Object.entries(event)[0] as [EventKind, string];
          return { kind, version };
        });
        if (events.every(orderable)) ranges.push(events);
        else skippedRanges++;
      }
      const draft: Draft = {
        id: record.id,
        aliases: record.aliases ?? [],
        summary: summaryOf(record),
        modified: record.modified,
        ...(record.published !== undefined && { published: record.published }),
        ranges,
        versionKeys: [...new Set((affected.versions ?? []).map(equalityKey))].sort(),
        ...ratingOf(record, [...(record.severity ?? []), ...(affected.severity ?? [])]),
        malicious: record.id.startsWith('MAL-'),
      };
      const name = normalizeName(affected.package.name);
      const list = drafts.get(name) ?? [];
      drafts.set(name, list);
      const previous = list.at(-1);
      // A record may list the same package twice (two ranges, or PyPA's `affected` split by import path).
      if (previous?.id === record.id)
        list[list.length - 1] = {
          ...previous,
          ranges: [...previous.ranges, ...draft.ranges],
          versionKeys: [...new Set([...previous.versionKeys, ...draft.versionKeys])].sort(),
        };
      else list.push(draft);
    }
  }
  const packages: Record<string, PackageAdvisories> = Object.create(null) as Record<
    string,
    PackageAdvisories
  >;
  for (const [name, list] of drafts) packages[name] = ranked(list);
  return {
    format: INDEX_FORMAT,
    source,
    records: records.length,
    withdrawn,
    skippedRanges,
    newestModified,
    packages,
  };
}
