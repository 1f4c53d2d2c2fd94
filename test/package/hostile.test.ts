import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleById } from '../../src/core/registry.js';
import { VERDICTS } from '../../src/core/verdict.js';
import { verdictOf } from '../../src/scanners/model/test-support.js';
import { scanPackageForTest } from '../../src/scanners/package/test-support.js';
import { buildZip } from '../../src/targets/test-archives.js';
import { mutate, random } from '../support/mutate.js';

const PACKAGES = resolve(import.meta.dirname, '../fixtures/package');
const HOSTILE = join(PACKAGES, 'hostile');
const encoder = new TextEncoder();

describe('hostile package archives get clear findings, never a crash', () => {
  it('reports decompression bombs as unscannable, naming the limit', async () => {
    for (const name of ['bomb-1.0-py3-none-any.whl', 'bomb-1.0.tar.gz']) {
      const { findings } = await scanPackageForTest(join(HOSTILE, name));
      expect(
        findings.map((finding) => finding.ruleId),
        name,
      ).toEqual(['SCAN-002']);
      expect(findings[0]?.message).toContain('COMPRESSION_RATIO');
      expect(findings[0]?.message, 'messages name the file as scanned, not its absolute path').not.toContain(
        PACKAGES,
      );
    }
  });

  it('reports every escape, loop, device and duplicate of a tar sdist, and scores it as likely malicious', async () => {
    const { findings } = await scanPackageForTest(join(HOSTILE, 'slip-1.0.tar.gz'));
    const escapes = findings.filter((finding) => finding.ruleId === 'PKG-ARC-001');
    expect(escapes.map((finding) => finding.member).sort()).toEqual([
      '/tmp/slip-absolute.txt',
      'slip-1.0/../../.bashrc',
      'slip-1.0/loop-a',
      'slip-1.0/loop-b',
      'slip-1.0/passwd',
      'slip-1.0/pipe',
      'slip-1.0/self',
      'slip-1.0/setup.py',
      'slip-1.0/ssh',
    ]);
    expect(verdictOf(findings)).toBe('malicious');
  });

  it('reports zip-slip names and a link member of a wheel', async () => {
    const { findings } = await scanPackageForTest(join(HOSTILE, 'slip-1.0-py3-none-any.whl'));
    expect(
      findings.filter((finding) => finding.ruleId === 'PKG-ARC-001').map((finding) => finding.evidence),
    ).toEqual(['../../slip_escape.py', '/tmp/slip_absolute.py', 'slip/config -> ../../../../etc/passwd']);
  });

  it('reads a wheel of 100,000 members to the end in bounded time, and reports it unscannable past the limit', async () => {
    const members = Array.from({ length: 100_000 }, (_, index) => ({
      name: `many/m${index}.txt`,
      data: encoder.encode(String(index)),
    }));
    members.push({ name: 'many-1.0.dist-info/METADATA', data: encoder.encode('Name: many\nVersion: 1.0\n') });
    const path = join(mkdtempSync(join(tmpdir(), 'mlsec-many-')), 'many-1.0-py3-none-any.whl');
    writeFileSync(path, buildZip({ members }));
    const started = performance.now();
    const full = await scanPackageForTest(path);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(full.format).toBe('wheel');
    expect(full.findings.filter((finding) => finding.ruleId.startsWith('SCAN'))).toEqual([]);
    const limited = await scanPackageForTest(path, { limits: { maxArchiveMembers: 50_000 } });
    expect(limited.findings.map((finding) => finding.evidence)).toContain('MEMBER_COUNT');
  }, 60_000);
});

describe('fuzzing the package scanner with mutated real archives', () => {
  const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
  const CASES = Number(process.env.FUZZ_CASES ?? 2000);
  const CASE_TIME_LIMIT_MS = 3000;
  const seeds = ['dist', 'hostile']
    .flatMap((folder) => readdirSync(join(PACKAGES, folder)).map((name) => join(PACKAGES, folder, name)))
    .filter((path) => /\.(whl|tar\.gz)$/.test(path) && !path.includes('bomb'))
    .sort();

  it(`gives ${CASES} mutated wheels and sdists a verdict without escaping exceptions or hangs (seed ${SEED})`, async () => {
    expect(seeds.length).toBeGreaterThan(8);
    const next = random(SEED);
    const contents = seeds.map((path) => readFileSync(path));
    const directory = mkdtempSync(join(tmpdir(), 'mlsec-package-fuzz-'));
    const counts = Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0]));
    for (let index = 0; index < CASES; index++) {
      const which = Math.floor(next() * seeds.length);
      const seed = seeds[which] ?? '';
      const path = join(directory, `${index}-${seed.slice(seed.lastIndexOf('/') + 1)}`);
      writeFileSync(path, mutate(contents[which] ?? new Uint8Array(0), next));
      const started = performance.now();
      let result;
      try {
        result = await scanPackageForTest(path, { limits: { timeoutMs: CASE_TIME_LIMIT_MS } });
      } catch (error) {
        throw new Error(`case ${index} (${seed}) threw: ${String(error)}`, { cause: error });
      }
      expect(performance.now() - started, `case ${index} (${seed})`).toBeLessThan(CASE_TIME_LIMIT_MS);
      expect(result.format, `case ${index} (${seed}) was not claimed`).toBeDefined();
      for (const finding of result.findings) {
        expect(ruleById(finding.ruleId), `case ${index}: unknown rule ${finding.ruleId}`).toBeDefined();
      }
      const verdict = verdictOf(result.findings);
      counts[verdict] = (counts[verdict] ?? 0) + 1;
    }
    // Compressed archives rarely survive a mutation: most cases must end unscannable or worse.
    expect((counts.unscannable ?? 0) + (counts.malicious ?? 0)).toBeGreaterThan(CASES / 2);
  }, 300_000);
});
