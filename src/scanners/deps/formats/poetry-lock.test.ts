import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ManifestInput } from './input.js';
import { readManifestInput } from './input.js';
import { parsePoetryLock } from './poetry-lock.js';

const REAL = resolve(import.meta.dirname, '../../../../../shared/corpora/real-manifests');
const FIXTURES = resolve(import.meta.dirname, '../../../../test/fixtures/deps/locks');

/** A file of the real corpus, whose neighbours have prefixed names: `includes` maps a neighbour to its file. */
function realInput(file: string, includes: Record<string, string> = {}): ManifestInput {
  return {
    path: file,
    absolutePath: join(REAL, file),
    text: readFileSync(join(REAL, file), 'utf8'),
    readInclude: (reference) => {
      const target = includes[reference];
      return target === undefined
        ? Promise.reject(Object.assign(new Error(`ENOENT: ${reference}`), { code: 'ENOENT' }))
        : Promise.resolve(realInput(target));
    },
  };
}

function textInput(text: string, includes: Record<string, string> = {}): ManifestInput {
  return {
    path: 'poetry.lock',
    absolutePath: '/project/poetry.lock',
    text,
    readInclude: (reference) => {
      const included = includes[reference];
      return included === undefined
        ? Promise.reject(Object.assign(new Error(`ENOENT: ${reference}`), { code: 'ENOENT' }))
        : Promise.resolve({ ...textInput(included), path: reference });
    },
  };
}

describe('real poetry.lock files', () => {
  it('reads the old layout of spleeter: categories, [metadata.files] hashes, direct names from pyproject.toml', async () => {
    const manifest = await parsePoetryLock(
      realInput('spleeter__poetry.lock', { 'pyproject.toml': 'spleeter__pyproject.toml' }),
    );
    expect(manifest).toMatchObject({ format: 'poetry-lock', lock: true });
    expect(manifest.components).toHaveLength(105);
    expect(manifest.components.every((component) => component.pin === 'exact')).toBe(true);
    expect(manifest.components.filter((component) => component.scope === 'dev')).toHaveLength(15);
    expect(manifest.components.filter((component) => component.direct)).toHaveLength(19);
    expect(manifest.components.every((component) => component.hashes.length > 0)).toBe(true);
    const anyio = manifest.components.find((component) => component.name === 'anyio');
    expect(anyio).toMatchObject({
      version: '3.6.1',
      direct: false,
      dependencies: ['idna', 'sniffio', 'typing-extensions'],
      origin: { path: 'spleeter__poetry.lock', line: 10 },
    });
    expect(anyio?.hashes[0]).toEqual({
      algorithm: 'sha256',
      digest: 'cb29b9c70620506a9a8f87a309591713446953302d7d995344d0d7c6c0c9a7be',
    });
    expect(manifest.components.find((component) => component.name === 'tensorflow')).toMatchObject({
      version: '2.9.0',
      direct: true,
      scope: 'main',
    });
  });

  it('reads the new layout of privateGPT: inline files, and no entry direct without its pyproject.toml', async () => {
    const manifest = await parsePoetryLock(realInput('privategpt__poetry.lock'));
    expect(manifest.components).toHaveLength(206);
    expect(manifest.components.reduce((sum, component) => sum + component.hashes.length, 0)).toBe(2843);
    expect(manifest.components.some((component) => component.direct)).toBe(false);
    expect(manifest.components.find((component) => component.name === 'accelerate')).toMatchObject({
      version: '0.24.1',
      dependencies: ['huggingface-hub', 'numpy', 'packaging', 'psutil', 'pyyaml', 'torch'],
      origin: { line: 4 },
    });
  });
});

describe('poetry.lock sources', () => {
  it('reads legacy sources as the index URL and git, directory and url sources as references', async () => {
    const manifest = await parsePoetryLock(
      textInput(`[[package]]
name = "acme-features"
version = "2.4.1"
groups = ["main"]
markers = "sys_platform == 'linux'"
files = []

[package.source]
type = "legacy"
url = "https://pypi.acme.example/simple"
reference = "acme"

[[package]]
name = "peft"
version = "0.12.0"
files = []

[package.source]
type = "git"
url = "https://github.com/huggingface/peft.git"
reference = "v0.12.0"
resolved_reference = "9d7d5de0f1dfa2b5d7f9c8b3a4e1c6d2f0a9b8c7"

[[package]]
name = "local-utils"
version = "0.1.0"
files = []

[package.source]
type = "directory"
url = "../local-utils"

[metadata]
lock-version = "2.1"
`),
    );
    expect(
      manifest.components.map((component) => [
        component.name,
        component.pin,
        component.index ?? component.url,
      ]),
    ).toEqual([
      ['acme-features', 'exact', 'https://pypi.acme.example/simple'],
      ['peft', 'vcs', 'git+https://github.com/huggingface/peft.git@9d7d5de0f1dfa2b5d7f9c8b3a4e1c6d2f0a9b8c7'],
      ['local-utils', 'path', '../local-utils'],
    ]);
    expect(manifest.components[0]).toMatchObject({ markerText: "sys_platform == 'linux'", scope: 'main' });
  });

  it('takes direct names, scopes and index pins from the fixture pyproject.toml beside the lock', async () => {
    const path = join(FIXTURES, 'poetry-from-pypi/poetry.lock');
    const manifest = await parsePoetryLock(await readManifestInput(path, 'poetry-from-pypi/poetry.lock'));
    expect(
      manifest.components.filter((component) => component.direct).map((component) => component.name),
    ).toEqual(['acme-feature-store', 'numpy', 'pytest']);
    expect(manifest.components.find((component) => component.name === 'pytest')?.scope).toBe('dev');
    expect(manifest.indexPins).toEqual([
      expect.objectContaining({ packageName: 'acme-feature-store', indexName: 'acme' }),
    ]);
    expect(manifest.indexPins[0]?.origin).toEqual({ path: 'poetry-from-pypi/pyproject.toml', line: 10 });
  });

  it('fails closed on malformed TOML, a package without a version and an unknown source type', async () => {
    await expect(parsePoetryLock(textInput('[[package]]\nname = "a"\nversion = 1.0.0\n'))).rejects.toThrow(
      /^poetry\.lock:3:\d+: invalid TOML/,
    );
    await expect(parsePoetryLock(textInput('[[package]]\nname = "a"\n'))).rejects.toThrow(
      /poetry\.lock:2: \[\[package\]\] needs a name and a version/,
    );
    await expect(
      parsePoetryLock(
        textInput('[[package]]\nname = "a"\nversion = "1"\n[package.source]\ntype = "svn"\nurl = "x"\n'),
      ),
    ).rejects.toThrow(/unknown \[package.source\] type "svn"/);
  });

  it('reports a malformed pyproject.toml beside the lock with that file and line', async () => {
    await expect(
      parsePoetryLock(
        textInput('[[package]]\nname = "a"\nversion = "1"\n', { 'pyproject.toml': '[tool.poetry\n' }),
      ),
    ).rejects.toThrow(/^pyproject\.toml:1:\d+: invalid TOML/);
  });
});
