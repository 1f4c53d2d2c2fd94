import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBE_BYTES } from '../../core/scanner.js';
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
    // An IDL save file (scipy.io.readsav's format) named .sav is not a pickle-based model.
    expect(modelScanner.detect(probe('spectrum.sav', text('SR\x00\x04\x00\x00\x00\x0a')))).toBeUndefined();
  });

  it('leaves other files alone, including text that could start a protocol 0 pickle', () => {
    expect(modelScanner.detect(probe('README.md', text('# Title\n')))).toBeUndefined();
    expect(modelScanner.detect(probe('train.py', text("(S'x'\n.")))).toBeUndefined();
    expect(modelScanner.detect(probe('legacy.pkl', text("(S'x'\n.")))).toBe('pickle');
  });

  it.each([
    ['GLOBAL, REDUCE', "cos\nsystem\n(S'echo pwned'\ntR."],
    ['GLOBAL after a mark', '(cbuiltins\neval\n(Vprint(1)\ntR.'],
    ['INST after its argument', "(S'echo pwned'\nios\nsystem\n."],
    [
      'protocol 1 with binary memo opcodes',
      'cposix\nsystem\nq\x00(X\n\x00\x00\x00echo pwnedq\x01tq\x02Rq\x03.',
    ],
  ])('claims a protocol 0/1 pickle that imports a global early under any name (%s)', (_what, content) => {
    expect(modelScanner.detect(probe('weights.dat', Buffer.from(content, 'latin1')))).toBe('pickle');
  });

  it.each([
    ['README.md', '# Title\n\nSome text.\n'],
    ['setup.py', 'import os\nfrom setuptools import setup\n'],
    ['site-packages/distutils-precedence.pth', "import os; var = 'SETUPTOOLS_USE_DISTUTILS'\n"],
    ['data.csv', 'id,name\n1,cos\n2,system\n'],
    ['names.csv', 'city\nParis\nLondon\n'],
    ['config.json', '{"c": "os", "i": "system"}\n'],
    ['requirements.txt', 'click\nnumpy\npandas\n'],
    ['notes.txt', 'cos\nsystem\nand more words\n'],
  ])('leaves text that starts like a protocol 0 pickle alone (%s)', (path, content) => {
    expect(modelScanner.detect(probe(path, text(content)))).toBeUndefined();
  });

  it('claims none of a corpus of real sources and dependency manifests, only what is not text', () => {
    const corpora = resolve(import.meta.dirname, '../../../../shared/corpora');
    const files = ['bandit-examples', 'real-manifests'].flatMap((folder) =>
      readdirSync(join(corpora, folder), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(corpora, join(entry.parentPath, entry.name))),
    );
    expect(files.length).toBeGreaterThan(100);
    const claimed = Object.fromEntries(
      files.flatMap((path) => {
        const format = modelScanner.detect(
          probe(path, readFileSync(join(corpora, path)).subarray(0, PROBE_BYTES)),
        );
        return format === undefined ? [] : [[path, format]];
      }),
    );
    // bandit's nonsense2.py is gzip data under a .py name, and content decides.
    expect(claimed).toEqual({ 'bandit-examples/nonsense2.py': 'gzip' });
  });

  it('names torch.save archives from their first member', () => {
    const head = new Uint8Array(64);
    head.set([0x50, 0x4b, 0x03, 0x04]);
    new DataView(head.buffer).setUint16(26, 'archive/data.pkl'.length, true);
    head.set(text('archive/data.pkl'), 30);
    expect(modelScanner.detect(probe('pytorch_model.bin', head))).toBe('pytorch-zip');
  });
});
