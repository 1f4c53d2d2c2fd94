import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildTar, buildZip } from '../../targets/test-archives.js';
import {
  classifyHead,
  hasModelExtension,
  isLegacyTorchMagic,
  withoutCompressionExtension,
} from './classify.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('classifyHead', () => {
  it.each([
    ['zip', buildZip({ members: [{ name: 'a', data: text('x') }] })],
    ['numpy', Uint8Array.from(Buffer.from("\x93NUMPY\x01\x00v\x00{'descr': '<i4'", 'latin1'))],
    ['gzip', gzipSync(text('x'))],
    ['zlib', deflateSync(text('x'))],
    [
      'bz2',
      Buffer.from(
        'QlpoOTFBWSZTWQDAmpgAAQORgEAADifcACAAcEA0ABSqAB6mgmCdicBNxME5EwTkTYT0TgT4J4J6JuJgmCdCfBNBOxPxdyRThQkADAmpgA==',
        'base64',
      ),
    ],
    ['xz', bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04)],
    [
      'lzma',
      Buffer.from('XQAAgAD//////////wA2mwrM5oL0f5SOllNSJuMdF/+YjZj91Jl43OCUfW1bdD/hc0D//+DGAAA=', 'base64'),
    ],
    ['lz4', bytes(0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7)],
    ['joblib-zf', text('ZF0x1f               x\x9c')],
    ['pickle', bytes(0x80, 0x04, 0x95, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x4b, 0x01, 0x2e)],
    [
      'pytorch-legacy',
      bytes(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e),
    ],
    ['tar', buildTar([{ name: 'sys_info', data: text('x') }])],
    ['unknown', text('# README\nplain text')],
    ['unknown', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)],
  ])('recognises %s', (kind, head) => {
    expect(classifyHead(head)[0]).toBe(kind);
  });

  it('recognises the magic-number pickle of every protocol torch may have used', () => {
    expect(isLegacyTorchMagic(text('L119547037146038801333356L\n.'))).toBe(true);
    const frame = bytes(
      0x80,
      0x04,
      0x95,
      0x0d,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x8a,
      0x0a,
      0x6c,
      0xfc,
      0x9c,
      0x46,
      0xf9,
      0x20,
      0x6a,
      0xa8,
      0x50,
      0x19,
      0x2e,
    );
    expect(isLegacyTorchMagic(frame)).toBe(true);
    expect(isLegacyTorchMagic(bytes(0x80, 0x02, 0x4b, 0x01, 0x2e))).toBe(false);
  });
});

describe('model extensions', () => {
  it.each([
    'model.pt',
    'pytorch_model.bin',
    'x.ckpt',
    'clf.joblib',
    'arr.npy',
    'data.pkl.gz',
    'M.PTH',
    'model.safetensors',
  ])('%s is a model name', (name) => {
    expect(hasModelExtension(name)).toBe(true);
  });

  it.each(['README.md', 'train.py', 'tokenizer.json', 'logs.gz'])('%s is not', (name) => {
    expect(hasModelExtension(name)).toBe(false);
  });

  it('drops one compression extension', () => {
    expect(withoutCompressionExtension('checkpoint.pkl.xz')).toBe('checkpoint.pkl');
    expect(withoutCompressionExtension('model.pt')).toBe('model.pt');
  });
});
