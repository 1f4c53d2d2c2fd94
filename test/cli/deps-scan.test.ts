import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cyclonedxErrors } from '../report/cyclonedx-validate.js';
import { mlsec } from './run-cli.js';

/**
 * End-to-end: the built CLI (`npm test` builds first) auditing dependency files against the shared PYSEC snapshot,
 * which lives beside the repository and is never copied into it.
 */
const DB = '../shared/data/pypa-advisory-db.osv.jsonl';
const FIXTURES = 'test/fixtures/deps/cli';
const VULNERABLE = `${FIXTURES}/vulnerable/requirements.txt`;
const POETRY = `${FIXTURES}/poetry/poetry.lock`;

interface JsonReport {
  files: { path: string; format: string; verdict: string }[];
  findings: {
    ruleId: string;
    message: string;
    location: { path: string; line?: number };
    package?: { name: string; version: string };
    advisory?: { id: string; aliases: string[] };
    suppressed?: { kind: string; reason: string };
  }[];
  summary: { findings: number; suppressed: number };
  warnings: string[];
}

interface Bom {
  components: { type: string; 'bom-ref': string; name: string; purl?: string }[];
  dependencies?: { ref: string; dependsOn?: string[] }[];
  vulnerabilities?: { description?: string; affects: { ref: string }[] }[];
}

function scanJson(args: string[]): { status: number | null; report: JsonReport; stderr: string } {
  const run = mlsec(['scan', ...args, '--format', 'json', '--no-progress']);
  return { status: run.status, report: JSON.parse(run.stdout) as JsonReport, stderr: run.stderr };
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mlsec-deps-cli-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A configuration file in the scratch folder, used with `--config` so that no repository config applies. */
async function config(name: string, text: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, text);
  return path;
}

