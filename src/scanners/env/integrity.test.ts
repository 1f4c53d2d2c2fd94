import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingContext } from '../../core/context.js';
import { LimitError } from '../../core/errors.js';
import type { RawFinding } from '../../core/finding.js';
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.js';
import { isRecordPath, scanRecord } from './integrity.js';
import { canExecute, installRootsOf, resolveEntry } from './integrity-paths.js';
import { ownPackageFolders } from './integrity-unlisted.js';

const SITE = resolve(
  import.meta.dirname,
  '../../../test/fixtures/env/integrity/venv/lib/python3.11/site-packages',
);
const DEBIAN = '/usr/lib/python3/dist-packages';

async function check(record: string, limits: Partial<Limits> = {}): Promise<RawFinding[]> {
  const context = new CollectingContext({
    limits: { ...DEFAULT_LIMITS, ...limits },
    pickle: { allowGlobals: [], denyGlobals: [] },
  });
  await scanRecord(record, { path: record, head: new Uint8Array(), size: 0 }, context);
  return context.findings;
}

const digest = (text: string): string =>
  `sha256=${createHash('sha256').update(text).digest('base64url')},${Buffer.byteLength(text)}`;

describe('isRecordPath', () => {
  it.each([
    ['venv/lib/python3.11/site-packages/a-1.0.dist-info/RECORD', true],
    ['a-1.0.dist-info/RECORD', true],
    ['a-1.0.egg-info/RECORD', false],
    ['a-1.0.dist-info/RECORD.jws', false],
    ['docs/RECORD', false],
  ])('%s → %s', (path, expected) => {
    expect(isRecordPath(path)).toBe(expected);
  });
});

describe('resolveEntry', () => {
  const roots = installRootsOf('/env/lib/python3.11/site-packages/a-1.0.dist-info/RECORD');
  it('resolves package files and pip script paths inside the prefix', () => {
    expect(roots).toEqual({ site: '/env/lib/python3.11/site-packages', prefix: '/env' });
    expect(resolveEntry(roots, 'a/__init__.py')).toMatchObject({
      inside: true,
      fromPrefix: 'lib/python3.11/site-packages/a/__init__.py',
    });
    expect(resolveEntry(roots, '../../../bin/a')).toMatchObject({ inside: true, fromPrefix: 'bin/a' });
  });
  it.each([
    '/etc/passwd',
    'C:/Windows/x.dll',
    '../../../../etc/passwd',
    '..\\..\\..\\..\\x',
    'a/../../../../../x',
  ])('refuses %s', (path) => {
    expect(resolveEntry(roots, path).inside).toBe(false);
  });
  it('classifies files that can run', () => {
    expect(canExecute('a/x.py', undefined)).toBe(true);
    expect(canExecute('a/_c.cpython-311-x86_64-linux-gnu.so', undefined)).toBe(true);
    expect(canExecute('a.libs/libz.so.1.2.13', undefined)).toBe(true);
    expect(canExecute('evil.pth', undefined)).toBe(true);
    expect(canExecute('../../../bin/tool', 'bin/tool')).toBe(true);
    expect(canExecute('a-1.0.data/scripts/tool', undefined)).toBe(true);
    expect(canExecute('a/data/table.csv', 'lib/python3.11/site-packages/a/data/table.csv')).toBe(false);
  });
  it('takes package folders from listed __init__.py files, not shared namespace folders', () => {
    const listed = new Set([
      'six.py',
      'google/protobuf/__init__.py',
      'google/protobuf/x.py',
      'np/__init__.py',
      'np/core/__init__.py',
      'a-1.dist-info/METADATA',
    ]);
    expect(ownPackageFolders(listed)).toEqual(['google/protobuf', 'np']);
  });
});

describe('scanRecord on the fixture venv', () => {
  it('is silent for the intact distribution, script in bin/ included', async () => {
    expect(await check(join(SITE, 'tidyfmt-1.2.0.dist-info/RECORD'))).toEqual([]);
  });

  it('reports the tampered module, the missing file, the dropped module and one summary', async () => {
    const findings = await check(join(SITE, 'fastjsonl-0.4.1.dist-info/RECORD'));
    expect(findings.map((one) => [one.ruleId, one.evidence])).toEqual([
      ['ENV-INT-001', 'fastjsonl/__init__.py'],
      ['ENV-INT-002', 'fastjsonl/reader.py'],
      ['ENV-INT-001', 'fastjsonl/_hook.py'],
      ['ENV-INT-003', 'fastjsonl-0.4.1.dist-info/RECORD'],
    ]);
    expect(findings[0]?.message).toMatch(/has 88 bytes where RECORD lists 54/);
    expect(findings[0]?.package).toBe('fastjsonl==0.4.1');
    expect(findings[3]?.message).toBe(
      'fastjsonl==0.4.1: 6 listed with a digest (4 verified, 1 modified, 1 missing), 2 without, 1 unlisted; 158 bytes hashed',
    );
  });
});

