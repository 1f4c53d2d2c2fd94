import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import { buildZip } from '../../../targets/test-archives.js';
import { loadIndex } from './cache.js';
import { loadRecords } from './load.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const FIXTURE_DB = join(REPO, 'test/fixtures/deps/vuln/db');
const SHARED_JSONL = join(REPO, '../shared/data/pypa-advisory-db.osv.jsonl');
const SHARED_YAML = join(REPO, '../shared/data/pypa-advisory-db');

function line(id: string, name = 'demo'): string {
  return JSON.stringify({
    id,
    modified: '2024-05-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: 'PyPI', name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
      },
    ],
  });
}

function temporary(): string {
  return mkdtempSync(join(tmpdir(), 'mlsec-osv-'));
}

async function failure(path: string): Promise<string> {
  const error = await loadRecords(path).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ParseError);
  return (error as ParseError).message;
}

describe('loadRecords', () => {
  it('reads a folder of OSV JSON and PyPA YAML, keeping YAML dates as strings', async () => {
    const records = await loadRecords(FIXTURE_DB);
    expect(records.map((record) => record.id).sort()).toEqual([
      'GHSA-fix1-test-0001',
      'MAL-2022-0001',
      'PYSEC-2021-999',
      'PYSEC-2022-10',
    ]);
    expect(records.find((record) => record.id === 'PYSEC-2022-10')?.modified).toBe('2022-03-01T00:00:00Z');
  });

  it('reads the shared PyPA data as YAML and as JSONL to the same records', async () => {
    const [yaml, jsonl] = await Promise.all([loadRecords(SHARED_YAML), loadRecords(SHARED_JSONL)]);
    expect(yaml).toHaveLength(2661);
    const byId = new Map(jsonl.map((record) => [record.id, record]));
    for (const record of yaml) expect(byId.get(record.id)?.affected).toEqual(record.affected);
  });

  it('reads OSV.dev all.zip members with the project zip reader', async () => {
    const folder = temporary();
    const zip = join(folder, 'all.zip');
    const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
    writeFileSync(
      zip,
      buildZip({
        members: [
          { name: 'PYSEC-1.json', data: encode(line('PYSEC-1')), method: 8 },
          { name: 'MAL-2.json', data: encode(line('MAL-2', 'evil')) },
        ],
      }),
    );
    expect((await loadRecords(zip)).map((record) => record.id)).toEqual(['PYSEC-1', 'MAL-2']);
    writeFileSync(zip, buildZip({ members: [{ name: 'X.json', data: encode('{"id": 1}') }] }));
    expect(await failure(zip)).toContain(`${zip}!X.json`);
  });

  it('fails the whole load on one bad record, naming the file and line', async () => {
    const folder = temporary();
    const jsonl = join(folder, 'db.jsonl');
    writeFileSync(jsonl, `${line('A')}\n\n${line('B').slice(0, 40)}\n`);
    expect(await failure(jsonl)).toMatch(new RegExp(`${jsonl}:3: `));
    writeFileSync(
      jsonl,
      `${line('A')}\n{"id": "B", "modified": "x", "affected": [{"ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": 1.2}]}]}]}\n`,
    );
    expect(await failure(jsonl)).toContain(
      `${jsonl}:2: B.affected[0].ranges[0].events[0].fixed must be a string`,
    );
    writeFileSync(
      join(folder, 'bad.yaml'),
      'id: PYSEC-1\nmodified: 2024-01-01\naffected:\n- package: {name: x, ecosystem: PyPI\n',
    );
    expect(await failure(folder)).toContain(`${folder}/bad.yaml`);
  });

  it('refuses YAML aliases, so that a billion-laughs record cannot expand', async () => {
    const folder = temporary();
    writeFileSync(join(folder, 'PYSEC-1.yaml'), 'id: &a PYSEC-1\nmodified: "2024-01-01"\nsummary: *a\n');
    expect(await failure(folder)).toContain(`${folder}/PYSEC-1.yaml: `);
  });

  it('refuses a file of another kind', async () => {
    const folder = temporary();
    writeFileSync(join(folder, 'db.csv'), 'id\n');
    expect(await failure(join(folder, 'db.csv'))).toContain('expected a folder');
  });
});

describe('loadIndex cache', () => {
  it('writes a cache, reuses it, and rebuilds when the source changes or the cache is corrupt', async () => {
    const folder = temporary();
    const cacheDir = join(folder, 'cache');
    const jsonl = join(folder, 'db.jsonl');
    writeFileSync(jsonl, `${line('A')}\n`);
    const first = await loadIndex(jsonl, { cacheDir });
    expect(Object.keys(first.packages)).toEqual(['demo']);
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(1);
    const cacheFile = join(cacheDir, files[0] as string);
    expect(JSON.parse(readFileSync(cacheFile, 'utf8'))).toMatchObject({ records: 1 });

    writeFileSync(jsonl, `${line('A')}\n${line('B', 'other')}\n`);
    utimesSync(jsonl, new Date(), new Date(Date.now() + 5000));
    const changed = await loadIndex(jsonl, { cacheDir });
    expect(Object.keys(changed.packages).sort()).toEqual(['demo', 'other']);
    // The stale cache of the same source is removed.
    expect(readdirSync(cacheDir)).toHaveLength(1);

    for (const file of readdirSync(cacheDir)) writeFileSync(join(cacheDir, file), '{"format": 1, "packa');
    utimesSync(jsonl, new Date(), new Date(Date.now() + 10_000));
    expect((await loadIndex(jsonl, { cacheDir })).records).toBe(2);
  });

  it('invalidates a folder cache when a record file is added', async () => {
    const folder = temporary();
    const cacheDir = join(folder, 'cache');
    const db = join(folder, 'db');
    mkdirSync(join(db, 'demo'), { recursive: true });
    writeFileSync(join(db, 'demo', 'A.json'), line('A'));
    expect((await loadIndex(db, { cacheDir })).records).toBe(1);
    writeFileSync(join(db, 'demo', 'B.json'), line('B'));
    utimesSync(db, new Date(), new Date(Date.now() + 5000));
    expect((await loadIndex(db, { cacheDir })).records).toBe(2);
  });

  it('returns the same index object for the same unchanged source within a process', async () => {
    const cacheDir = join(temporary(), 'cache');
    expect(await loadIndex(FIXTURE_DB, { cacheDir })).toBe(await loadIndex(FIXTURE_DB, { cacheDir }));
  });
});
