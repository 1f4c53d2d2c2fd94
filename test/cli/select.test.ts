import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlsec, REPO } from './run-cli.js';

/** End-to-end rule selection (`--select`, `--ignore`, `[rules]`) and `--show-suppressed` on the built CLI. */

interface JsonReport {
  files: { path: string; verdict: string }[];
  findings: { ruleId: string; suppressed?: unknown }[];
}

function scanJson(args: string[], cwd = REPO): { status: number | null; report: JsonReport } {
  const run = mlsec(['scan', ...args, '--format', 'json'], cwd);
  return { status: run.status, report: JSON.parse(run.stdout) as JsonReport };
}

function ruleIds(report: JsonReport): string[] {
  return [...new Set(report.findings.map((finding) => finding.ruleId))].sort();
}

function verdictOf(report: JsonReport, path: string): string | undefined {
  return report.files.find((file) => file.path === path)?.verdict;
}

/** The two demo PyTorch models in a fresh directory, where a configuration file can be written. */
async function pickleDemo(config?: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'mlsec-select-'));
  await mkdir(join(directory, 'models'));
  for (const name of ['clean_model.pt', 'malicious_model.pt']) {
    await copyFile(join(REPO, 'examples/demo', name), join(directory, 'models', name));
  }
  if (config !== undefined) await writeFile(join(directory, '.mlsec.toml'), config);
  return directory;
}

describe('mlsec scan rule selection', () => {
  it('--select keeps only the matching rules, and verdicts follow', () => {
    const { status, report } = scanJson(['examples/demo', '--select', 'MODEL-PICKLE']);
    expect(status).toBe(1);
    expect(ruleIds(report)).toEqual(['MODEL-PICKLE-001']);
    expect(verdictOf(report, 'examples/demo/detector.onnx')).toBe('clean');
    expect(verdictOf(report, 'examples/demo/finetune.py')).toBe('clean');
    expect(verdictOf(report, 'examples/demo/malicious_model.pt')).toBe('malicious');
  });

  it('--ignore is comma-separated and repeatable; the more specific --select wins', () => {
    const ignored = scanJson([
      'examples/demo',
      '--ignore',
      'PY,MODEL-ONNX',
      '--ignore',
      'MODEL-TEMPLATE-001,DEP,ENV,PKG',
    ]);
    expect(ruleIds(ignored.report)).toEqual(['MODEL-PICKLE-001']);
    const specific = scanJson(['examples/demo', '--select', 'PY-MDL-001', '--ignore', 'PY']);
    expect(ruleIds(specific.report)).toEqual(['PY-MDL-001']);
  });

  it('--select ALL reports at least the default rules', () => {
    const all = ruleIds(scanJson(['examples/demo', '--select', 'ALL']).report);
    const defaults = ruleIds(scanJson(['examples/demo']).report);
    expect(all).toEqual(expect.arrayContaining(defaults));
  });

  it('keeps reporting unscannable files whatever is selected', () => {
    const truncated = 'test/fixtures/model/adversarial/stream/truncated_no_stop.pkl';
    const { status, report } = scanJson([truncated, '--select', 'PY']);
    expect(status).toBe(1);
    expect(ruleIds(report)).toEqual(['SCAN-001']);
    const refused = mlsec(['scan', truncated, '--ignore', 'SCAN-001']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('cannot ignore "SCAN-001"');
  });

  it('rejects an unknown selector with exit code 2, naming it', () => {
    const run = mlsec(['scan', 'examples/demo', '--select', 'MODEL-PICKLE,PY-NOPE']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown rule selector "PY-NOPE" in the command line');
  });

  it('reads [rules] from the configuration file; --select on the command line replaces it', async () => {
    const directory = await pickleDemo('[rules]\nignore = ["MODEL-PICKLE"]\n');
    const configured = scanJson(['models'], directory);
    expect(configured.status).toBe(0);
    expect(configured.report.findings).toEqual([]);
    const overridden = scanJson(['models', '--select', 'MODEL-PICKLE-001'], directory);
    expect(overridden.status).toBe(1);
    expect(ruleIds(overridden.report)).toEqual(['MODEL-PICKLE-001']);

    const unknown = await pickleDemo('[rules]\nselect = ["MODEL-NOPE"]\n');
    const run = mlsec(['scan', 'models'], unknown);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown rule selector "MODEL-NOPE" in .*\.mlsec\.toml/);
  });
});

describe('mlsec scan --show-suppressed', () => {
  it('lists suppressed findings with their kind and reason instead of only counting them', async () => {
    const directory = await pickleDemo(
      '[[ignore]]\nrule = "MODEL-PICKLE-001"\npath = "models/malicious_model.pt"\nreason = "demo payload"\n',
    );
    const counted = mlsec(['scan', 'models'], directory);
    expect(counted.status).toBe(0);
    expect(counted.stdout).toContain('1 suppressed');
    expect(counted.stdout).not.toContain('MODEL-PICKLE-001');

    const listed = mlsec(['scan', 'models', '--show-suppressed'], directory);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain('MODEL-PICKLE-001');
    expect(listed.stdout).toContain('suppressed (config): demo payload');
    expect(listed.stdout).not.toContain('not shown');
  });
});

describe('mlsec rules', () => {
  it('says which rules are on by default', () => {
    const run = mlsec(['rules', '--format', 'json']);
    const rules = JSON.parse(run.stdout) as { id: string; enabledByDefault: boolean }[];
    expect(rules.find((rule) => rule.id === 'SCAN-001')?.enabledByDefault).toBe(true);
    expect(rules.every((rule) => typeof rule.enabledByDefault === 'boolean')).toBe(true);
  });
});
