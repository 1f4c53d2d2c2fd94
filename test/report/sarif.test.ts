import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { artifactUri } from '../../src/report/artifact-uri.js';
import { sarifReporter } from '../../src/report/sarif.js';
import { FIXTURE_CWD, FIXTURE_REPORT, report } from './fixture.js';

const SCHEMA_SHA256 = '1c49a0f2b60444c71bb14878e21e0d882198eff4c539861b133093ad89ed798c';
const schemaText = readFileSync(new URL('sarif-schema-2.1.0.json', import.meta.url), 'utf8');
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateSarif = ajv.compile(JSON.parse(schemaText) as object);

interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: object } }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; justification: string }[];
  properties: Record<string, unknown>;
}
interface Rule {
  id: string;
  helpUri: string;
  help: { text: string; markdown: string };
  defaultConfiguration: { level: string };
  properties: { tags: string[]; precision: string; 'security-severity': string };
}
interface Log {
  runs: {
    tool: { driver: { name: string; version: string; informationUri: string; rules: Rule[] } };
    automationDetails: { id: string };
    results: Result[];
  }[];
}

function render(cwd = FIXTURE_CWD, scan = FIXTURE_REPORT): { text: string; run: Log['runs'][number] } {
  const text = sarifReporter(scan, { color: true, cwd });
  const log = JSON.parse(text) as Log;
  const [run] = log.runs;
  if (run === undefined || log.runs.length !== 1) throw new Error('expected exactly one run');
  return { text, run };
}

function expectValid(text: string): void {
  const valid = validateSarif(JSON.parse(text));
  expect(ajv.errorsText(validateSarif.errors)).toBe('No errors');
  expect(valid).toBe(true);
}

describe('sarif reporter', () => {
  it('vendors the schema unchanged', () => {
    expect(createHash('sha256').update(schemaText).digest('hex')).toBe(SCHEMA_SHA256);
  });

  it('renders the fixture as schema-valid SARIF 2.1.0', async () => {
    const { text } = render();
    expectValid(text);
    await expect(text).toMatchFileSnapshot('__snapshots__/report.sarif');
  });

  it('is checked by a validator that does reject an invalid log', () => {
    const log = JSON.parse(render().text) as { runs: { tool: Record<string, unknown> }[] };
    delete log.runs[0]?.tool.driver;
    expect(validateSarif(log)).toBe(false);
  });

  it('describes exactly the rules that occur, in registry order, as GitHub reads them', () => {
    const { run } = render();
    const { driver } = run.tool;
    expect(driver.name).toBe('mlsec');
    expect(driver.informationUri).toBe('https://github.com/mlsec/mlsec');
    expect(driver.rules.map((rule) => rule.id)).toEqual(['SCAN-001', 'MODEL-PICKLE-001', 'MODEL-PICKLE-002']);
    const pickle = driver.rules[1];
    expect(pickle?.helpUri).toBe('https://github.com/mlsec/mlsec/blob/main/docs/rules/MODEL-PICKLE-001.md');
    expect(pickle?.help.markdown).toContain('**Fix:** Do not load this file.');
    expect(pickle?.defaultConfiguration.level).toBe('error');
    expect(pickle?.properties).toEqual({
      tags: [
        'security',
        'model',
        'external/cwe/cwe-502',
        'external/cwe/cwe-94',
        'owasp-ml:ML06',
        'owasp-ml:ML10',
      ],
      precision: 'high',
      'security-severity': '9.5',
    });
    expect(run.automationDetails.id).toBe('mlsec/');
  });

  it('anchors each result to its file relative to the working directory', () => {
    const { run } = render();
    for (const result of run.results) {
      expect(run.tool.driver.rules[result.ruleIndex]?.id).toBe(result.ruleId);
      const { physicalLocation } = result.locations[0] ?? { physicalLocation: undefined };
      expect(physicalLocation?.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      // The OASIS text requires one of these; the 2020-12 copy of the schema no longer checks it.
      expect(physicalLocation?.region).toEqual({ startLine: 1 });
    }
    expect(run.results.map((result) => result.locations[0]?.physicalLocation.artifactLocation.uri)).toEqual([
      'models/model.pt',
      'checkpoints/broken.pkl',
      'data/weird%20names/%D0%BC%D0%BE%D0%B4%D0%B5%D0%BB%D1%8C%20%C3%BC%20%232.pkl',
      'vendor/legacy.joblib',
    ]);
  });

  it('carries member, offset, evidence and verdict, and a stable fingerprint', () => {
    const [first] = render().run.results;
    expect(first?.message.text).toBe(
      'Pickle calls posix.system, which runs a shell command when the file is loaded\n' +
        'Location: archive/data.pkl, offset 58\n' +
        "Evidence: posix.system('echo pwned')",
    );
    expect(first?.properties).toMatchObject({
      verdict: 'malicious',
      member: 'archive/data.pkl',
      offset: 58,
      evidence: "posix.system('echo pwned')",
    });
    expect(first?.partialFingerprints).toEqual({
      'mlsecFingerprint/v1': FIXTURE_REPORT.findings[0]?.fingerprint,
    });
  });

  it('marks suppressed findings as externally suppressed and only those', () => {
    const { run } = render();
    expect(run.results.map((result) => result.suppressions?.[0]?.kind)).toEqual([
      undefined,
      undefined,
      undefined,
      'external',
    ]);
    expect(run.results[3]?.suppressions?.[0]?.justification).toBe('Our own class, reviewed in SEC-142');
  });

  it('stays valid for an empty scan and for a rule this build does not know', () => {
    expectValid(render(FIXTURE_CWD, report([], [])).text);
    const [first] = FIXTURE_REPORT.findings;
    if (first === undefined) throw new Error('fixture has findings');
    const foreign: Finding = { ...first, ruleId: 'MODEL-FUTURE-999', title: 'A rule from a newer mlsec' };
    const { text, run } = render(FIXTURE_CWD, report([], [foreign]));
    expectValid(text);
    expect(run.tool.driver.rules[0]).toMatchObject({ id: 'MODEL-FUTURE-999', name: 'RuleFromNewerMlsec' });
  });
});

describe('artifactUri', () => {
  it('makes paths relative to the working directory and keeps them relative outside it', () => {
    expect(artifactUri('models/a.pkl', '/repo')).toBe('models/a.pkl');
    expect(artifactUri('/repo/models/a.pkl', '/repo')).toBe('models/a.pkl');
    expect(artifactUri('/opt/models/a.pkl', '/repo/sub')).toBe('../../opt/models/a.pkl');
    expect(artifactUri('../shared/a.pkl', '/repo')).toBe('../shared/a.pkl');
  });

  it('percent-encodes what would change the meaning of a URI reference', () => {
    expect(artifactUri('a:b/c?d#e%f g.pkl', '/repo')).toBe('a%3Ab/c%3Fd%23e%25f%20g.pkl');
    expect(artifactUri('x\u001b[2J\u0000.pkl', '/repo')).toBe('x%1B%5B2J%00.pkl');
    expect(artifactUri('bad\uD800name.pkl', '/repo')).toBe('bad%EF%BF%BDname.pkl');
  });
});
