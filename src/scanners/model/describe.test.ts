/**
 * What the format handlers describe (ML-BOM facts, `inspect` sections) for the committed fixtures. Expected
 * numbers are worked out independently: from the file's own header where it is plain text or JSON, otherwise
 * from the generator script that wrote the fixture (named at each case).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelPart } from '../../core/model-part.js';
import { scanBytesForTest, scanFileForTest } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/model');

async function partOf(path: string, format: string, detail = true): Promise<ModelPart> {
  const { models } = await scanFileForTest(join(FIXTURES, path), { detail });
  const part = models.find((model) => model.format === format);
  if (part === undefined) throw new Error(`no ${format} part in ${JSON.stringify(models)}`);
  return part;
}

function sectionTexts(part: ModelPart, title: string): string[] {
  return part.sections?.find((section) => section.title === title)?.items.map((item) => item.text) ?? [];
}

/** The JSON header of a safetensors file, read here without the scanner. */
function safetensorsHeader(path: string): Record<string, { dtype: string; shape: number[] }> {
  const bytes = readFileSync(join(FIXTURES, path));
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[] }
  >;
}

describe('safetensors', () => {
  it('counts the tensors and the parameters their shapes declare', async () => {
    const path = 'benign/safetensors/small_model.safetensors';
    const tensors = Object.entries(safetensorsHeader(path)).filter(([name]) => name !== '__metadata__');
    const parameters = tensors.reduce((sum, [, info]) => sum + info.shape.reduce((a, b) => a * b, 1), 0);
    const part = await partOf(path, 'safetensors');
    expect(part).toMatchObject({ tensors: tensors.length, parameters });
    expect(parameters).toBe(244);
    expect(sectionTexts(part, 'tensors')).toContain('embed.weight BF16 [16,8]');
    expect(part.sections?.map((section) => section.title)).toEqual(['tensors']);
  });

  it('shows the __metadata__ format and lists the metadata', async () => {
    const part = await partOf('benign/safetensors/with_metadata.safetensors', 'safetensors');
    expect(part).toMatchObject({ tensors: 1, parameters: 16, properties: { format: 'pt' } });
    expect(sectionTexts(part, 'metadata')).toEqual(['format=pt', 'note=ünïcode ok']);
  });

  it('keeps the counts and drops the sections without detail', async () => {
    const part = await partOf('benign/safetensors/small_model.safetensors', 'safetensors', false);
    expect(part.tensors).toBe(8);
    expect(part.sections).toBeUndefined();
  });
});

