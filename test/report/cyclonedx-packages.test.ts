import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import type { ScanReport } from '../../src/core/report-model.js';
import { cyclonedxReporter } from '../../src/report/cyclonedx.js';
import { cyclonedxErrors } from './cyclonedx-validate.js';
import { FIXTURE_REPORT } from './fixture.js';

const SHA = 'a'.repeat(64);

/** A lock file and a requirements file declaring overlapping packages, and one vulnerability finding. */
const report: ScanReport = {
  ...FIXTURE_REPORT,
  files: [
    {
      path: 'poetry.lock',
      format: 'poetry-lock',
      verdict: 'suspicious',
      size: 900,
      findings: ['F1'],
      models: [],
      packages: [
        {
          name: 'Pillow',
          normalizedName: 'pillow',
          ecosystem: 'PyPI',
          version: '9.0.0',
          scope: 'main',
          direct: true,
          hashes: [{ algorithm: 'sha256', digest: SHA }],
          license: 'HPND',
          dependencies: [],
          line: 12,
        },
        {
          name: 'torchvision',
          normalizedName: 'torchvision',
          ecosystem: 'PyPI',
          version: '0.15.2',
          scope: 'main',
          direct: true,
          hashes: [],
          dependencies: ['pillow', 'numpy'],
          line: 40,
        },
        {
          name: 'pytest',
          normalizedName: 'pytest',
          ecosystem: 'PyPI',
          version: '8.0.0',
          scope: 'dev',
          direct: true,
          hashes: [{ algorithm: 'md5', digest: 'not-hex' }],
        },
      ],
    },
    {
      path: 'requirements.txt',
      format: 'requirements',
      verdict: 'clean',
      size: 40,
      findings: [],
      models: [],
      packages: [
        {
          name: 'pillow',
          normalizedName: 'pillow',
          ecosystem: 'PyPI',
          version: '9.0.0',
          scope: 'main',
          direct: true,
          hashes: [],
          line: 1,
        },
        {
          name: 'numpy',
          normalizedName: 'numpy',
          ecosystem: 'PyPI',
          specifier: '>=1.24',
          scope: 'main',
          direct: true,
          hashes: [],
          line: 2,
        },
      ],
    },
  ],
  findings: [
    {
      ...(FIXTURE_REPORT.findings[0] as Finding),
      id: 'F1',
      ruleId: 'DEP-VULN-001',
      location: { path: 'poetry.lock', line: 12, package: 'Pillow==9.0.0' },
      advisory: { id: 'PYSEC-2023-227', aliases: ['CVE-2023-44271', 'GHSA-8ghj-p4vj-mr35'] },
    },
  ],
};

interface Bom {
  components: {
    type: string;
    'bom-ref': string;
    name: string;
    purl?: string;
    scope?: string;
    hashes?: unknown[];
    properties: { name: string; value: string }[];
  }[];
  dependencies?: { ref: string; dependsOn: string[] }[];
  vulnerabilities: {
    id: string;
    references?: { id: string; source: { name: string } }[];
    affects: { ref: string }[];
  }[];
}

describe('cyclonedx reporter: dependencies', () => {
  const text = cyclonedxReporter(report, { color: false, cwd: '/' });
  const bom = JSON.parse(text) as Bom;
  const libraries = bom.components.filter((component) => component.type === 'library');

  it('is a valid CycloneDX 1.6 document (strict schema)', async () => {
    expect(await cyclonedxErrors(text)).toBeNull();
  });

  it('lists each exact release once with its purl, scope and hashes, and each range per declaration', () => {
    expect(libraries.map((library) => [library['bom-ref'], library.scope])).toEqual([
      ['pkg:pypi/pillow@9.0.0', 'required'],
      ['pkg:pypi/torchvision@0.15.2', 'required'],
      ['pkg:pypi/pytest@8.0.0', 'excluded'],
      ['pkg:pypi/numpy#requirements.txt:2', 'required'],
    ]);
    const pillow = libraries[0];
    expect(pillow?.hashes).toEqual([{ alg: 'SHA-256', content: SHA }]);
    expect(pillow?.properties.filter((property) => property.name === 'mlsec:declared-in')).toEqual([
      { name: 'mlsec:declared-in', value: 'poetry.lock:12' },
      { name: 'mlsec:declared-in', value: 'requirements.txt:1' },
    ]);
    // A malformed digest is left out rather than written into the SBOM.
    expect(libraries[2]?.hashes).toBeUndefined();
  });

  it('records the graph the lock file gives, within that file', () => {
    expect(bom.dependencies).toEqual([
      { ref: 'pkg:pypi/pillow@9.0.0', dependsOn: [] },
      { ref: 'pkg:pypi/torchvision@0.15.2', dependsOn: ['pkg:pypi/pillow@9.0.0'] },
    ]);
  });

  it('identifies a vulnerability by its advisory id, with the aliases as references', () => {
    expect(bom.vulnerabilities[0]?.id).toBe('PYSEC-2023-227');
    expect(bom.vulnerabilities[0]?.references).toEqual([
      { id: 'CVE-2023-44271', source: { name: 'NVD' } },
      { id: 'GHSA-8ghj-p4vj-mr35', source: { name: 'GitHub Advisory Database' } },
    ]);
  });

  it('makes a dependency finding affect the package it names and its file', () => {
    expect(bom.vulnerabilities[0]?.affects).toEqual([
      { ref: 'pkg:pypi/pillow@9.0.0' },
      { ref: 'file:poetry.lock' },
    ]);
  });
});
