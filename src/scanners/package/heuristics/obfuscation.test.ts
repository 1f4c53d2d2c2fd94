import type { Node } from 'web-tree-sitter';
import { describe, expect, it } from 'vitest';
import { collectFacts } from '../../code/collect.js';
import { parsePython } from '../../code/parser.js';
import type { Scope } from '../../code/scopes.js';
import { decodingOf, foldString } from './decoding.js';
import { highEntropyBlob, shannonEntropy } from './entropy.js';
import { heuristicFindings } from './test-helpers.js';

const findings = (source: string, path?: string): ReturnType<typeof heuristicFindings> =>
  heuristicFindings(source, path);

/** The value of the last assignment's right-hand side, folded or traced in its scope. */
async function lastValue<T>(source: string, read: (node: Node, scope: Scope) => T): Promise<T> {
  const tree = await parsePython(source);
  try {
    const facts = collectFacts(tree.rootNode, () => undefined);
    const assignments = tree.rootNode.descendantsOfType('assignment');
    const last = assignments.at(-1);
    const right = last?.childForFieldName('right');
    if (right === null || right === undefined) throw new Error('no assignment');
    return read(right, facts.module);
  } finally {
    tree.delete();
  }
}

describe('foldString', () => {
  it.each([
    ['x = "o" + "s"', 'os', true],
    ['x = "metsys"[::-1]', 'system', true],
    ['x = "".join(["po", "pen"])', 'popen', true],
    ['x = "".join(chr(c) for c in [101, 120, 101, 99])', 'exec', true],
    ['import base64\nx = base64.b64decode("c29ja2V0").decode()', 'socket', true],
    ['x = bytes.fromhex("6576616c").decode()', 'eval', true],
    ['import codecs\nx = codecs.decode("flfgrz", "rot13")', 'system', true],
    ['x = "\\x6f\\x73"', 'os', false],
    ['name = "sub"\nx = name + "process"', 'subprocess', true],
    ['x = "os"', 'os', false],
  ])('%s folds to %s', async (source, value, hidden) => {
    expect(await lastValue(source, (node, scope) => foldString(node, scope))).toEqual({ value, hidden });
  });

  it('gives up on values only known at run time', async () => {
    expect(
      await lastValue('def f(n):\n    x = "visit_" + n', (node, scope) => foldString(node, scope)),
    ).toBeUndefined();
  });
});

describe('decodingOf', () => {
  it('follows names, methods and local helpers, and tells embedded payloads from run-time input', async () => {
    const helper = 'import base64\ndef d(s):\n    return base64.b64decode(s)\nx = d("aGk=").decode()';
    expect(await lastValue(helper, (node, scope) => decodingOf(node, scope))).toMatchObject({
      how: 'base64.b64decode',
      embedded: true,
    });
    const runtime = 'import zlib, sys\nx = zlib.decompress(sys.stdin.buffer.read())';
    expect(await lastValue(runtime, (node, scope) => decodingOf(node, scope))).toMatchObject({
      how: 'zlib.decompress',
      embedded: false,
    });
    expect(await lastValue('x = "abc".upper()', (node, scope) => decodingOf(node, scope))).toBeUndefined();
  });
});

describe('entropy', () => {
  it('measures bits per symbol', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    expect(shannonEntropy(['00', 'ff'])).toBe(1);
  });

  it('finds base64 and hex blobs of random data but not prose, repetitive text or media', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed >> 16) & 0xff;
    };
    const bytes = Buffer.from(Array.from({ length: 900 }, random));
    expect(highEntropyBlob(bytes.toString('base64'))).toMatchObject({ alphabet: 'base64' });
    expect(highEntropyBlob(bytes.toString('hex'))).toMatchObject({ alphabet: 'hex' });
    expect(highEntropyBlob('A'.repeat(1000))).toBeUndefined();
    expect(highEntropyBlob('The quick brown fox jumps over the lazy dog. '.repeat(20))).toBeUndefined();
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), bytes]).toString('base64');
    expect(highEntropyBlob(png)).toBeUndefined();
    expect(highEntropyBlob(`data:font/woff2;base64,${bytes.toString('base64')}`)).toBeUndefined();
  });
});

describe('PKG-OBF-001', () => {
  it('reports exec(compile(decoded)) once, on the outer call, with the decoding line', async () => {
    const source = 'import base64\n_c = base64.b64decode("cHJpbnQoMSk=")\nexec(compile(_c, "<x>", "exec"))\n';
    const found = (await findings(source)).filter((f) => f.rule === 'PKG-OBF-001');
    expect(found).toEqual([
      expect.objectContaining({
        line: 3,
        message: expect.stringContaining('base64.b64decode (line 2)') as string,
      }),
    ]);
  });

  it('rates run-time input lower than an embedded payload, and leaves frozen-app loaders alone', async () => {
    const runtime = await findings('import base64, os\nexec(base64.b64decode(os.environ["P"]))\n');
    expect(runtime).toContainEqual(expect.objectContaining({ rule: 'PKG-OBF-001', severity: 'high' }));
    const loader = await findings('import marshal\ndef run(f):\n    exec(marshal.loads(f.read()))\n');
    expect(loader.filter((f) => f.rule === 'PKG-OBF-001')).toEqual([]);
  });
});

describe('PKG-OBF-002', () => {
  it('shows the name it worked out', async () => {
    const found = await findings('_m = __import__("".join(["sub", "process"]))\n');
    expect(found[0]?.message).toContain('"subprocess"');
  });

  it('reports aliased imports only in setup.py', async () => {
    const source = 'import subprocess as sp\n';
    expect((await findings(source, 'setup.py')).map((f) => f.rule)).toEqual(['PKG-OBF-002']);
    expect(await findings(source, 'pkg/cli.py')).toEqual([]);
  });
});

describe('PKG-OBF-003', () => {
  const padded = `import os\nVERSION = "1"${' '.repeat(2100)};os.system("echo pwned")\nx = 1\n`;

  it('reports a module once, with figures, and not in tests', async () => {
    const source = padded + padded.replace('import os\n', '');
    const found = (await findings(source)).filter((f) => f.rule === 'PKG-OBF-003');
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(
      /2 line\(s\) with more than 2,000 characters of code \(longest 2,1\d\d at line 2: code pushed off-screen by whitespace\)/,
    );
    const inTests = await findings(padded, 'pkg/tests/test_version.py');
    expect(inTests.filter((finding) => finding.rule === 'PKG-OBF-003')).toEqual([]);
  });
});
