import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LimitError, ParseError } from '../core/errors.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { decompress, type Codec } from './decompress.js';
import { MemorySource } from './memory.js';
import type { ByteSource } from './source.js';

const TEXT = new TextEncoder().encode('mlsec decompression test '.repeat(40));
/** `TEXT` compressed by Python's bz2 and lzma modules. */
const PYTHON_COMPRESSED: Record<'bz2' | 'xz' | 'lzma', string> = {
  bz2: 'QlpoOTFBWSZTWQDAmpgAAQORgEAADifcACAAcEA0ABSqAB6mgmCdicBNxME5EwTkTYT0TgT4J4J6JuJgmCdCfBNBOxPxdyRThQkADAmpgA==',
  xz: '/Td6WFoAAATm1rRGAgAhARYAAAB0L+Wj4APnACVdADabCszmgvR/lI6WU1Im4x0X/5iNmP3UmXjc4JR9bVt0P56nUQAAAAAAo4ZW7ALy0kgAAUHoBwAAALO5IoKxxGf7AgAAAAAEWVo=',
  lzma: 'XQAAgAD//////////wA2mwrM5oL0f5SOllNSJuMdF/+YjZj91Jl43OCUfW1bdD/hc0D//+DGAAA=',
};

async function readAll(source: ByteSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const chunk = await source.read(4096);
    if (chunk.length === 0) break;
    chunks.push(chunk.slice());
  }
  await source.close();
  return Buffer.concat(chunks);
}

function run(codec: Codec, compressed: Uint8Array, limits = DEFAULT_LIMITS): ByteSource {
  return decompress(codec, new MemorySource(compressed, 'input'), limits, 'test');
}

/** Serves the input a few bytes at a time, so that the decoder sees many chunks. */
class TrickleSource extends MemorySource {
  override read(max: number): Promise<Uint8Array> {
    return super.read(Math.min(max, 5));
  }
}

const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
/** Protocol 0 `os.system('echo pwned')`, as found after a zlib stream in a crafted joblib file. */
const PAYLOAD = new TextEncoder().encode("cos\nsystem\n(S'echo pwned'\ntR.");

describe('decompress', () => {
  const inputs: [Codec, Uint8Array][] = [
    ['gzip', gzipSync(TEXT)],
    ['zlib', deflateSync(TEXT)],
    ['deflate-raw', deflateRawSync(TEXT)],
    ['bz2', Buffer.from(PYTHON_COMPRESSED.bz2, 'base64')],
    ['xz', Buffer.from(PYTHON_COMPRESSED.xz, 'base64')],
    ['lzma', Buffer.from(PYTHON_COMPRESSED.lzma, 'base64')],
  ];

  it.each(inputs)('%s round-trips what Python and zlib wrote', async (codec, compressed) => {
    expect(Buffer.from(await readAll(run(codec, compressed))).equals(Buffer.from(TEXT))).toBe(true);
  });

  it.each(inputs)('%s: truncated input is a parse error', async (codec, compressed) => {
    const error: unknown = await readAll(run(codec, compressed.subarray(0, compressed.length - 8))).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ParseError);
    // unbzip2-stream fails on a cut block with a generic error rather than an end-of-input one.
    if (codec !== 'bz2') expect((error as ParseError).code).toBe('TRUNCATED');
  });

  it('corrupt data is a BAD_STRUCTURE parse error', async () => {
    const corrupt = gzipSync(TEXT);
    corrupt.fill(0xff, 12, 40);
    const error: unknown = await readAll(run('gzip', corrupt)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ParseError);
  });

  it('stops a bomb at the ratio limit past the first MiB', async () => {
    const bomb = gzipSync(new Uint8Array(16 * 1024 * 1024));
    const error: unknown = await readAll(
      run('gzip', bomb, { ...DEFAULT_LIMITS, maxCompressionRatio: 100 }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LimitError);
    expect((error as LimitError).code).toBe('COMPRESSION_RATIO');
  });

  it('stops at the decompressed size limit', async () => {
    const big = gzipSync(new Uint8Array(3 * 1024 * 1024));
    const error: unknown = await readAll(
      run('gzip', big, { ...DEFAULT_LIMITS, maxDecompressedBytes: 1024 * 1024 }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LimitError);
    expect((error as LimitError).code).toBe('DECOMPRESSED_SIZE');
  });

  it('skips through decompressed data and reports positions', async () => {
    const source = run('gzip', gzipSync(TEXT));
    expect(await source.skip(500)).toBe(500);
    expect(source.position).toBe(500);
    expect((await readAll(source)).length).toBe(500);
  });

  describe('data after the compressed stream', () => {
    const gzip = gzipSync(TEXT);
    const python = (codec: 'bz2' | 'xz' | 'lzma'): Uint8Array =>
      Buffer.from(PYTHON_COMPRESSED[codec], 'base64');

    it.each<[string, Codec, Uint8Array]>([
      ['a pickle after a zlib stream', 'zlib', concat(deflateSync(TEXT), PAYLOAD)],
      ['a zero byte after a zlib stream', 'zlib', concat(deflateSync(TEXT), new Uint8Array(1))],
      [
        'bytes after a raw deflate stream (zip member slack)',
        'deflate-raw',
        concat(deflateRawSync(TEXT), PAYLOAD),
      ],
      ['a pickle after a gzip member', 'gzip', concat(gzip, PAYLOAD)],
      ['zero padding then data after a gzip member', 'gzip', concat(gzip, new Uint8Array(1), PAYLOAD)],
      ['zero padding then a gzip member Python reads', 'gzip', concat(gzip, new Uint8Array(4), gzip)],
      ['a pickle after an .lzma stream', 'lzma', concat(python('lzma'), PAYLOAD)],
      ['a second .lzma stream, which Python reads', 'lzma', concat(python('lzma'), python('lzma'))],
      ['bytes after a bz2 stream', 'bz2', concat(python('bz2'), PAYLOAD)],
      ['bytes after an xz stream', 'xz', concat(python('xz'), PAYLOAD)],
    ])('%s is a parse error', async (_what, codec, compressed) => {
      const error: unknown = await readAll(run(codec, compressed)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ParseError);
    });

    it('names trailing data as such, also when it spans many input chunks', async () => {
      const compressed = concat(deflateSync(TEXT), new Uint8Array(600_000).fill(7));
      const error: unknown = await readAll(run('zlib', compressed)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).code).toBe('BAD_STRUCTURE');
      expect((error as ParseError).message).toMatch(
        /600000 bytes of trailing data after the compressed stream/,
      );
    });

    it.each<[string, Codec, Uint8Array, number]>([
      ['concatenated gzip members', 'gzip', concat(gzip, gzip), 2],
      ['zero padding after the last gzip member', 'gzip', concat(gzip, new Uint8Array(300_000)), 1],
      ['concatenated bz2 streams', 'bz2', concat(python('bz2'), python('bz2')), 2],
      [
        'concatenated xz streams with stream padding',
        'xz',
        concat(python('xz'), new Uint8Array(4), python('xz')),
        2,
      ],
    ])('accepts %s as Python reads them', async (_what, codec, compressed, copies) => {
      expect((await readAll(run(codec, compressed))).length).toBe(copies * TEXT.length);
    });

    it.each(inputs)('%s: a stream fed in small chunks has no trailing data', async (codec, compressed) => {
      const source = decompress(codec, new TrickleSource(compressed, 'input'), DEFAULT_LIMITS, 'test');
      expect((await readAll(source)).length).toBe(TEXT.length);
    });
  });
});
