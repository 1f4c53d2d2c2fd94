import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyHead, expectsModelContent } from './classify.js';
import { SAFETENSORS_MALFORMED } from './rules.js';
import { CollectingContext } from '../../core/context.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { contentFromBytes } from './content.js';
import { createScope } from './dispatch.js';
import { findDuplicateKey, scanSafetensors } from './safetensors.js';
import { scanBytesForTest, scanFileForTest, verdictOf, type TestScan } from './test-support.js';

interface Entry {
  dtype: unknown;
  shape: unknown;
  data_offsets: unknown;
}

/** The 8-byte length, the header text padded with spaces to a multiple of 8, then the data. */
function frame(headerText: string | Uint8Array, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const raw = typeof headerText === 'string' ? Buffer.from(headerText) : Buffer.from(headerText);
  const padded = Buffer.concat([raw, Buffer.alloc(-raw.length & 7, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));
  return Buffer.concat([length, padded, data]);
}

const tensor = (dtype: unknown, shape: unknown, begin: number, end: number): Entry => ({
  dtype,
  shape,
  data_offsets: [begin, end],
});

function file(header: Record<string, unknown>, dataBytes: number): Uint8Array {
  return frame(JSON.stringify(header), new Uint8Array(dataBytes));
}

const scan = (bytes: Uint8Array): Promise<TestScan> => scanBytesForTest(bytes, 'model.safetensors');

/** The evidence of every MODEL-SAFETENSORS-001 finding. */
function problems(result: TestScan): string[] {
  return result.findings
    .filter((finding) => finding.ruleId === SAFETENSORS_MALFORMED.id)
    .map((finding) => finding.evidence ?? '');
}

describe('safetensors classification', () => {
  it('recognises a header length that fits in the content, followed by {', () => {
    const bytes = file({ w: tensor('F32', [2], 0, 8) }, 8);
    expect(classifyHead(bytes, bytes.length)).toEqual(['safetensors']);
    expect(classifyHead(bytes)).toEqual(['safetensors']);
  });

  it('does not recognise a header length beyond the content or over 100 MB', () => {
    const bytes = file({}, 0);
    const beyond = Buffer.from(bytes);
    beyond.writeBigUInt64LE(4096n);
    expect(classifyHead(beyond, beyond.length)).toEqual(['unknown']);
    beyond.writeBigUInt64LE(200_000_000n);
    expect(classifyHead(beyond)).toEqual(['unknown']);
  });

  it('does not take text for safetensors', () => {
    const text = Buffer.from('function {}\n'.repeat(4));
    expect(classifyHead(text, text.length)).toEqual(['unknown']);
  });

  it('wins over the pickle reading of a length such as 0x0280', () => {
    const header = `{"w":${JSON.stringify(tensor('U8', [0], 0, 0))}}`.padEnd(0x280, ' ');
    expect(classifyHead(frame(header))).toEqual(['safetensors']);
  });

  it('treats .safetensors as a model extension', () => {
    expect(expectsModelContent('model.safetensors')).toBe(true);
  });
});

describe('scanSafetensors', () => {
  it('passes a valid file of several dtypes, zero-sized tensors and metadata', async () => {
    const header = {
      __metadata__: { format: 'pt' },
      a: tensor('F64', [2, 2], 0, 32),
      b: tensor('BF16', [3], 32, 38),
      c: tensor('BOOL', [2], 38, 40),
      d: tensor('I64', [0, 5], 40, 40),
      e: tensor('F4', [4], 40, 42),
    };
    const result = await scan(file(header, 42));
    expect(result.format).toBe('safetensors');
    expect(result.findings).toEqual([]);
    expect(verdictOf(result.findings)).toBe('clean');
  });

  it('passes an empty header', async () => {
    expect((await scan(frame('{}'))).findings).toEqual([]);
  });

  it('reports an invalid UTF-8 header', async () => {
    const raw = Buffer.from('{"w\xff":{}}', 'latin1');
    expect(problems(await scan(frame(raw)))).toEqual(['INVALID_UTF8']);
  });

  it('reports invalid JSON', async () => {
    expect(problems(await scan(frame('{"w": }')))).toEqual(['INVALID_JSON']);
  });

  it('reports duplicate keys, in any object', async () => {
    const entry = JSON.stringify(tensor('F32', [1], 0, 4));
    expect(problems(await scan(frame(`{"w":${entry},"w":${entry}}`, new Uint8Array(4))))).toEqual([
      'DUPLICATE_KEY',
    ]);
    expect(findDuplicateKey('{"a":{"x":1,"x":2}}')).toBe('x');
    expect(findDuplicateKey('{"a":["x","x"],"b":"a:\\"","c":{"a":1}}')).toBeUndefined();
    expect(findDuplicateKey('{"\\u0061":1,"a":2}')).toBe('a');
  });

  it('reports an unknown dtype, naming the tensor', async () => {
    const result = await scan(file({ w: tensor('F128', [2], 0, 8) }, 8));
    expect(problems(result)).toEqual(['UNKNOWN_DTYPE']);
    expect(result.findings[0]?.message).toContain("'w'");
    expect(verdictOf(result.findings)).toBe('unscannable');
  });

  it.each([[[-2]], [[1.5]], ['2'], [[2, null]]])('reports the bad shape %j', async (shape) => {
    expect(problems(await scan(file({ w: tensor('F32', shape, 0, 8) }, 8)))).toEqual(['BAD_SHAPE']);
  });

  it.each([[[8, 0]], [[0]], [[-1, 8]], ['0-8']])('reports the bad offsets %j', async (offsets) => {
    const header = { w: { dtype: 'U8', shape: [8], data_offsets: offsets } };
    expect(problems(await scan(file(header, 8)))).toContain('BAD_OFFSETS');
  });

  it('reports an entry that is not an object', async () => {
    expect(problems(await scan(file({ w: [1, 2] }, 0)))).toEqual(['BAD_TENSOR_ENTRY']);
  });

  it('reports a shape that does not match the byte range', async () => {
    expect(problems(await scan(file({ w: tensor('F32', [3], 0, 8) }, 8)))).toEqual(['SIZE_MISMATCH']);
    expect(problems(await scan(file({ w: tensor('F4', [3], 0, 2) }, 2)))).toEqual(['SIZE_MISMATCH']);
  });

  it('reports overlapping ranges', async () => {
    const header = { a: tensor('F32', [2], 0, 8), b: tensor('F32', [2], 4, 12) };
    const result = await scan(file(header, 12));
    expect(problems(result)).toEqual(['OVERLAPPING_OFFSETS']);
    expect(result.findings[0]?.message).toContain("'b'");
  });

  it('reports a gap between tensors and one before the first', async () => {
    const header = { a: tensor('F32', [2], 0, 8), b: tensor('F32', [2], 16, 24) };
    expect(problems(await scan(file(header, 24)))).toEqual(['GAP_BETWEEN_TENSORS']);
    expect(problems(await scan(file({ a: tensor('U8', [4], 4, 8) }, 8)))).toEqual(['GAP_BETWEEN_TENSORS']);
  });

  it('reports trailing bytes and missing bytes', async () => {
    const header = { w: tensor('F32', [2], 0, 8) };
    expect(problems(await scan(file(header, 9)))).toEqual(['TRAILING_DATA']);
    expect(problems(await scan(file(header, 7)))).toEqual(['DATA_TOO_SHORT']);
  });

  it.each([[{ epochs: 3 }], [['a']], ['text'], [{ a: null }]])(
    'reports the metadata %j',
    async (metadata) => {
      const header = { __metadata__: metadata, w: tensor('U8', [1], 0, 1) };
      expect(problems(await scan(file(header, 1)))).toEqual(['BAD_METADATA']);
    },
  );

  it('reports each kind of problem once', async () => {
    const header = {
      a: tensor('X1', [1], 0, 1),
      b: tensor('X2', [1], 1, 2),
      c: tensor('F32', [-1], 2, 3),
      d: tensor('F32', [1], 2, 6),
    };
    expect(problems(await scan(file(header, 6))).sort()).toEqual([
      'BAD_SHAPE',
      'OVERLAPPING_OFFSETS',
      'UNKNOWN_DTYPE',
    ]);
  });

  it('reports header lengths that the classifier would not pass (a stream of unknown size)', async () => {
    // Through gzip the content size is unknown, so a length past the data is found only when reading.
    const beyond = Buffer.from(frame('{}'));
    beyond.writeBigUInt64LE(64n);
    const result = await scanBytesForTest(gzipSync(beyond), 'model.safetensors.gz');
    expect(result.format).toBe('gzip/safetensors');
    expect(problems(result)).toEqual(['HEADER_OUT_OF_BOUNDS']);
  });

  it('checks a safetensors stream inside gzip to its end', async () => {
    const bytes = file({ w: tensor('F32', [2], 0, 8) }, 12);
    const result = await scanBytesForTest(gzipSync(bytes), 'model.safetensors.gz');
    expect(result.format).toBe('gzip/safetensors');
    expect(problems(result)).toEqual(['TRAILING_DATA']);
    const short = await scanBytesForTest(gzipSync(file({ w: tensor('F32', [2], 0, 8) }, 4)), 'm.gz');
    expect(problems(short)).toEqual(['DATA_TOO_SHORT']);
  });

  it('reports a header length above 100 MB or past the data when called on any content', async () => {
    const context = new CollectingContext({
      limits: DEFAULT_LIMITS,
      pickle: { allowGlobals: [], denyGlobals: [] },
    });
    const over = Buffer.from(frame('{}'));
    over.writeBigUInt64LE(200_000_000n);
    await scanSafetensors(createScope(context), contentFromBytes(over, undefined, 'm.safetensors', 0));
    const beyond = Buffer.from(frame('{}'));
    beyond.writeBigUInt64LE(64n);
    await scanSafetensors(createScope(context), contentFromBytes(beyond, undefined, 'm.safetensors', 0));
    await scanSafetensors(
      createScope(context),
      contentFromBytes(beyond.subarray(0, 5), undefined, 'm.safetensors', 0),
    );
    expect(context.findings.map((finding) => finding.evidence)).toEqual([
      'HEADER_TOO_LARGE',
      'HEADER_OUT_OF_BOUNDS',
      'HEADER_OUT_OF_BOUNDS',
    ]);
  });

  it('reports a non-object header when called on any content', async () => {
    const context = new CollectingContext({
      limits: DEFAULT_LIMITS,
      pickle: { allowGlobals: [], denyGlobals: [] },
    });
    await scanSafetensors(createScope(context), contentFromBytes(frame('[1, 2]'), undefined, 'm', 0));
    expect(context.findings.map((finding) => finding.evidence)).toEqual(['NOT_AN_OBJECT']);
  });

  it('reports a header above 100 MB as SCAN-003 when it does not fit in the file', async () => {
    const bytes = Buffer.from(frame('{}'));
    bytes.writeBigUInt64LE(200_000_000n);
    const result = await scan(bytes);
    expect(result.format).toBe('unknown');
    expect(result.findings.map((finding) => finding.evidence)).toEqual(['UNRECOGNISED_CONTENT']);
  });
});

describe('safetensors files on disk', () => {
  const directory = mkdtempSync(join(tmpdir(), 'mlsec-safetensors-'));
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('scans a 1 GiB file with a sparse data region without reading the data', async () => {
    const path = join(directory, 'big.safetensors');
    const tensorBytes = 256 * 1024 * 1024;
    const header: Record<string, Entry> = {};
    for (let index = 0; index < 4; index++) {
      header[`t${index}`] = tensor('F32', [64 * 1024 * 1024], index * tensorBytes, (index + 1) * tensorBytes);
    }
    const head = frame(JSON.stringify(header));
    writeFileSync(path, head);
    truncateSync(path, head.length + 4 * tensorBytes);
    const started = performance.now();
    const result = await scanFileForTest(path);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.format).toBe('safetensors');
    expect(result.findings).toEqual([]);
    truncateSync(path, head.length + 4 * tensorBytes + 1);
    expect(problems(await scanFileForTest(path))).toEqual(['TRAILING_DATA']);
  });
});
