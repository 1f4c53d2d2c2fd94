import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { jsonReporter } from '../../src/report/json.js';
import { FIXTURE_CWD, FIXTURE_REPORT, report } from './fixture.js';

const options = { color: true, cwd: FIXTURE_CWD };

describe('json reporter', () => {
  it('renders the fixture', async () => {
    const out = jsonReporter(FIXTURE_REPORT, options);
    expect(out.endsWith('}\n')).toBe(true);
    expect(out).toContain('\n  "files": [\n');
    await expect(out).toMatchFileSnapshot('__snapshots__/report.json');
  });

  it('keeps the documented fields in the documented order', () => {
    const parsed = JSON.parse(jsonReporter(FIXTURE_REPORT, options)) as {
      files: Record<string, unknown>[];
      findings: Record<string, unknown>[];
      summary: Record<string, unknown>;
      environments: Record<string, unknown>[];
    };
    expect(Object.keys(parsed)).toEqual(['tool', 'files', 'findings', 'summary', 'warnings', 'environments']);
    expect(Object.keys(parsed.environments[0] ?? {})).toEqual([
      'kind',
      'root',
      'python',
      'siteFolders',
      'distributions',
      'startupHooks',
    ]);
    expect(Object.keys(parsed.files[0] ?? {})).toEqual([
      'path',
      'format',
      'verdict',
      'size',
      'sha256',
      'findings',
      'models',
    ]);
    expect(Object.keys(parsed.findings[0] ?? {})).toEqual([
      'id',
      'ruleId',
      'title',
      'severity',
      'confidence',
      'message',
      'location',
      'evidence',
      'cwe',
      'owasp',
      'fix',
      'fingerprint',
    ]);
    expect(parsed.findings[0]?.location).toEqual({
      path: 'models/model.pt',
      member: 'archive/data.pkl',
      offset: 58,
    });
    expect(parsed.findings[3]?.suppressed).toEqual({
      kind: 'config',
      reason: 'Our own class, reviewed in SEC-142',
    });
    expect(Object.keys(parsed.summary)).toEqual([
      'files',
      'verdicts',
      'findings',
      'suppressed',
      'bySeverity',
      'durationMs',
    ]);
  });

  it('keeps paths and attacker-controlled text exactly as they were', () => {
    const parsed = JSON.parse(jsonReporter(FIXTURE_REPORT, options)) as {
      files: { path: string }[];
      findings: { message: string; evidence?: string }[];
    };
    expect(parsed.files.map((file) => file.path)).toEqual(FIXTURE_REPORT.files.map((file) => file.path));
    expect(parsed.findings.map(({ message, evidence }) => [message, evidence])).toEqual(
      FIXTURE_REPORT.findings.map(({ message, evidence }) => [message, evidence]),
    );
  });

  it('does not leak fields the contract does not know', () => {
    const [first] = FIXTURE_REPORT.findings;
    if (first === undefined) throw new Error('fixture has findings');
    const extended = { ...first, internalScore: 7 } as Finding;
    const out = jsonReporter(report([], [extended]), options);
    expect(out).not.toContain('internalScore');
  });

  it('lists the packages a dependency file declares', () => {
    const [file] = FIXTURE_REPORT.files;
    if (file === undefined) throw new Error('fixture has files');
    const pin = {
      name: 'requests',
      normalizedName: 'requests',
      ecosystem: 'PyPI' as const,
      version: '2.25.0',
      scope: 'main',
      direct: true,
      hashes: [],
      line: 2,
    };
    const manifest = {
      ...file,
      path: 'requirements.txt',
      format: 'requirements',
      models: [],
      packages: [pin],
    };
    const parsed = JSON.parse(jsonReporter({ ...FIXTURE_REPORT, files: [manifest] }, options)) as {
      files: { packages?: unknown[] }[];
    };
    expect(parsed.files[0]?.packages).toEqual([pin]);
  });
});
