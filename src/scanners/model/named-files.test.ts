import { gzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTar, buildZip } from '../../targets/test-archives.js';
import { MAX_MLMODEL_BYTES } from './mlflow.js';
import { ruleIds, scanBytesForTest, scanFileForTest, verdictOf } from './test-support.js';

/**
 * Files claimed by name (MLmodel, config.json, weights indexes, tokenizer_config.json, Jinja templates) met as
 * archive members get the checks the same files get on disk, with findings and model parts naming the member.
 */
const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/model');
const encoder = new TextEncoder();
const text = (value: string): Uint8Array => encoder.encode(value);

const PAYLOAD_TEMPLATE =
  "{% for x in ().__class__.__base__.__subclasses__() %}{% if 'warning' in x.__name__ %}" +
  "{{ x()._module.__builtins__['__import__']('os').popen('echo pwned').read() }}{% endif %}{% endfor %}";

function mlmodel(python_function: string): Uint8Array {
  return text(
    `artifact_path: model\nflavors:\n  python_function:\n${python_function}mlflow_version: 2.9.2\n`,
  );
}

describe('folder bundle fixtures', () => {
  it('finds the CVE-2024-34359 chat template in a tar.gz of a Hugging Face repository', async () => {
    const { findings, models } = await scanFileForTest(
      resolve(FIXTURES, 'malicious/bundle/hf_chat_template_cve_2024_34359.tar.gz'),
    );
    expect(verdictOf(findings)).toBe('malicious');
    expect(findings).toContainEqual(
      expect.objectContaining({
        ruleId: 'MODEL-TEMPLATE-001',
        member: 'tiny-chat/tokenizer_config.json',
        message: expect.stringContaining('chat_template') as unknown,
      }),
    );
    expect(models).toContainEqual(
      expect.objectContaining({
        member: 'tiny-chat/config.json',
        format: 'hf-config',
        framework: 'transformers',
      }),
    );
  });

  it('leaves the benign twin clean and describes its members with detail', async () => {
    const { findings, models } = await scanFileForTest(
      resolve(FIXTURES, 'benign/bundle/hf_chat_template.tar.gz'),
      {
        detail: true,
      },
    );
    expect(findings).toEqual([]);
    expect(models).toContainEqual(
      expect.objectContaining({ member: 'tiny-chat/tokenizer_config.json', format: 'tokenizer-config' }),
    );
  });

  it('reports the custom loader module of a zipped MLflow folder as on disk', async () => {
    const { findings, models } = await scanFileForTest(
      resolve(FIXTURES, 'malicious/bundle/mlflow_custom_loader_module.zip'),
    );
    expect(ruleIds(findings)).toEqual(['MODEL-MLFLOW-001', 'MODEL-MLFLOW-002']);
    expect(findings.every((finding) => finding.member === 'custom_loader_module/MLmodel')).toBe(true);
    expect(verdictOf(findings)).toBe('suspicious');
    expect(models).toContainEqual(
      expect.objectContaining({
        member: 'custom_loader_module/MLmodel',
        format: 'mlflow',
        properties: expect.objectContaining({ loader_module: 'pwn_loader' }) as unknown,
      }),
    );
  });

  it('reports auto_map in the config.json of a tarred Hugging Face repository', async () => {
    const { findings } = await scanFileForTest(resolve(FIXTURES, 'adversarial/bundle/hf_remote_code.tar'));
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'MODEL-HF-001',
        member: 'tiny-remote/config.json',
        evidence: 'auto_map: modeling_tiny.py',
      }),
    ]);
    expect(verdictOf(findings)).toBe('suspicious');
  });
});

describe('paths of archived model folders', () => {
  it('checks MLmodel paths against the member’s own folder and says whether they leave the archive', async () => {
    const tar = buildTar([
      {
        name: 'repo/MLmodel',
        data: mlmodel('    code: ../../x\n    data: ../shared\n    loader_module: mlflow.sklearn\n'),
      },
    ]);
    const { findings } = await scanBytesForTest(tar, 'model.tar');
    const outside = findings.filter((finding) => finding.ruleId === 'MODEL-BUNDLE-002');
    expect(outside).toEqual([
      expect.objectContaining({
        member: 'repo/MLmodel',
        evidence: 'code: ../../x',
        message: expect.stringContaining('(and outside the archive)') as unknown,
      }),
      expect.objectContaining({
        member: 'repo/MLmodel',
        evidence: 'data: ../shared',
        message: expect.stringContaining('(but inside the archive)') as unknown,
      }),
    ]);
  });

  it('checks weight_map shards of an index in a nested archive', async () => {
    const index = JSON.stringify({
      weight_map: { 'a.weight': 'model-1.safetensors', 'b.weight': '/tmp/x.bin' },
    });
    const inner = buildZip({
      members: [{ name: 'm/model.safetensors.index.json', data: text(index), method: 8 }],
    });
    const outer = gzipSync(buildTar([{ name: 'bundle/inner.zip', data: inner }]));
    const { findings, models } = await scanBytesForTest(outer, 'outer.tar.gz');
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'MODEL-BUNDLE-002',
        member: 'bundle/inner.zip!m/model.safetensors.index.json',
        evidence: '/tmp/x.bin',
      }),
    ]);
    expect(models).toContainEqual(
      expect.objectContaining({
        member: 'bundle/inner.zip!m/model.safetensors.index.json',
        format: 'hf-index',
      }),
    );
  });
});

describe('limits and names of claimed members', () => {
  it('fails closed on an MLmodel member over its bound', async () => {
    const padding = '#'.repeat(MAX_MLMODEL_BYTES);
    const tar = buildTar([{ name: 'repo/MLmodel', data: mlmodel(`    loader_module: pwn\n${padding}\n`) }]);
    const { findings } = await scanBytesForTest(tar, 'model.tar');
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'SCAN-002', member: 'repo/MLmodel', evidence: 'MEMORY' }),
    ]);
    expect(verdictOf(findings)).toBe('unscannable');
  });

  it('finds a payload in a stand-alone Jinja template member', async () => {
    const zip = buildZip({
      members: [{ name: 'repo/chat_template.jinja', data: text(PAYLOAD_TEMPLATE), method: 8 }],
    });
    const { findings } = await scanBytesForTest(zip, 'repo.zip');
    expect(findings).toContainEqual(
      expect.objectContaining({ ruleId: 'MODEL-TEMPLATE-001', member: 'repo/chat_template.jinja' }),
    );
  });

  it('reads a template member by its name even when its bytes start like a pickle, as on disk', async () => {
    // `(` is pickle's MARK: by bytes alone this member would be a (broken) protocol-0 pickle.
    const zip = buildZip({
      members: [{ name: 'repo/chat_template.jinja', data: text(`(.${PAYLOAD_TEMPLATE}`) }],
    });
    const { findings } = await scanBytesForTest(zip, 'repo.zip');
    expect(ruleIds(findings)).toEqual(expect.arrayContaining(['MODEL-TEMPLATE-001']));
    expect(ruleIds(findings)).not.toContain('SCAN-001');
  });

  it('leaves a config.json that is no model config alone, as on disk', async () => {
    const editor = buildZip({
      members: [{ name: '.vscode/config.json', data: text('{"editor.tabSize": 2}') }],
    });
    const { findings, models } = await scanBytesForTest(editor, 'settings.zip');
    expect(findings).toEqual([]);
    expect(models.filter((part) => part.member !== undefined)).toEqual([]);
  });
});
