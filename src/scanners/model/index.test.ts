import { describe, expect, it } from 'vitest';
import { modelScanner } from './index.js';

const probe = (path: string, head: Uint8Array): { path: string; head: Uint8Array; size: number } => ({
  path,
  head,
  size: head.length,
});
const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('modelScanner.detect', () => {
  it('claims model content whatever the name', () => {
    expect(modelScanner.detect(probe('weights', Uint8Array.from([0x80, 0x04, 0x4b, 0x01, 0x2e])))).toBe(
      'pickle',
    );
    expect(modelScanner.detect(probe('x.dat', Uint8Array.from([0x1f, 0x8b, 8, 0])))).toBe('gzip');
  });

  it('claims files with a model extension whatever the content, to report them if unrecognised', () => {
    expect(modelScanner.detect(probe('model.pt', text('GGUF or anything else')))).toBe('unknown');
    expect(modelScanner.detect(probe('model.pkl.gz', text('not compressed at all')))).toBe('unknown');
  });

  it('claims .bin and .pth files only for recognised content: they also name raw tensors and path files', () => {
    expect(modelScanner.detect(probe('weights.bin', text('\x00\x01raw float data')))).toBeUndefined();
    expect(
      modelScanner.detect(probe('site-packages/easy-install.pth', text('import os; os.getcwd()\n'))),
    ).toBeUndefined();
    expect(modelScanner.detect(probe('pytorch_model.bin', new Uint8Array([0x80, 0x02, 0x4e, 0x2e])))).toBe(
      'pickle',
    );
    expect(modelScanner.detect(probe('legacy.pth', text("(S'x'\n.")))).toBe('pickle');
  });

  it('leaves other files alone, including text that could start a protocol 0 pickle', () => {
    expect(modelScanner.detect(probe('README.md', text('# Title\n')))).toBeUndefined();
    expect(modelScanner.detect(probe('train.py', text("(S'x'\n.")))).toBeUndefined();
    expect(modelScanner.detect(probe('legacy.pkl', text("(S'x'\n.")))).toBe('pickle');
  });

  it('names torch.save archives from their first member', () => {
    const head = new Uint8Array(64);
    head.set([0x50, 0x4b, 0x03, 0x04]);
    new DataView(head.buffer).setUint16(26, 'archive/data.pkl'.length, true);
    head.set(text('archive/data.pkl'), 30);
    expect(modelScanner.detect(probe('pytorch_model.bin', head))).toBe('pytorch-zip');
  });
});