describe('gguf (generate_gguf.py: two F32 tensors of 4 elements, llama metadata)', () => {
  it('records tensors, parameters and the general.* facts', async () => {
    const part = await partOf('benign/gguf/llama2_template_named_variants.gguf', 'gguf');
    expect(part).toMatchObject({
      tensors: 2,
      parameters: 8,
      properties: {
        'gguf version': '2',
        architecture: 'llama',
        name: 'tiny-llama-fixture',
        'quantization version': '2',
      },
    });
    const metadata = sectionTexts(part, 'metadata');
    expect(metadata).toHaveLength(17);
    expect(metadata).toEqual(
      expect.arrayContaining([
        'general.alignment=32',
        'llama.rope.freq_base=10000',
        'tokenizer.ggml.tokens=[5 × string]',
        'tokenizer.ggml.add_bos_token=true',
      ]),
    );
    expect(sectionTexts(part, 'tensors')).toEqual([
      'token_embd.weight ggml type 0 [4]',
      'output_norm.weight ggml type 0 [4]',
    ]);
    const titles = part.sections?.map((section) => section.title);
    expect(titles).toContain('template tokenizer.chat_template');
    expect(titles).toContain('template tokenizer.chat_template.rag');
    // One line a tag, in order, none marked in a benign template.
    const tags = part.sections?.find(
      (section) => section.title === 'template tokenizer.chat_template',
    )?.items;
    expect(tags?.[0]?.text).toMatch(/^\{%/);
    expect(tags?.every((item) => item.risk === undefined)).toBe(true);
  });

  it('marks a template that escapes the sandbox', async () => {
    const part = await partOf('malicious/gguf/cve_2024_34359_llama_drama.gguf', 'gguf');
    const tags = part.sections?.find(
      (section) => section.title === 'template tokenizer.chat_template',
    )?.items;
    const risky = tags?.filter((item) => item.risk === 'critical').map((item) => item.text) ?? [];
    expect(risky.some((text) => text.includes('__class__'))).toBe(true);
  });
});

describe('onnx (generate_onnx.py: MatMul with W 2×3, Add with B of 3, opset 13, IR 8)', () => {
  it('records graph sizes, opsets and the producer', async () => {
    const part = await partOf('benign/onnx/tiny_matmul_add.onnx', 'onnx');
    expect(part).toMatchObject({
      framework: 'onnx',
      tensors: 2,
      parameters: 9,
      properties: {
        nodes: '2',
        initializers: '2',
        opsets: 'ai.onnx 13',
        'ir version': '8',
        producer: 'mlsec-fixtures',
      },
    });
    expect(sectionTexts(part, 'operators')).toEqual(['Add × 1', 'MatMul × 1']);
    expect(sectionTexts(part, 'initializers')).toEqual(['W data type 1 [2, 3]', 'B data type 1 [3]']);
  });

  it('marks custom-domain operators and external data leaving the folder', async () => {
    const custom = await partOf('adversarial/onnx/custom_domain.onnx', 'onnx');
    expect(custom.properties?.opsets).toBe('ai.onnx 13, com.evil 1');
    expect(custom.sections?.find((section) => section.title === 'operators')?.items).toContainEqual({
      text: 'com.evil::Exfiltrate × 1',
      risk: 'medium',
    });
    const outside = await partOf('adversarial/onnx/external_parent_traversal.onnx', 'onnx');
    expect(outside.sections?.find((section) => section.title === 'external data')?.items).toEqual([
      { text: 'W → ../../etc/passwd', risk: 'high' },
    ]);
    const inside = await partOf('benign/onnx/external_data/model.onnx', 'onnx');
    expect(sectionTexts(inside, 'external data')).toEqual(['W → weights.bin', 'B → weights.bin']);
    expect(inside.parameters).toBe(9);
  });
});

describe('onnx shapes', () => {
  /** Protobuf field helpers: a varint, a length-delimited field, a varint field. */
  const varint = (value: number): number[] => {
    const bytes: number[] = [];
    for (; value >= 0x80; value = Math.floor(value / 0x80)) bytes.push((value % 0x80) | 0x80);
    return [...bytes, value];
  };
  const field = (number: number, payload: readonly number[]): number[] => [
    ...varint(number * 8 + 2),
    ...varint(payload.length),
    ...payload,
  ];
  const name = (text: string): number[] => [...new TextEncoder().encode(text)];

  it('refuses an initializer with more dimensions than any runtime accepts', async () => {
    const dims = new Array<number>(2000).fill(1).flatMap((dimension) => varint(dimension));
    const initializer = field(5, [...field(1, dims), ...field(8, name('W'))]);
    const model = Uint8Array.from(field(7, [...initializer, ...field(2, name('g'))]));
    const { findings, models } = await scanBytesForTest(model, 'model.onnx');
    expect(findings.map((finding) => finding.ruleId)).toEqual(['SCAN-002']);
    expect(models).toEqual([]);
  });
});

describe('numpy', () => {
  /** The shape in the .npy header dictionary, read here without the scanner. */
  function headerShape(path: string): number[] {
    const text = readFileSync(join(FIXTURES, path)).subarray(0, 256).toString('latin1');
    const shape = /'shape': \(([^)]*)\)/.exec(text)?.[1] ?? '';
    return shape
      .split(',')
      .filter((part) => part.trim() !== '')
      .map(Number);
  }

  it('records one array with its dtype, shape and element count', async () => {
    const path = 'benign/numpy/float32_2d.npy';
    const shape = headerShape(path);
    const part = await partOf(path, 'numpy');
    expect(part).toMatchObject({
      tensors: 1,
      parameters: shape.reduce((a, b) => a * b, 1),
      properties: { dtype: '<f4', shape: `(${shape.join(', ')})` },
    });
  });

  it('marks object arrays', async () => {
    const path = 'benign/numpy/object_strings.npy';
    const part = await partOf(path, 'numpy');
    expect(part).toMatchObject({
      parameters: headerShape(path)[0],
      properties: { dtype: '|O', shape: '(5,)' },
    });
    expect(part.sections?.[0]?.items[0]?.risk).toBe('low');
  });

  it('describes each member of an .npz', async () => {
    const { models } = await scanFileForTest(join(FIXTURES, 'benign/numpy/arrays_compressed.npz'));
    // numpy.load lists w (3, 3) <f4, b (3,) <f8, idx (4,) <i8.
    const arrays = models.filter((model) => model.format === 'numpy');
    expect(arrays.map((model) => [model.member, model.parameters, model.properties?.dtype])).toEqual([
      ['w.npy', 9, '<f4'],
      ['b.npy', 3, '<f8'],
      ['idx.npy', 4, '<i8'],
    ]);
  });
});

describe('pytorch', () => {
  it('counts the storages of a torch.save zip (4 data/ records, as Python zipfile lists them)', async () => {
    const part = await partOf('benign/torch/state_dict.pt', 'pytorch-zip');
    expect(part).toEqual({ format: 'pytorch-zip', framework: 'pytorch', properties: { storages: '4' } });
  });

  it('counts the storages of a legacy file (4 keys in its last pickle, read with pickletools)', async () => {
    const part = await partOf('benign/torch/state_dict_legacy.pt', 'pytorch-legacy');
    expect(part).toEqual({ format: 'pytorch-legacy', framework: 'pytorch', properties: { storages: '4' } });
  });
});
