import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifestInput, type ManifestInput } from './input.js';
import { parsePdmLock } from './pdm-lock.js';

const FIXTURES = resolve(import.meta.dirname, '../../../../test/fixtures/deps/locks');

function textInput(text: string): ManifestInput {
  return {
    path: 'pdm.lock',
    absolutePath: '/project/pdm.lock',
    text,
    readInclude: (reference) =>
      Promise.reject(Object.assign(new Error(`ENOENT: ${reference}`), { code: 'ENOENT' })),
  };
}

describe('pdm.lock', () => {
  it('reads packages, groups as scopes, dependencies and hashes; direct names from pyproject.toml', async () => {
    const path = join(FIXTURES, 'pdm/pdm.lock');
    const manifest = await parsePdmLock(await readManifestInput(path, 'pdm/pdm.lock'));
    expect(manifest).toMatchObject({ format: 'pdm-lock', lock: true });
    expect(
      manifest.components.map((component) => [
        component.name,
        component.version,
        component.scope,
        component.direct,
      ]),
    ).toEqual([
      ['numpy', '2.0.1', 'main', false],
      ['pandas', '2.2.2', 'main', true],
      ['pyarrow', '17.0.0', 'main', true],
      ['pytest', '8.3.2', 'test', false],
      ['python-dateutil', '2.9.0.post0', 'main', false],
      ['six', '1.16.0', 'main', false],
      ['tzdata', '2024.1', 'main', false],
    ]);
    expect(manifest.components[1]).toMatchObject({
      dependencies: ['numpy', 'python-dateutil', 'tzdata'],
      hashes: [{ algorithm: 'sha256' }, { algorithm: 'sha256' }],
      origin: { path: 'pdm/pdm.lock', line: 25 },
    });
  });

  it('folds the rows pdm writes per extra set into the package, and reads git packages as references', async () => {
    const manifest = await parsePdmLock(
      textInput(`[metadata]
groups = ["default"]

[[package]]
name = "transformers"
version = "4.44.0"
groups = ["default"]
dependencies = ["tokenizers<0.20,>=0.19"]

[[package]]
name = "transformers"
version = "4.44.0"
extras = ["torch"]
groups = ["default"]
dependencies = ["transformers==4.44.0", "torch"]

[[package]]
name = "peft"
version = "0.12.0"
git = "https://github.com/huggingface/peft.git"
revision = "9d7d5de0f1dfa2b5d7f9c8b3a4e1c6d2f0a9b8c7"
groups = ["default"]
`),
    );
    expect(
      manifest.components.map((component) => [component.name, component.pin, component.dependencies]),
    ).toEqual([
      ['transformers', 'exact', ['tokenizers', 'transformers', 'torch']],
      ['peft', 'vcs', []],
    ]);
  });

  it('fails closed without [metadata] and on a dependency that is not PEP 508', async () => {
    await expect(parsePdmLock(textInput('[[package]]\nname = "a"\nversion = "1"\n'))).rejects.toThrow(
      /has no \[metadata\]/,
    );
    await expect(
      parsePdmLock(
        textInput(
          '[metadata]\ngroups = []\n[[package]]\nname = "a"\nversion = "1"\ndependencies = ["b >="]\n',
        ),
      ),
    ).rejects.toThrow(/pdm\.lock:4: dependency "b >="/);
  });
});
