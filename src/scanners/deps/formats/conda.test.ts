import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import { condaVersion, parseConda, parseMatchSpec } from './conda.js';
import type { ManifestInput } from './input.js';
import { readManifestInput } from './input.js';

const REPO = resolve(import.meta.dirname, '../../../..');

function input(text: string, path = 'environment.yml'): ManifestInput {
  return {
    path,
    absolutePath: `/project/${path}`,
    text,
    readInclude: (reference) =>
      Promise.reject(Object.assign(new Error(`ENOENT: ${reference}`), { code: 'ENOENT' })),
  };
}

describe('conda match specs', () => {
  it.each([
    ['numpy', { name: 'numpy' }, undefined, []],
    ['numpy=1.26.*', { name: 'numpy', version: '=1.26.*' }, undefined, ['==1.26.*']],
    // `=1.11` is conda's fuzzy 1.11.*: only a three-part version (or a build) is taken as exact.
    ['scipy=1.11', { name: 'scipy', version: '=1.11' }, undefined, ['==1.11.*']],
    ['numpy=1.26.4', { name: 'numpy', version: '=1.26.4' }, '1.26.4', ['==1.26.4']],
    ['pandas==2.1', { name: 'pandas', version: '==2.1' }, '2.1', ['==2.1']],
    ['python>=3.10', { name: 'python', version: '>=3.10' }, undefined, ['>=3.10']],
    [
      'pytorch::pytorch=2.1=py3.10_cuda11.8_0',
      { channel: 'pytorch', name: 'pytorch', version: '=2.1', build: 'py3.10_cuda11.8_0' },
      '2.1',
      ['==2.1'],
    ],
    [
      'libblas 3.9.0 20_linux64',
      { name: 'libblas', version: '3.9.0', build: '20_linux64' },
      '3.9.0',
      ['==3.9.0'],
    ],
    ['cudatoolkit>=11.8,<12', { name: 'cudatoolkit', version: '>=11.8,<12' }, undefined, ['>=11.8', '<12']],
    ['openssl 1.1.*', { name: 'openssl', version: '1.1.*' }, undefined, ['==1.1.*']],
    ["openssl[version='>=3.0']", { name: 'openssl', version: '>=3.0' }, undefined, ['>=3.0']],
    ['mkl 2023.*|2024.*', { name: 'mkl', version: '2023.*|2024.*' }, undefined, []],
  ])('%s', (text, spec, exact, specifiers) => {
    const parsed = parseMatchSpec(text);
    expect(parsed).toEqual(spec);
    if (parsed === undefined) return;
    const version = condaVersion(parsed);
    expect(version.exact).toBe(exact);
    expect(version.specifiers.map((specifier) => `${specifier.operator}${specifier.version}`)).toEqual(
      specifiers,
    );
  });

  it.each(['=1.0', 'numpy=', 'numpy 1 2 3', 'numpy$1', 'numpy[version=1, bad]'])('rejects %s', (text) => {
    expect(parseMatchSpec(text)).toBeUndefined();
  });
});

