import { mkdtemp, readFile, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlsec, REPO } from './run-cli.js';

/** End-to-end: the built CLI (`npm test` builds first), with worker threads, on the bundled demo. */

interface JsonReport {
  tool: { name: string; version: string };
  files: { path: string; format: string; verdict: string; findings: string[] }[];
  findings: {
    id: string;
    ruleId: string;
    severity: string;
    confidence: string;
    message: string;
    evidence?: string;
    location: { path: string; member?: string };
    suppressed?: unknown;
  }[];
  summary: { files: number; findings: number; suppressed: number };
}

async function demoCopy(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'mlsec-cli-'));
  await mkdir(join(directory, 'models'));
  for (const name of ['clean_model.pt', 'malicious_model.pt']) {
    await copyFile(join(REPO, 'examples/demo', name), join(directory, 'models', name));
  }
  return directory;
}

describe('mlsec scan', () => {
  it('finds the malicious demo models, passes the clean ones and exits 1', () => {
    const run = mlsec(['scan', 'examples/demo', '--format', 'json']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.tool.name).toBe('mlsec');
    expect(report.files.map((file) => [file.path, file.format, file.verdict])).toEqual([
      [
        'examples/demo/.venv/lib/python3.11/site-packages/litellm-1.82.8.dist-info/METADATA',
        'dist-info',
        'clean',
      ],
      [
        'examples/demo/.venv/lib/python3.11/site-packages/litellm-1.82.8.dist-info/RECORD',
        'dist-info-record',
        'clean',
      ],
      ['examples/demo/.venv/lib/python3.11/site-packages/litellm_init.pth', 'pth', 'malicious'],
      ['examples/demo/agent_server.py', 'python', 'suspicious'],
      ['examples/demo/chat-llm/config.json', 'hf-config', 'clean'],
      ['examples/demo/chat-llm/model.safetensors', 'safetensors', 'clean'],
      ['examples/demo/chat-llm/tokenizer_config.json', 'tokenizer-config', 'malicious'],
      ['examples/demo/clean_model.pt', 'pytorch-zip', 'clean'],
      ['examples/demo/detector.onnx', 'onnx', 'malicious'],
      ['examples/demo/explore.ipynb', 'notebook', 'suspicious'],
      ['examples/demo/finetune.py', 'python', 'suspicious'],
      ['examples/demo/malicious_model.pt', 'pytorch-zip', 'malicious'],
      ['examples/demo/requirements.txt', 'requirements', 'suspicious'],
      ['examples/demo/secrets.py', 'python', 'suspicious'],
      ['examples/demo/wheelhouse/tabular_loaderx-0.4.1.tar.gz', 'sdist', 'malicious'],
    ]);
    const rules = new Set(report.findings.map((finding) => finding.ruleId));
    expect([...rules].sort()).toEqual([
      'DEP-CONF-001',
      'DEP-CONF-004',
      'DEP-PIN-001',
      'DEP-TYPO-001',
      'DEP-VULN-001',
      'ENV-PTH-001',
      'ENV-SHADOW-001',
      'MODEL-ONNX-001',
      'MODEL-PICKLE-001',
      'MODEL-TEMPLATE-001',
      'PKG-EXF-001',
      'PKG-EXF-002',
      'PKG-INST-001',
      'PKG-RISK-001',
      'PY-DES-006',
      'PY-EXE-002',
      'PY-EXE-010',
      'PY-INJ-001',
      'PY-MDL-001',
      'PY-MDL-006',
      'PY-MDL-007',
      'PY-SEC-004',
      'PY-SUP-001',
    ]);
    // The demo's token is printed in a notebook output; the report must not repeat it.
    expect(run.stdout).not.toContain('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');
    const [sql] = report.findings.filter((finding) => finding.ruleId === 'PY-INJ-001');
    expect(sql?.confidence).toBe('high');
    expect(sql?.message).toContain('parameter "owner" of a handler (@app.get)');
    const [malicious] = report.findings.filter((finding) => finding.ruleId === 'MODEL-PICKLE-001');
    expect(malicious?.evidence).toContain("posix.system('echo pwned')");
    expect(malicious?.location).toMatchObject({
      path: 'examples/demo/malicious_model.pt',
      member: 'malicious_model/data.pkl',
    });
  });

  it('prints readable text without colour when NO_COLOR is set', () => {
    const run = mlsec(['scan', 'examples/demo']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('malicious_model.pt');
    expect(run.stdout).toContain('MODEL-PICKLE-001');
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('exits 0 with --fail-on none and 2 on usage errors', () => {
    expect(mlsec(['scan', 'examples/demo', '--fail-on', 'none']).status).toBe(0);
    expect(mlsec(['scan', 'examples/demo/clean_model.pt']).status).toBe(0);
    const missing = mlsec(['scan', 'does/not/exist']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('does/not/exist');
    expect(mlsec(['scan', 'examples/demo', '--fail-on', 'severe']).status).toBe(2);
    expect(mlsec(['scan', 'examples/demo', '--workers', 'many']).status).toBe(2);
  });

  it('writes SARIF with relative URIs to --output', async () => {
    const directory = await demoCopy();
    const output = join(directory, 'out.sarif');
    const run = mlsec(['scan', 'models', '--format', 'sarif', '--output', output], directory);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const sarif = JSON.parse(await readFile(output, 'utf8')) as {
      runs: {
        results: {
          ruleId: string;
          locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
        }[];
      }[];
    };
    const uris = sarif.runs[0]?.results.map(
      (result) => result.locations[0]?.physicalLocation.artifactLocation.uri,
    );
    expect(uris).toContain('models/malicious_model.pt');
  });

  it('accepts findings through a baseline and through a reasoned ignore entry', async () => {
    const directory = await demoCopy();
    expect(mlsec(['scan', 'models', '--write-baseline', 'baseline.json'], directory).status).toBe(1);
    const baselined = mlsec(['scan', 'models', '--baseline', 'baseline.json', '--format', 'json'], directory);
    expect(baselined.status).toBe(0);
    const report = JSON.parse(baselined.stdout) as JsonReport;
    expect(report.summary.findings).toBe(0);
    expect(report.summary.suppressed).toBeGreaterThan(0);
    expect(report.files.every((file) => file.verdict === 'clean')).toBe(true);

    await writeFile(
      join(directory, '.mlsec.toml'),
      '[[ignore]]\nrule = "MODEL-PICKLE-001"\npath = "models/malicious_model.pt"\nreason = "demo payload"\nexpires = 2020-01-01\n',
    );
    const expired = mlsec(['scan', 'models'], directory);
    expect(expired.status).toBe(1);
    expect(expired.stdout).toContain('expired on 2020-01-01');
  });

  it('reports a broken baseline and a broken configuration with exit code 2', async () => {
    const directory = await demoCopy();
    await writeFile(join(directory, 'baseline.json'), '{"not": "a baseline"}');
    expect(mlsec(['scan', 'models', '--baseline', 'baseline.json'], directory).status).toBe(2);
    await writeFile(join(directory, '.mlsec.toml'), 'fail-on = [');
    const broken = mlsec(['scan', 'models'], directory);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain('.mlsec.toml');
  });
});

describe('mlsec rules', () => {
  it('lists every rule', () => {
    const run = mlsec(['rules', '--format', 'json']);
    expect(run.status).toBe(0);
    const rules = JSON.parse(run.stdout) as { id: string; docs: string }[];
    expect(rules.map((rule) => rule.id)).toContain('MODEL-PICKLE-001');
    expect(rules.every((rule) => rule.docs === `docs/rules/${rule.id}.md`)).toBe(true);
  });

  it('lists the bandit and ruff equivalents of code rules', () => {
    const run = mlsec(['rules', '--format', 'json']);
    const rules = JSON.parse(run.stdout) as {
      id: string;
      domain: string;
      bandit?: string[];
      ruff?: string[];
    }[];
    expect(rules.find((rule) => rule.id === 'PY-DES-001')).toMatchObject({
      domain: 'code',
      bandit: ['B301'],
      ruff: ['S301'],
    });
  });
});
