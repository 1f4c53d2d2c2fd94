import { describe, expect, it } from 'vitest';
import { classifyHead, hasModelExtension } from './classify.js';
import { TEMPLATE_SANDBOX_ESCAPE, TEMPLATE_SUSPICIOUS } from './rules.js';
import { ruleIds, scanBytesForTest, verdictOf } from './test-support.js';

const u32 = (value: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value);
  return out;
};
const u64 = (value: bigint | number): Buffer => {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt(value));
  return out;
};
const str = (text: string): Buffer => Buffer.concat([u64(Buffer.byteLength(text)), Buffer.from(text)]);
const kvString = (key: string, value: string): Buffer => Buffer.concat([str(key), u32(8), str(value)]);

function gguf(kvs: Buffer[], tensors: Buffer[] = [], version = 3): Uint8Array {
  return Buffer.concat([
    Buffer.from('GGUF'),
    u32(version),
    u64(tensors.length),
    u64(kvs.length),
    ...kvs,
    ...tensors,
  ]);
}

const tensorInfo = (name: string, dims: number[]): Buffer =>
  Buffer.concat([str(name), u32(dims.length), ...dims.map((dim) => u64(dim)), u32(0), u64(0)]);

const scan = (bytes: Uint8Array) => scanBytesForTest(bytes, 'model.gguf');

describe('GGUF', () => {
  it('is classified by magic and .gguf is a model extension', () => {
    expect(classifyHead(gguf([]))).toEqual(['gguf']);
    expect(hasModelExtension('model.Q4_K_M.gguf')).toBe(true);
    expect(classifyHead(Buffer.from('GGUF or some text'))).toEqual(['unknown']);
  });

  it('reads every value type, arrays, nested arrays and tensor infos of a benign file', async () => {
    const numbers = Buffer.concat([str('llama.scores'), u32(9), u32(6), u64(1000), Buffer.alloc(4000)]);
    const strings = Buffer.concat([
      str('tokenizer.ggml.tokens'),
      u32(9),
      u32(8),
      u64(2),
      str('<s>'),
      str('a'),
    ]);
    const nested = Buffer.concat([str('x.nested'), u32(9), u32(9), u64(1), u32(4), u64(2), u32(1), u32(2)]);
    const scalars = [0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12].map((type, index) =>
      Buffer.concat([
        str(`k${index}`),
        u32(type),
        Buffer.alloc([1, 1, 2, 2, 4, 4, 4, 1, 8, 8, 8][index] ?? 0),
      ]),
    );
    const template = kvString(
      'tokenizer.chat_template',
      "{% for m in messages %}{{ m['content'] }}{% endfor %}",
    );
    const result = await scan(
      gguf([numbers, strings, nested, ...scalars, template], [tensorInfo('a', [2, 2]), tensorInfo('b', [4])]),
    );
    expect(result.format).toBe('gguf');
    expect(result.findings).toEqual([]);
  });

  it('reports a malicious chat template and any templated string value', async () => {
    const result = await scan(
      gguf([
        kvString('tokenizer.chat_template.tool_use', '{{ ().__class__.__base__.__subclasses__() }}'),
        kvString('general.description', '{{ lipsum[k] }}'),
      ]),
    );
    expect(ruleIds(result.findings)).toEqual([TEMPLATE_SANDBOX_ESCAPE.id, TEMPLATE_SUSPICIOUS.id]);
    expect(verdictOf(result.findings)).toBe('malicious');
    expect(result.findings[0]?.message).toContain('tokenizer.chat_template.tool_use');
  });

  it.each([
    ['v1', gguf([], [], 1), 'SCAN-001', 'UNSUPPORTED'],
    [
      'a truncated key',
      Buffer.concat([gguf([]).subarray(0, 16), u64(1), u64(50), Buffer.from('abc')]),
      'SCAN-001',
      'TRUNCATED',
    ],
    [
      'too many keys',
      Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(2_000_000)]),
      'SCAN-002',
      'MEMBER_COUNT',
    ],
    [
      'too many tensors',
      Buffer.concat([Buffer.from('GGUF'), u32(3), u64(2_000_000), u64(0)]),
      'SCAN-002',
      'MEMBER_COUNT',
    ],
    ['a 1 TiB string', gguf([Buffer.concat([str('k'), u32(8), u64(2n ** 40n)])]), 'SCAN-002', 'MEMORY'],
    [
      'an oversized template',
      gguf([Buffer.concat([str('tokenizer.chat_template'), u32(8), u64(2_000_000)])]),
      'SCAN-002',
      'MEMORY',
    ],
    [
      'a huge array claim',
      gguf([Buffer.concat([str('k'), u32(9), u32(0), u64(2n ** 40n)])]),
      'SCAN-002',
      'MEMORY',
    ],
    [
      'an array past the end',
      gguf([Buffer.concat([str('k'), u32(9), u32(12), u64(1000)])]),
      'SCAN-001',
      'TRUNCATED',
    ],
    ['an unknown value type', gguf([Buffer.concat([str('k'), u32(99)])]), 'SCAN-001', 'INVALID_VALUE'],
    [
      'too many dimensions',
      gguf([], [tensorInfo('t', [1, 1, 1, 1, 1, 1, 1, 1, 1])]),
      'SCAN-001',
      'INVALID_VALUE',
    ],
    [
      'deeply nested arrays',
      gguf([
        Buffer.concat([
          str('k'),
          u32(9),
          ...Array.from({ length: 8 }, () => Buffer.concat([u32(9), u64(1)])),
        ]),
      ]),
      'SCAN-002',
      'STACK_DEPTH',
    ],
  ])('fails closed on %s', async (_name, bytes, rule, evidence) => {
    const result = await scan(bytes);
    expect(result.findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([[rule, evidence]]);
  });
});