describe('parseConda', () => {
  it('reads the fixture: conda components, channels, and the pip list as PyPI', async () => {
    const path = 'test/fixtures/deps/env/conda/environment.yml';
    const manifest = await parseConda(await readManifestInput(join(REPO, path), path));
    const summary = manifest.components.map((c) => [
      c.ecosystem,
      c.normalizedName,
      c.pin,
      c.version,
      c.index,
      c.origin.line,
    ]);
    expect(summary).toEqual([
      ['conda', 'numpy', 'range', undefined, undefined, 8],
      ['conda', 'scipy', 'range', undefined, undefined, 9],
      ['conda', 'pandas', 'exact', '2.1.4', undefined, 10],
      ['conda', 'pytorch', 'exact', '2.1.0', 'pytorch', 11],
      ['conda', 'libblas', 'exact', '3.9.0', 'conda-forge/linux-64', 12],
      ['conda', 'cudatoolkit', 'range', undefined, undefined, 13],
      ['conda', 'mkl', 'unpinned', undefined, undefined, 14],
      ['conda', 'openssl', 'range', undefined, undefined, 15],
      ['conda', 'pip', 'unpinned', undefined, undefined, 16],
      ['PyPI', 'transformers', 'exact', '4.36.2', undefined, 19],
      ['PyPI', 'accelerate', 'range', undefined, undefined, 20],
      ['PyPI', 'tool', 'vcs', undefined, undefined, 21],
    ]);
    expect(manifest.components.find((c) => c.name === 'transformers')?.hashes).toEqual([
      { algorithm: 'sha256', digest: '8e4f2fe9cbc24c8e1d41b4a3b0b5e1c6d3b8a2b6b0a1f0f6a2f4c3b1e6d9c7a5' },
    ]);
    // Conda channels are not pip indexes; only the pip list's index options are.
    expect(manifest.indexes.map((index) => [index.kind, index.url, index.origin.line])).toEqual([
      ['extra', 'https://download.pytorch.org/whl/cu118', 18],
    ]);
    expect(manifest.lock).toBe(false);
  });

  it('reads the real stable-diffusion environment: conda pins stay conda, -e . is the project itself', async () => {
    const path = '../shared/corpora/real-manifests/stable-diffusion__environment.yaml';
    const manifest = await parseConda(await readManifestInput(resolve(REPO, path), 'environment.yaml'));
    const conda = manifest.components.filter((c) => c.ecosystem === 'conda');
    expect(conda.map((c) => `${c.name} ${c.pin} ${c.version ?? ''}`)).toEqual([
      'pip range ',
      'cudatoolkit range ',
      'pytorch exact 1.11.0',
      'torchvision exact 0.12.0',
      'numpy exact 1.19.2',
    ]);
    const pypi = manifest.components.filter((c) => c.ecosystem === 'PyPI');
    expect(pypi).toHaveLength(18);
    expect(pypi.find((c) => c.name === 'clip')).toMatchObject({
      pin: 'vcs',
      url: 'git+https://github.com/openai/CLIP.git@main#egg=clip',
    });
    expect(pypi.find((c) => c.name === 'streamlit')).toMatchObject({
      pin: 'range',
      specifiers: [{ operator: '>=', version: '0.73.1' }],
    });
    expect(manifest.indexes).toEqual([]);
  });

  it.each([
    ['dependencies:\n  - numpy\ndependencies:\n  - scipy\n', 3, /Map keys must be unique/],
    ['dependencies:\n  - numpy\n  - "numpy==1 2 3 4"\n', 3, /not a conda match spec/],
    ['dependencies:\n  - pip:\n      - -r requirements.txt\n', 3, /-r requirements.txt .*not followed/],
    ['dependencies:\n  - pip:\n      - --pre\n', 3, /--pre is not supported/],
    ['dependencies:\n  - pip:\n      - "numpy>>1"\n', 3, /numpy>>1/],
    ['dependencies:\n  - pip:\n      - -e https://example.com/x.zip\n', 3, /no #egg= name/],
    ['dependencies:\n  - other:\n      - x\n', 2, /only mapping allowed/],
    ['dependencies: numpy\n', 1, /not a list/],
    ['channels:\n  - {a: 1}\n', 2, /channels entry is not a string/],
    ['dependencies:\n  - [a, b]\n', 2, /not a string/],
    ['- just a list\n', 1, /is a mapping/],
    ['dependencies:\n  - !!python/object:os.system x\n', 2, /python\/object/],
    ['dependencies: &a\n  - *a\n', 2, /not a string/],
  ])('fails closed on %j with the line', async (text, line, message) => {
    const error = await parseConda(input(text)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).message).toMatch(new RegExp(`^environment\\.yml:${line}: `));
    expect((error as ParseError).message).toMatch(message);
  });

  it('reads an empty file and a file without dependencies as no components', async () => {
    expect((await parseConda(input(''))).components).toEqual([]);
    expect((await parseConda(input('name: x\nchannels: [defaults]\n'))).indexes).toEqual([]);
    expect((await parseConda(input('channels:\ndependencies:\n'))).components).toEqual([]);
  });
});
