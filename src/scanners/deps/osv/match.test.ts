import { describe, expect, it } from 'vitest';
import { buildIndex } from './index.js';
import { describeMatch, groupMatches, matchPackage, smallestSafeUpgrade } from './match.js';
import { recordOf, type OsvEvent } from './schema.js';

function record(id: string, events: OsvEvent[], extra: Record<string, unknown> = {}): unknown {
  return {
    id,
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'PyPI', name: 'Demo_Pkg' }, ranges: [{ type: 'ECOSYSTEM', events }] }],
    ...extra,
  };
}

function ids(values: unknown[], version: string): string[] {
  const index = buildIndex(values.map(recordOf), 'test');
  return matchPackage(index, 'demo-pkg', version).map((match) => match.advisory.id);
}

describe('OSV range evaluation', () => {
  const range = [record('A', [{ introduced: '1.0' }, { fixed: '1.2' }])];

  it('opens at introduced (inclusive) and closes at fixed (exclusive)', () => {
    expect(ids(range, '0.9')).toEqual([]);
    expect(ids(range, '1.0')).toEqual(['A']);
    expect(ids(range, '1.1.9')).toEqual(['A']);
    expect(ids(range, '1.2')).toEqual([]);
  });

  it('orders pre-, post-, dev- and local versions and epochs as PEP 440 does', () => {
    expect(ids(range, '1.0rc1')).toEqual([]);
    expect(ids(range, '1.2rc1')).toEqual(['A']);
    expect(ids(range, '1.2.dev0')).toEqual(['A']);
    expect(ids(range, '1.1.post3')).toEqual(['A']);
    expect(ids(range, '1.1+cu118')).toEqual(['A']);
    expect(ids(range, '1.0.0')).toEqual(['A']);
    expect(ids(range, '1!0.5')).toEqual([]);
  });

  it('treats introduced 0 as the start, last_affected as inclusive and limit as exclusive', () => {
    const values = [
      record('START', [{ introduced: '0' }, { fixed: '2.0' }]),
      record('LAST', [{ introduced: '1.5' }, { last_affected: '1.7' }]),
      record('LIMIT', [{ introduced: '3.0' }, { limit: '3.1' }]),
      record('OPEN', [{ introduced: '4.0' }]),
    ];
    expect(ids(values, '0.0.1')).toEqual(['START']);
    expect(ids(values, '1.7')).toEqual(['START', 'LAST']);
    expect(ids(values, '1.7.1')).toEqual(['START']);
    expect(ids(values, '3.0.5')).toEqual(['LIMIT']);
    expect(ids(values, '3.1')).toEqual([]);
    expect(ids(values, '99')).toEqual(['OPEN']);
  });

  it('evaluates several intervals in one range whatever order the events are written in', () => {
    const values = [
      record('A', [{ fixed: '1.5' }, { introduced: '2.0' }, { introduced: '1.0' }, { fixed: '2.1' }]),
    ];
    expect(ids(values, '1.4')).toEqual(['A']);
    expect(ids(values, '1.6')).toEqual([]);
    expect(ids(values, '2.0.1')).toEqual(['A']);
  });

  it('matches versions[] entries by PEP 440 equality, ignores GIT ranges and skips withdrawn records', () => {
    const listed = {
      id: 'LISTED',
      modified: '2024-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'demo.pkg' },
          ranges: [{ type: 'GIT', events: [{ introduced: '0' }, { fixed: 'abc123' }] }],
          versions: ['2.0', 'not-pep440'],
        },
      ],
    };
    const withdrawn = record('GONE', [{ introduced: '0' }], { withdrawn: '2024-02-01T00:00:00Z' });
    expect(ids([listed, withdrawn], '2.0.0')).toEqual(['LISTED']);
    expect(ids([listed, withdrawn], 'not-pep440')).toEqual(['LISTED']);
    expect(ids([listed, withdrawn], '2.1')).toEqual([]);
  });

  it('leaves out ranges whose versions cannot be ordered, and counts them', () => {
    const index = buildIndex([recordOf(record('BAD', [{ introduced: 'banana' }, { fixed: '2.0' }]))], 'test');
    expect(index.skippedRanges).toBe(1);
    expect(matchPackage(index, 'demo-pkg', '1.0')).toEqual([]);
  });

  it('treats prototype names as packages, in a fresh index and one read back from JSON', () => {
    const index = buildIndex([recordOf(record('A', [{ introduced: '0' }]))], 'test');
    const revived = JSON.parse(JSON.stringify(index)) as typeof index;
    for (const name of ['constructor', '__proto__', 'tostring', 'hasownproperty'])
      for (const each of [index, revived]) {
        expect(matchPackage(each, name, '1.0')).toEqual([]);
        expect(smallestSafeUpgrade(each, name, [])).toBeUndefined();
      }
  });

  it('shows the events that matched and the fix', () => {
    const index = buildIndex([recordOf(record('A', [{ introduced: '0' }, { fixed: '1.2' }]))], 'test');
    const [match] = matchPackage(index, 'demo-pkg', '1.0');
    expect(match === undefined ? '' : describeMatch(match)).toBe('introduced 0, fixed 1.2');
    expect(match?.fixedIn).toBe('1.2');
  });
});

describe('alias groups and upgrades', () => {
  const values = [
    record('PYSEC-2024-1', [{ introduced: '0' }, { fixed: '1.2' }], { aliases: ['CVE-2024-1'] }),
    record('GHSA-aaaa-bbbb-cccc', [{ introduced: '0' }, { fixed: '1.2.1' }], {
      aliases: ['CVE-2024-1'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    }),
    record('PYSEC-2024-2', [{ introduced: '1.0' }, { fixed: '1.3' }]),
    record('PYSEC-2024-3', [{ introduced: '1.3' }, { fixed: '1.4' }]),
    record('MAL-2024-9', [{ introduced: '0' }], { aliases: [] }),
  ];
  const index = buildIndex(values.map(recordOf), 'test');

  it('reports records that alias each other as one group with every id', () => {
    const groups = groupMatches(matchPackage(index, 'demo-pkg', '1.1'));
    const merged = groups.find((group) => group.id === 'GHSA-aaaa-bbbb-cccc');
    expect(merged).toMatchObject({ aliases: ['CVE-2024-1', 'PYSEC-2024-1'], severity: 'critical' });
    expect(groups.map((group) => group.id).sort()).toEqual([
      'GHSA-aaaa-bbbb-cccc',
      'MAL-2024-9',
      'PYSEC-2024-2',
    ]);
    expect(groups.find((group) => group.id === 'MAL-2024-9')?.malicious).toBe(true);
  });

  it('finds the smallest upgrade that no advisory affects, stepping over a fix that is itself affected', () => {
    const matches = matchPackage(index, 'demo-pkg', '1.1').filter((match) => !match.advisory.malicious);
    // 1.3 fixes PYSEC-2024-2 but PYSEC-2024-3 opens at 1.3, so the answer is its fix.
    expect(smallestSafeUpgrade(buildIndex(values.slice(0, 4).map(recordOf), 't'), 'demo-pkg', matches)).toBe(
      '1.4',
    );
    expect(smallestSafeUpgrade(index, 'demo-pkg', matches)).toBeUndefined();
  });
});
