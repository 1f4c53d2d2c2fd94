import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.js';
import { runScan } from '../../core/engine.js';
import { ruleIds, scanFileForTest, verdictOf } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/model');

/** Writes `text` as an `MLmodel` file in a fresh folder and scans it. */
async function scanMlmodel(text: string): ReturnType<typeof scanFileForTest> {
  const folder = mkdtempSync(join(tmpdir(), 'mlsec-mlflow-'));
  writeFileSync(join(folder, 'MLmodel'), text);
  return scanFileForTest(join(folder, 'MLmodel'), { detail: true });
}

describe('MLflow MLmodel', () => {
  it('describes the sklearn flavour and finds nothing to report', async () => {
    const scan = await scanFileForTest(join(FIXTURES, 'benign/mlflow/sklearn_logreg/MLmodel'));
    expect(scan.format).toBe('mlflow');
    expect(scan.findings).toEqual([]);
    expect(scan.models).toEqual([
      expect.objectContaining({
        format: 'mlflow',
        framework: 'sklearn',
        properties: {
          flavors: 'python_function, sklearn',
          mlflow_version: '2.9.2',
          run_id: 'r1a2b3c4d5e6f7',
          loader_module: 'mlflow.sklearn',
          serialization_format: 'cloudpickle',
        },
      }),
    ]);
  });

  it('reports a custom loader module and its code folder', async () => {
    const { findings } = await scanFileForTest(
      join(FIXTURES, 'malicious/mlflow/custom_loader_module/MLmodel'),
    );
    expect(ruleIds(findings)).toEqual(['MODEL-MLFLOW-001', 'MODEL-MLFLOW-002']);
    expect(findings.map((finding) => finding.evidence)).toEqual(['loader_module: pwn_loader', 'code: code']);
    expect(verdictOf(findings)).toBe('suspicious');
  });

  it('reports a code path outside the model folder', async () => {
    const { findings } = await scanFileForTest(
      join(FIXTURES, 'adversarial/mlflow/code_path_outside/MLmodel'),
    );
    expect(ruleIds(findings)).toEqual(['MODEL-BUNDLE-002', 'MODEL-MLFLOW-002']);
  });

  it('fails closed on invalid YAML', async () => {
    const { findings } = await scanFileForTest(join(FIXTURES, 'adversarial/mlflow/invalid_yaml/MLmodel'));
    expect(ruleIds(findings)).toEqual(['SCAN-001']);
  });

  it.each([
    [
      'an alias bomb',
      `a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n${Array.from({ length: 12 }, (_, i) => `c${i}: &c${i} [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]`).join('\n')}\nflavors: {}\n`,
    ],
    ['no flavors', 'artifact_path: model\n'],
    ['a loader module that is not a string', 'flavors:\n  python_function:\n    loader_module: [os]\n'],
    ['text that is not UTF-8', Buffer.from([0x66, 0x3a, 0x20, 0xff, 0xfe]).toString('latin1')],
  ])('fails closed on %s', async (_, text) => {
    const { findings } = await scanMlmodel(text);
    expect(verdictOf(findings)).toBe('unscannable');
  });

  it('reports models from code and artifacts outside the folder', async () => {
    const { findings, models } = await scanMlmodel(
      [
        'flavors:',
        '  python_function:',
        '    loader_module: mlflow.pyfunc.loaders.code_model',
        '    model_code_path: agent.py',
        '    artifacts:',
        '      vocab: {path: /srv/shared/vocab.txt, uri: vocab.txt}',
        '',
      ].join('\n'),
    );
    expect(ruleIds(findings)).toEqual(['MODEL-BUNDLE-002', 'MODEL-MLFLOW-002']);
    expect(findings.map((finding) => finding.evidence)).toContain(
      'artifacts.vocab.path: /srv/shared/vocab.txt',
    );
    expect(models[0]?.sections?.[0]?.items.map((item) => item.text)).toEqual([
      'python_function.loader_module: mlflow.pyfunc.loaders.code_model',
      'python_function.model_code_path: agent.py',
      'python_function.artifacts.vocab.path: /srv/shared/vocab.txt (outside the model folder)',
    ]);
  });
});

describe('MLflow model folder', () => {
  it('scans the cloudpickled python_model next to MLmodel as a pickle', async () => {
    const folder = join(FIXTURES, 'adversarial/mlflow/pyfunc_python_model');
    const report = await runScan({ paths: [folder], config: await loadConfig(folder), workers: 0 });
    const formats = Object.fromEntries(report.files.map((file) => [basename(file.path), file.format]));
    expect(formats).toEqual({ MLmodel: 'mlflow', 'python_model.pkl': 'pickle' });
    const pickleRules = report.findings
      .filter((finding) => finding.location.path.endsWith('python_model.pkl'))
      .map((finding) => finding.ruleId);
    expect(pickleRules).toContain('MODEL-PICKLE-004');
    const verdicts = Object.fromEntries(report.files.map((file) => [basename(file.path), file.verdict]));
    expect(verdicts).toEqual({ MLmodel: 'clean', 'python_model.pkl': 'malicious' });
  });
});
