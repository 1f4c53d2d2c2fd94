import * as CDX from '@cyclonedx/cyclonedx-library';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlsec, REPO } from './run-cli.js';

const MALICIOUS_PICKLE = 'test/fixtures/model/malicious/pickle_reduce_posix_system_p4.pkl';
const DEMO_MALICIOUS = 'examples/demo/malicious_model.pt';

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(join(REPO, path)))
    .digest('hex');
}

interface InspectJson {
  files: {
    path: string;
    verdict: string;
    sha256: string;
    models: {
      member?: string;
      format: string;
      sections: { title: string; items: { text: string; risk?: string }[] }[];
    }[];
    findings: { ruleId: string }[];
  }[];
}

describe('mlsec inspect', () => {
  it('shows the pickle program of a malicious pickle with the payload marked, and exits 0', async () => {
    const run = mlsec(['inspect', MALICIOUS_PICKLE]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('malicious');
    expect(run.stdout).toContain(`sha256: ${await sha256Of(MALICIOUS_PICKLE)}`);
    expect(run.stdout).toMatch(/! .*posix\.system\('echo pwned'\)/);
    expect(run.stdout).toContain('MODEL-PICKLE-001');
  });

  it('writes the same view as JSON, with the risky program line flagged', () => {
    const run = mlsec(['inspect', DEMO_MALICIOUS, '--format', 'json']);
    expect(run.status).toBe(0);
    const [file] = (JSON.parse(run.stdout) as InspectJson).files;
    expect(file?.verdict).toBe('malicious');
    const program = file?.models
      .flatMap((model) => model.sections)
      .find((section) => section.title === 'program');
    const risky = program?.items.filter((item) => item.risk !== undefined).map((item) => item.text);
    expect(risky?.some((text) => text.includes("posix.system('echo pwned')"))).toBe(true);
    expect(file?.findings.map((finding) => finding.ruleId)).toContain('MODEL-PICKLE-001');
  });

  it('shows a chat template tag by tag, with the sandbox escape marked', () => {
    const run = mlsec(['inspect', 'examples/demo/chat-llm/tokenizer_config.json']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('template chat_template');
    expect(run.stdout).toContain('! {% for c in [].__class__.__base__.__subclasses__() %}');
    expect(run.stdout).toMatch(/^ {6}\{% for message in messages %\}$/m);
  });

  it('shows the structure of other formats: ONNX operators and its external data marked', () => {
    const run = mlsec(['inspect', 'examples/demo/detector.onnx', '--format', 'json']);
    expect(run.status).toBe(0);
    const [file] = (JSON.parse(run.stdout) as InspectJson).files;
    const sections = file?.models.flatMap((model) => model.sections) ?? [];
    expect(sections.map((section) => section.title)).toEqual(
      expect.arrayContaining(['operators', 'external data']),
    );
    const external = sections.find((section) => section.title === 'external data');
    expect(
      external?.items.some((item) => item.risk !== undefined && item.text.includes('../../.ssh/id_rsa')),
    ).toBe(true);
  });

  it('refuses directories and files that are not models, with exit code 2', () => {
    const folder = mlsec(['inspect', 'examples/demo']);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toContain('inspect takes one file');
    const readme = mlsec(['inspect', 'README.md']);
    expect(readme.status).toBe(2);
    expect(readme.stderr).toContain('not a model');
    expect(mlsec(['inspect', 'does/not/exist.pt']).status).toBe(2);
  });
});

describe('mlsec scan --format cyclonedx', () => {
  it('writes a valid CycloneDX 1.6 ML-BOM of the demo with hashes and VEX states', async () => {
    const run = mlsec(['scan', 'examples/demo', '--format', 'cyclonedx']);
    expect(run.status).toBe(1);
    const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);
    expect(await validator.validate(run.stdout)).toBeNull();
    const bom = JSON.parse(run.stdout) as {
      components: { type: string; name: string; hashes?: { alg: string; content: string }[] }[];
      vulnerabilities: { id: string; analysis: { state: string }; affects: { ref: string }[] }[];
    };
    const malicious = bom.components.find((component) => component.name === DEMO_MALICIOUS);
    expect(malicious?.type).toBe('machine-learning-model');
    expect(malicious?.hashes).toEqual([{ alg: 'SHA-256', content: await sha256Of(DEMO_MALICIOUS) }]);
    expect(
      bom.vulnerabilities.find(
        (vulnerability) =>
          vulnerability.id === 'MODEL-PICKLE-001' &&
          vulnerability.affects[0]?.ref === `file:${DEMO_MALICIOUS}`,
      )?.analysis.state,
    ).toBe('exploitable');
  });
});
