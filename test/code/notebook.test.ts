import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { runScan } from '../../src/core/engine.js';
import type { ScanReport } from '../../src/core/report-model.js';
import { sarifReporter } from '../../src/report/sarif.js';
import { textReporter } from '../../src/report/text.js';

const NOTEBOOKS = resolve(import.meta.dirname, '../fixtures/code/notebook');

interface SarifResult {
  ruleId: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
  properties: { member?: string; line?: number };
}

/** Notebooks go through the engine like any file: verdicts, cell locations in text and SARIF, fail-closed reading. */
describe('notebooks in a scan', () => {
  let directory: string;
  let report: ScanReport;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mlsec-notebook-'));
    for (const name of ['finetune_unsafe.ipynb', 'finetune_safe.ipynb'])
      await copyFile(join(NOTEBOOKS, name), join(directory, name));
    await writeFile(
      join(directory, 'truncated.ipynb'),
      '{"cells": [{"cell_type": "code", "source": ["import pi',
    );
    const rKernel = {
      cells: [],
      metadata: { kernelspec: { language: 'R' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    await writeFile(join(directory, 'analysis_r.ipynb'), JSON.stringify(rKernel));
    report = await runScan({ paths: [directory], config: await loadConfig(directory), workers: 0 });
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const verdictOf = (name: string): string | undefined =>
    report.files.find((file) => file.path.endsWith(name))?.verdict;

  it('gives each notebook its verdict, never clean when it cannot be read', () => {
    expect(report.files.find((file) => file.path.endsWith('finetune_unsafe.ipynb'))?.format).toBe('notebook');
    expect(verdictOf('finetune_unsafe.ipynb')).toBe('suspicious');
    expect(verdictOf('finetune_safe.ipynb')).toBe('clean');
    expect(verdictOf('truncated.ipynb')).toBe('unscannable');
    expect(verdictOf('analysis_r.ipynb')).toBe('unscannable');
  });

  it('shows the cell and its line in the text report', () => {
    const text = textReporter(report, { color: false, cwd: directory });
    expect(text).toMatch(/PY-MDL-001 .*\(cell 2, line 9\)/);
    expect(text).toMatch(/PY-DES-001 .*\(cell 4, line 2\)/);
  });

  it('anchors SARIF results to the notebook and names the cell in the message and properties', () => {
    const sarif = JSON.parse(sarifReporter(report, { color: false, cwd: directory })) as {
      runs: { results: SarifResult[] }[];
    };
    const result = sarif.runs[0]?.results.find((entry) => entry.ruleId === 'PY-MDL-001');
    expect(result?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'finetune_unsafe.ipynb', uriBaseId: '%SRCROOT%' },
      region: { startLine: 1 },
    });
    expect(result?.message.text).toContain('Location: cell 2, line 9');
    expect(result?.properties).toMatchObject({ member: 'cell 2', line: 9 });
  });
});
