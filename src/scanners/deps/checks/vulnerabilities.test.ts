import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import type { RawFinding } from '../../../core/finding.js';
import { DEFAULT_LIMITS } from '../../../core/limits.js';
import { PARSERS } from '../formats/index.js';
import { readManifestInput } from '../formats/input.js';
import type { Manifest } from '../model.js';
import { vulnerabilityCheck } from './vulnerabilities.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const VULN = join(REPO, 'test/fixtures/deps/vuln');
const SHARED_DB = join(REPO, '../shared/data/pypa-advisory-db.osv.jsonl');
const FIXTURE_DB = join(VULN, 'db');

async function requirements(path: string): Promise<Manifest> {
  const parse = PARSERS.requirements;
  if (parse === undefined) throw new Error('no requirements parser');
  return parse(await readManifestInput(path, 'requirements.txt'));
}

async function manifestOf(text: string): Promise<Manifest> {
  const path = join(mkdtempSync(join(tmpdir(), 'mlsec-vuln-')), 'requirements.txt');
  writeFileSync(path, text);
  return requirements(path);
}

async function audit(manifest: Manifest, db: string | undefined): Promise<RawFinding[]> {
  const findings: RawFinding[] = [];
  await vulnerabilityCheck.run({
    manifest,
    settings: {
      limits: DEFAULT_LIMITS,
      pickle: { allowGlobals: [], denyGlobals: [] },
      deps: db === undefined ? {} : { db },
    },
    report: (finding) => findings.push(finding),
    checkDeadline: () => undefined,
  });
  return findings;
}

describe('DEP-VULN-001', () => {
  it('reports each vulnerable exact pin with ids, matched range, fixes, upgrade and data age', async () => {
    const findings = await audit(await requirements(join(VULN, 'vulnerable/requirements.txt')), SHARED_DB);
    expect(new Set(findings.map((finding) => finding.package))).toEqual(
      new Set(['fastapi==0.88.0', 'pillow==9.0.0', 'torch==1.13.0']),
    );
    expect(findings.every((finding) => finding.ruleId === 'DEP-VULN-001')).toBe(true);
    const torch = findings.find((finding) => finding.package === 'torch==1.13.0');
    expect(torch).toMatchObject({
      line: 5,
      pin: { name: 'torch', version: '1.13.0' },
      advisory: { id: 'PYSEC-2022-43015', aliases: ['CVE-2022-45907'] },
    });
    // PYSEC records rarely carry CVSS: the rule's default (high) applies and the message says so.
    expect(torch?.severity).toBeUndefined();
    expect(torch?.message).toContain('Severity: not rated by the database (reported as high)');
    const fastapi = findings.find((finding) => finding.package === 'fastapi==0.88.0');
    expect(fastapi?.severity).toBe('high');
    expect(fastapi?.message).toContain('Severity: CVSS 7.5 (CVSS:3.1/');
    expect(torch?.message).toContain('Matched PYSEC-2022-43015: introduced 0, fixed 1.13.1');
    expect(torch?.message).toContain('smallest upgrade fixing the 1 advisory for torch: 1.13.1');
    expect(torch?.message).toMatch(
      /Source: pypa-advisory-db\.osv\.jsonl, newest record 2024-10-10 \(\d+ days old\)/,
    );
    const pillow = findings.filter((finding) => finding.package === 'pillow==9.0.0');
    expect(pillow.length).toBeGreaterThan(1);
    expect(pillow[0]?.message).toContain('smallest upgrade fixing all');
  });

  it('reports nothing for the patched pins, for ranges and bare names, nor without a database', async () => {
    expect(await audit(await requirements(join(VULN, 'patched/requirements.txt')), SHARED_DB)).toEqual([]);
    expect(await audit(await manifestOf('pillow>=9.0\ntorch\npillow==9.*\n'), SHARED_DB)).toEqual([]);
    expect(await audit(await requirements(join(VULN, 'vulnerable/requirements.txt')), undefined)).toEqual([]);
  });

  it('names the included file and its line for a pin that a -r file declares', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'mlsec-vuln-'));
    writeFileSync(join(folder, 'requirements.txt'), '-r base.txt\n');
    writeFileSync(join(folder, 'base.txt'), '# shared pins\ntorch==1.13.0\n');
    const findings = await audit(await requirements(join(folder, 'requirements.txt')), SHARED_DB);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.line).toBeUndefined();
    expect(findings[0]?.message).toMatch(
      /^torch==1\.13\.0 \(declared in \S*base\.txt line 2\): PYSEC-2022-43015/,
    );
  });

  it('gives records that alias each other one finding listing every id', async () => {
    const findings = await audit(await manifestOf('Pillow==8.4.0\n'), FIXTURE_DB);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: 'DEP-VULN-001',
      advisory: { id: 'GHSA-fix1-test-0001', aliases: ['CVE-2022-22817', 'PYSEC-2022-10'] },
      severity: 'critical',
    });
    expect(findings[0]?.message).toContain(
      'Fixed in 9.0.0; smallest upgrade fixing the 1 advisory for Pillow: 9.0.0',
    );
  });

  it('makes the manifest unscannable when the database cannot be loaded', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'mlsec-vuln-'));
    writeFileSync(join(folder, 'db.jsonl'), '{"id": "X"}\n');
    const error = await audit(await manifestOf('pillow==9.0.0\n'), join(folder, 'db.jsonl')).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toContain('db.jsonl:1: X.modified must be a string');
    const missing = await audit(await manifestOf('pillow==9.0.0\n'), join(folder, 'none.jsonl')).catch(
      (caught: unknown) => caught,
    );
    expect((missing as Error).message).toMatch(/OSV database .*none\.jsonl: ENOENT/);
  });
});

describe('DEP-MAL-001', () => {
  it('reports a MAL- record as malicious, for a pin and for a range when every version is covered', async () => {
    const findings = await audit(await requirements(join(VULN, 'malicious/requirements.txt')), FIXTURE_DB);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: 'DEP-MAL-001',
      package: 'torchtriton==2.0.0',
      advisory: { id: 'MAL-2022-0001', aliases: [] },
    });
    expect(findings[0]?.severity).toBeUndefined();
    const ranged = await audit(await manifestOf('torchtriton>=1.0\n'), FIXTURE_DB);
    expect(ranged.map((finding) => [finding.ruleId, finding.package])).toEqual([
      ['DEP-MAL-001', 'torchtriton'],
    ]);
  });

  it('skips withdrawn records and reports nothing for the legitimate package', async () => {
    expect(
      await audit(await requirements(join(VULN, 'malicious-clean/requirements.txt')), FIXTURE_DB),
    ).toEqual([]);
  });
});
