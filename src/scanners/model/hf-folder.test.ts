import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleIds, scanFileForTest, verdictOf } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/model');

async function scanNamed(name: string, text: string): ReturnType<typeof scanFileForTest> {
  const folder = mkdtempSync(join(tmpdir(), 'mlsec-hf-'));
  writeFileSync(join(folder, name), text);
  return scanFileForTest(join(folder, name));
}

describe('Hugging Face folders', () => {
  it('reads the index of sharded weights inside the folder', async () => {
    const scan = await scanFileForTest(join(FIXTURES, 'benign/hf/sharded/model.safetensors.index.json'));
    expect(scan.format).toBe('hf-index');
    expect(scan.findings).toEqual([]);
    expect(scan.models).toEqual([
      expect.objectContaining({
        format: 'hf-index',
        properties: { shards: '2', tensors: '4', total_size: '288' },
      }),
    ]);
  });

  it.each([
    ['adversarial/hf/index_traversal/model.safetensors.index.json', '../../../outside/model.safetensors'],
    ['adversarial/hf/index_absolute/pytorch_model.bin.index.json', '/tmp/pytorch_model.bin'],
  ])('reports %s', async (path, evidence) => {
    const { findings } = await scanFileForTest(join(FIXTURES, path));
    expect(findings).toEqual([expect.objectContaining({ ruleId: 'MODEL-BUNDLE-002', evidence })]);
  });

  it('reports auto_map and names the module files', async () => {
    const { findings, models } = await scanFileForTest(
      join(FIXTURES, 'adversarial/hf/remote_code/config.json'),
    );
    expect(ruleIds(findings)).toEqual(['MODEL-HF-001']);
    expect(findings[0]?.evidence).toBe('auto_map: configuration_tiny.py, modeling_tiny.py');
    expect(models[0]).toMatchObject({ format: 'hf-config', framework: 'transformers' });
  });

  it('names tokenizer pairs and code from another repository', async () => {
    const { findings } = await scanNamed(
      'config.json',
      JSON.stringify({
        auto_map: {
          AutoModel: 'evil/repo--modeling_x.XModel',
          AutoTokenizer: ['tokenization_x.XTokenizer', null],
        },
        model_type: 'x',
      }),
    );
    expect(findings[0]?.evidence).toBe('auto_map: evil/repo--modeling_x.py, tokenization_x.py');
  });

  it('leaves config.json files that are not model configs alone', async () => {
    expect((await scanNamed('config.json', '{"editor.tabSize": 2}')).format).toBeUndefined();
    expect(
      (await scanNamed('config.json', '{"class_name": "Sequential", "config": {}}')).format,
    ).toBeUndefined();
  });

  it.each([
    ['config.json', '{"model_type": "x",'],
    ['model.safetensors.index.json', '{"metadata": {}}'],
    ['model.safetensors.index.json', '{"weight_map": {"a": 1}}'],
  ])('fails closed on %s %s', async (name, text) => {
    expect(verdictOf((await scanNamed(name, text)).findings)).toBe('unscannable');
  });
});
