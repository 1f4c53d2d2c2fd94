import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifestInput, type ManifestInput } from './input.js';
import { parseUvLock } from './uv-lock.js';

const FIXTURES = resolve(import.meta.dirname, '../../../../test/fixtures/deps/locks');

function textInput(text: string): ManifestInput {
  return {
    path: 'uv.lock',
    absolutePath: '/project/uv.lock',
    text,
    readInclude: (reference) =>
      Promise.reject(Object.assign(new Error(`ENOENT: ${reference}`), { code: 'ENOENT' })),
  };
}

describe('uv.lock', () => {
  it('reads registry packages with hashes, leaves out the project itself, and scopes from the root lists', async () => {
    const path = join(FIXTURES, 'uv-from-index/uv.lock');
    const manifest = await parseUvLock(await readManifestInput(path, 'uv-from-index/uv.lock'));
    expect(manifest).toMatchObject({ format: 'uv-lock', lock: true });
    expect(
      manifest.components.map((component) => [
        component.name,
        component.version,
        component.direct,
        component.scope,
      ]),
    ).toEqual([
      ['filelock', '3.15.4', false, 'main'],
      ['iniconfig', '2.0.0', false, 'dev'],
      ['mlflow-skinny', '2.15.1', true, 'tracking'],
      ['pillow', '10.4.0', true, 'main'],
      ['pytest', '8.3.2', true, 'dev'],
      ['ruff', '0.5.7', true, 'lint'],
      ['torch', '2.4.0', true, 'main'],
    ]);
    const torch = manifest.components.find((component) => component.name === 'torch');
    expect(torch).toMatchObject({
      pin: 'exact',
      index: 'https://download.pytorch.org/whl/cu121',
      dependencies: ['filelock'],
      origin: { path: 'uv-from-index/uv.lock', line: 59 },
    });
    expect(manifest.components.find((component) => component.name === 'pillow')?.hashes).toHaveLength(2);
    // The pin of [tool.uv.sources] in pyproject.toml, and uv's copy of it in the lock's requires-dist.
    expect(manifest.indexPins).toEqual([
      expect.objectContaining({
        packageName: 'torch',
        indexName: 'pytorch-cu121',
        url: 'https://download.pytorch.org/whl/cu121',
      }),
      {
        packageName: 'torch',
        url: 'https://download.pytorch.org/whl/cu121',
        origin: { path: 'uv-from-index/uv.lock', line: 70 },
      },
    ]);
  });

  it('reads git, url and path sources as references, and without a pyproject.toml still finds direct names', async () => {
    const manifest = await parseUvLock(
      textInput(`version = 1

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "peft" }, { name = "wheelhouse-pkg" }]

[[package]]
name = "peft"
version = "0.12.0"
source = { git = "https://github.com/huggingface/peft.git?rev=v0.12.0#9d7d5de0f1dfa2b5d7f9c8b3a4e1c6d2f0a9b8c7" }

[[package]]
name = "wheelhouse-pkg"
version = "1.0.0"
source = { path = "wheels/wheelhouse_pkg-1.0.0-py3-none-any.whl" }
`),
    );
    expect(manifest.components.map((component) => [component.name, component.pin, component.direct])).toEqual(
      [
        ['peft', 'vcs', true],
        ['wheelhouse-pkg', 'path', true],
      ],
    );
  });

  it('fails closed on a package without a source and on a dependency without a name', async () => {
    await expect(parseUvLock(textInput('[[package]]\nname = "a"\nversion = "1"\n'))).rejects.toThrow(
      /uv\.lock:2: \[\[package\]\] needs a source/,
    );
    await expect(
      parseUvLock(
        textInput(
          '[[package]]\nname = "a"\nversion = "1"\nsource = { registry = "https://pypi.org/simple" }\ndependencies = [{ marker = "x" }]\n',
        ),
      ),
    ).rejects.toThrow(/a dependency needs a name/);
  });
});
