import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import type { ManifestInput } from './input.js';
import { readManifestInput } from './input.js';
import { parseIni, parseSetupCfg } from './setup-cfg.js';

const REPO = resolve(import.meta.dirname, '../../../..');

function input(text: string): ManifestInput {
  return {
    path: 'setup.cfg',
    absolutePath: '/project/setup.cfg',
    text,
    readInclude: (reference) =>
      Promise.reject(Object.assign(new Error(`ENOENT: ${reference}`), { code: 'ENOENT' })),
  };
}

describe('parseSetupCfg', () => {
  it('reads install_requires, setup_requires, tests_require (file:) and extras, with lines and scopes', async () => {
    const path = 'test/fixtures/deps/env/setup-cfg/setup.cfg';
    const manifest = await parseSetupCfg(await readManifestInput(join(REPO, path), path));
    expect(
      manifest.components.map((c) => [
        c.scope,
        c.normalizedName,
        c.pin,
        c.version,
        c.origin.path.split('/').at(-1),
        c.origin.line,
      ]),
    ).toEqual([
      ['main', 'numpy', 'range', undefined, 'setup.cfg', 10],
      ['main', 'torch', 'exact', '2.1.0', 'setup.cfg', 12],
      ['main', 'importlib-metadata', 'range', undefined, 'setup.cfg', 14],
      ['main', 'requests', 'range', undefined, 'setup.cfg', 15],
      ['main', 'mylib', 'vcs', undefined, 'setup.cfg', 16],
      // A single-line list is `;`-separated, as setuptools splits it.
      ['setup', 'setuptools', 'range', undefined, 'setup.cfg', 17],
      ['setup', 'wheel', 'unpinned', undefined, 'setup.cfg', 17],
      ['test', 'pytest', 'exact', '8.0.0', 'test-requirements.txt', 2],
      ['test', 'pytest-cov', 'unpinned', undefined, 'test-requirements.txt', 3],
      ['gpu', 'nvidia-cudnn-cu12', 'exact', '8.9.2.26', 'setup.cfg', 22],
      ['docs', 'sphinx', 'range', undefined, 'setup.cfg', 23],
    ]);
    const importlib = manifest.components.find((c) => c.name === 'importlib-metadata');
    expect(importlib?.markerText).toBe('python_version < "3.10"');
    expect(manifest.components.find((c) => c.name === 'requests')?.extras).toEqual(['socks']);
    expect(manifest.components.every((c) => c.direct && c.ecosystem === 'PyPI')).toBe(true);
  });

  it('reads a file without [options] as no components', async () => {
    expect((await parseSetupCfg(input('[metadata]\nname = x\n'))).components).toEqual([]);
  });

  it.each([
    ['[options]\ninstall_requires =\n    numpy>>1\n', 3, /numpy>>1/],
    ['install_requires = numpy\n', 1, /expected "\[section\]"/],
    ['[options]\ninstall_requires = a\ninstall_requires = b\n', 3, /repeated/],
    ['[options]\n[options]\n', 2, /repeated/],
    ['[options]\njust text\n', 2, /key = value/],
  ])('fails closed on %j with the line', async (text, line, message) => {
    const error = await parseSetupCfg(input(text)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).message).toMatch(new RegExp(`^setup\\.cfg:${line}: `));
    expect((error as ParseError).message).toMatch(message);
  });

  it('refuses pip options in a file: requirement list', async () => {
    const error = await parseSetupCfg({
      ...input('[options]\ninstall_requires = file: req.txt\n'),
      readInclude: (reference) =>
        Promise.resolve({
          ...input('-r other.txt\n'),
          path: reference,
          readInclude: () => Promise.reject(new Error('no')),
        }),
    }).catch((caught: unknown) => caught);
    expect((error as ParseError).message).toMatch(/^req\.txt:1: setuptools does not accept pip options/);
  });
});

describe('parseIni', () => {
  it('keeps continuation lines, skips comments and blank lines inside values, and lower-cases keys', () => {
    const ini = parseIni('[a]\nKey: one\n  two\n\n  # no\n  three\nother=x\n', 'x.cfg');
    expect(
      ini
        .get('a')
        ?.get('key')
        ?.lines.map((line) => [line.text, line.line]),
    ).toEqual([
      ['one', 2],
      ['two', 3],
      ['three', 6],
    ]);
    expect(ini.get('a')?.get('other')?.lines[0]?.text).toBe('x');
  });
});