describe('mlsec scan --db on dependency files', () => {
  it('reports a vulnerable pin with its package, advisory and manifest, and exits 1', () => {
    const { status, report } = scanJson([VULNERABLE, '--db', DB]);
    expect(status).toBe(1);
    expect(report.files).toEqual([expect.objectContaining({ path: VULNERABLE, verdict: 'suspicious' })]);
    const vulnerabilities = report.findings.filter((finding) => finding.ruleId === 'DEP-VULN-001');
    expect(vulnerabilities).toHaveLength(1);
    expect(vulnerabilities[0]).toMatchObject({
      location: { path: VULNERABLE, line: 2 },
      package: { name: 'requests', version: '2.25.0' },
      advisory: { id: 'PYSEC-2023-74', aliases: ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q'] },
    });
    // What users ask to see: the range that matched and the upgrade that fixes it.
    expect(vulnerabilities[0]?.message).toContain('introduced 2.3.0, fixed 2.31.0');
    expect(vulnerabilities[0]?.message).toMatch(/smallest upgrade .*: 2\.31\.0/);
  });

  it('writes a strictly valid CycloneDX 1.6 BOM whose vulnerability affects the library component', async () => {
    const run = mlsec(['scan', VULNERABLE, '--db', DB, '--format', 'cyclonedx', '--no-progress']);
    expect(run.status).toBe(1);
    expect(await cyclonedxErrors(run.stdout)).toBeNull();
    const bom = JSON.parse(run.stdout) as Bom;
    const requests = bom.components.find((component) => component.name === 'requests');
    expect(requests).toMatchObject({ type: 'library', purl: 'pkg:pypi/requests@2.25.0' });
    const vulnerability = bom.vulnerabilities?.find((entry) => entry.description?.includes('PYSEC-2023-74'));
    expect(vulnerability?.affects.map((affected) => affected.ref)).toContain(requests?.['bom-ref']);
  });

  it('gives a poetry.lock its dependency graph in the BOM', async () => {
    const run = mlsec(['scan', POETRY, '--db', DB, '--format', 'cyclonedx', '--no-progress']);
    expect(run.status).toBe(1);
    expect(await cyclonedxErrors(run.stdout)).toBeNull();
    const bom = JSON.parse(run.stdout) as Bom;
    const requests = bom.dependencies?.find((entry) => entry.ref === 'pkg:pypi/requests@2.25.0');
    expect([...(requests?.dependsOn ?? [])].sort()).toEqual([
      'pkg:pypi/certifi@2024.7.4',
      'pkg:pypi/idna@3.7',
      'pkg:pypi/urllib3@1.26.19',
    ]);
    const vulnerability = bom.vulnerabilities?.find((entry) => entry.description?.includes('PYSEC-2023-74'));
    expect(vulnerability?.affects.map((affected) => affected.ref)).toContain('pkg:pypi/requests@2.25.0');
  });
});

describe('[[ignore]] by advisory and package', () => {
  it('suppresses a vulnerability by an alias of its advisory, with the reason', async () => {
    const file = await config(
      'advisory.toml',
      '[[ignore]]\nadvisory = "CVE-2023-32681"\nreason = "no proxies in this service"\nexpires = 2099-01-01\n',
    );
    const { status, report } = scanJson([VULNERABLE, '--db', DB, '--config', file]);
    expect(status).toBe(0);
    expect(report.summary).toMatchObject({ findings: 0, suppressed: 1 });
    expect(report.findings[0]?.suppressed).toEqual({ kind: 'config', reason: 'no proxies in this service' });
    expect(report.warnings).toEqual([]);
  });

  it('suppresses by PEP 503 package name and version', async () => {
    const file = await config(
      'package.toml',
      '[[ignore]]\npackage = "Requests==2.25"\nreason = "vendor pin"\n',
    );
    const { status, report } = scanJson([VULNERABLE, '--db', DB, '--config', file]);
    expect(status).toBe(0);
    expect(report.summary).toMatchObject({ findings: 0, suppressed: 1 });
  });

  it('stops suppressing once expired and says so', async () => {
    const file = await config(
      'expired.toml',
      '[[ignore]]\nadvisory = "PYSEC-2023-74"\nreason = "until the 2.31 upgrade"\nexpires = 2024-01-31\n',
    );
    const { status, report } = scanJson([VULNERABLE, '--db', DB, '--config', file]);
    expect(status).toBe(1);
    expect(report.summary).toMatchObject({ findings: 1, suppressed: 0 });
    expect(report.warnings).toEqual([
      'ignore entry expired on 2024-01-31 and no longer applies: advisory PYSEC-2023-74 (until the 2.31 upgrade)',
    ]);
  });

  it.each([
    ['a version range', '[[ignore]]\npackage = "requests>=2"\nreason = "x"\n', '/ignore/0/package'],
    ['an empty advisory', '[[ignore]]\nadvisory = ""\nreason = "x"\n', '/ignore/0/advisory'],
  ])('rejects %s with a configuration error', async (_, text, pointer) => {
    const file = await config('invalid.toml', text);
    const run = mlsec(['scan', VULNERABLE, '--db', DB, '--config', file]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(pointer);
  });
});

describe('hostile and broken dependency files', () => {
  it('reports a 50 MB requirements file as unscannable without crashing', async () => {
    const folder = join(scratch, 'huge');
    const path = join(folder, 'requirements.txt');
    await mkdir(folder);
    const line = 'torch==2.1.0 --hash=sha256:' + 'a'.repeat(64) + '\n';
    await writeFile(path, line.repeat(Math.ceil((50 * 1024 * 1024) / line.length)));
    const { status, report, stderr } = scanJson([path, '--db', DB]);
    expect(status).toBe(1);
    expect(report.files).toEqual([expect.objectContaining({ verdict: 'unscannable' })]);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]?.ruleId).toBe('SCAN-002');
    expect(report.findings[0]?.message).toMatch(/requirements\.txt: \d+ bytes exceeds the \d+-byte limit/);
    expect(stderr).not.toMatch(/\bat .*\.js:\d+/);
  }, 30_000);

  // `--config` keeps the broken pyproject.toml from being read as the configuration (see the test below).
  it.each([
    ['pyproject.toml', `${FIXTURES}/bad-pyproject/pyproject.toml`, /pyproject\.toml:7:5: invalid TOML/],
    ['poetry.lock', `${FIXTURES}/bad-poetry/poetry.lock`, /poetry\.lock:10:11: invalid TOML/],
    ['Pipfile.lock', `${FIXTURES}/bad-pipfile/Pipfile.lock`, /Pipfile\.lock:12: invalid JSON/],
    ['environment.yml', `${FIXTURES}/bad-conda/environment.yml`, /environment\.yml:9: .*line 9, column 4/],
  ])('makes a malformed %s unscannable (SCAN-001) with file and line', async (_, path, message) => {
    const file = await config('empty.toml', '');
    const { status, report } = scanJson([path, '--db', DB, '--config', file]);
    expect(status).toBe(1);
    expect(report.files).toEqual([expect.objectContaining({ path, verdict: 'unscannable' })]);
    expect(report.findings.map((finding) => finding.ruleId)).toEqual(['SCAN-001']);
    expect(report.findings[0]?.message).toMatch(message);
    expect(report.findings[0]?.message).toContain(path);
  });

  it('refuses a broken pyproject.toml found as the configuration with its file and line', () => {
    const run = mlsec(['scan', `${FIXTURES}/bad-pyproject`, '--db', DB]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`cannot parse `);
    expect(run.stderr).toMatch(/bad-pyproject\/pyproject\.toml: .*\n(.*\n)*7:\s+"scikit-learn~=1\.4",/);
  });

  it('names both files of a circular -r include', () => {
    const { status, report } = scanJson([`${FIXTURES}/circular`, '--db', DB]);
    expect(status).toBe(1);
    expect(report.files).toEqual([
      expect.objectContaining({ path: `${FIXTURES}/circular/requirements.txt`, verdict: 'unscannable' }),
    ]);
    expect(report.findings[0]?.ruleId).toBe('SCAN-001');
    expect(report.findings[0]?.message).toContain(
      `${FIXTURES}/circular/base.txt:2: -r requirements.txt forms an include cycle: ${FIXTURES}/circular/requirements.txt -> ${FIXTURES}/circular/base.txt -> ${FIXTURES}/circular/requirements.txt`,
    );
  });
});
