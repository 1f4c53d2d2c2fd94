import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { runScan } from '../../src/core/engine.js';
import type { ScanReport } from '../../src/core/report-model.js';
import { jsonReporter } from '../../src/report/json.js';
import { sarifReporter } from '../../src/report/sarif.js';

/** A comment suppression travels from the scanner through the engine to every report format. */
describe('inline suppressions in reports', () => {
  let directory: string;
  let report: ScanReport;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mlsec-code-'));
    const source = [
      'import pickle',
      'import torch',
      'cache = pickle.loads(blob)  # nosec B301',
      'state = torch.load(path, weights_only=False)',
      '',
    ].join('\n');
    await writeFile(join(directory, 'train.py'), source);
    report = await runScan({ paths: [directory], config: await loadConfig(directory), workers: 0 });
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('counts the suppressed finding apart from the active ones', () => {
    expect(report.summary.suppressed).toBe(1);
    expect(report.summary.findings).toBe(1);
    expect(report.files[0]?.verdict).toBe('suspicious');
  });

  it('renders the inline kind in JSON and as an in-source SARIF suppression', () => {
    const options = { color: false, cwd: directory };
    const json = JSON.parse(jsonReporter(report, options)) as {
      findings: { ruleId: string; location: { line: number }; suppressed?: { kind: string } }[];
    };
    const pickle = json.findings.find((finding) => finding.ruleId === 'PY-DES-001');
    expect(pickle).toMatchObject({
      location: { line: 3 },
      suppressed: { kind: 'inline', reason: '# nosec B301' },
    });
    const sarif = JSON.parse(sarifReporter(report, options)) as {
      runs: { results: { ruleId: string; suppressions?: { kind: string }[] }[] }[];
    };
    const result = sarif.runs[0]?.results.find((entry) => entry.ruleId === 'PY-DES-001');
    expect(result?.suppressions?.[0]?.kind).toBe('inSource');
  });
});