describe('scanRecord on hostile installs', () => {
  let root: string;
  let site: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mlsec-int-'));
    site = join(root, 'env/lib/python3.11/site-packages');
    await mkdir(join(site, 'p-1.0.dist-info'), { recursive: true });
    await mkdir(join(site, 'p'), { recursive: true });
    await writeFile(join(root, 'secret.py'), 'x = 1\n');
    await writeFile(join(site, 'p/__init__.py'), 'x = 1\n');
    await symlink(join(root, 'secret.py'), join(site, 'p/linked.py'));
    await writeFile(join(site, 'p/big.bin'), Buffer.alloc(4096));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('never opens absolute, escaping or symlinked-out paths, and reports each', async () => {
    const record = join(site, 'p-1.0.dist-info/RECORD');
    await writeFile(
      record,
      [
        `p/__init__.py,${digest('x = 1\n')}`,
        `p/linked.py,${digest('x = 1\n')}`,
        `/etc/passwd,${digest('root')}`,
        `../../../../secret.py,${digest('x = 1\n')}`,
        'p-1.0.dist-info/RECORD,,',
        '',
      ].join('\n'),
    );
    const findings = await check(record, {});
    const high = findings.filter((one) => one.ruleId === 'ENV-INT-001').map((one) => one.evidence);
    expect(high).toEqual(['/etc/passwd', '../../../../secret.py', 'p/linked.py']);
    // The unlisted data file is reported at low severity, not as a file that runs.
    expect(findings.find((one) => one.evidence === 'p/big.bin')).toMatchObject({
      ruleId: 'ENV-INT-002',
      severity: 'low',
    });
    expect(findings.find((one) => one.evidence === 'p/linked.py')?.message).toMatch(
      /outside the environment/,
    );
  });

  it('compares resolved paths, so an environment reached through a link is not outside itself', async () => {
    await symlink(join(root, 'env'), join(root, 'alias'));
    const record = join(root, 'alias/lib/python3.11/site-packages/p-1.0.dist-info/RECORD');
    await writeFile(record, `p/__init__.py,${digest('x = 1\n')}\n`);
    const findings = await check(record);
    expect(findings.filter((one) => one.evidence === 'p/__init__.py')).toEqual([]);
    expect(findings.find((one) => one.evidence === 'p/linked.py')?.ruleId).toBe('ENV-INT-001');
  });

  it('stops at the per-file and total byte limits', async () => {
    const record = join(site, 'p-1.0.dist-info/RECORD');
    const zeros = Buffer.alloc(4096);
    await writeFile(
      record,
      `p/big.bin,sha256=${createHash('sha256').update(zeros).digest('base64url')},4096\np/__init__.py,${digest('x = 1\n')}\n`,
    );
    await expect(check(record, { maxFileBytes: 1000 })).rejects.toBeInstanceOf(LimitError);
    await expect(check(record, { maxDecompressedBytes: 4097 })).rejects.toMatchObject({
      code: 'DECOMPRESSED_SIZE',
    });
    const within = await check(record);
    expect(within.filter((one) => one.evidence === 'p/big.bin' || one.evidence === 'p/__init__.py')).toEqual(
      [],
    );
  });
});

describe.runIf(existsSync(DEBIAN))("Debian's /usr/lib/python3/dist-packages (read-only)", () => {
  it('checks every RECORD without a crash and without high findings', async () => {
    const records = readdirSync(DEBIAN)
      .filter((name) => name.endsWith('.dist-info') && existsSync(join(DEBIAN, name, 'RECORD')))
      .map((name) => join(DEBIAN, name, 'RECORD'));
    const findings = (await Promise.all(records.map((record) => check(record)))).flat();
    const summary = new Map<string, number>();
    for (const one of findings) {
      const key = `${one.ruleId} ${one.severity ?? 'default'}`;
      summary.set(key, (summary.get(key) ?? 0) + 1);
    }
    console.log(`${records.length} RECORD files:`, Object.fromEntries(summary));
    for (const one of findings.filter((f) => f.severity === undefined && f.ruleId !== 'ENV-INT-003'))
      console.log(one.ruleId, one.message);
    expect(findings.filter((one) => one.ruleId === 'ENV-INT-001' && one.severity === undefined)).toEqual([]);
  });
});
