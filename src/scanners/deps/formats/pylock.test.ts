import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifestInput, type ManifestInput } from './input.js';
import { parsePylock } from './pylock.js';

const FIXTURES = resolve(import.meta.dirname, '../../../../test/fixtures/deps/locks');

function textInput(text: string): ManifestInput {
  return {
    path: 'pylock.toml',
    absolutePath: '/project/pylock.toml',
    text,
    readInclude: (reference) =>
      Promise.reject(Object.assign(new Error(`ENOENT: ${reference}`), { code: 'ENOENT' })),
  };
}

describe('pylock.toml', () => {
  it('reads packages with index, sdist and wheel hashes, markers, dependencies and a VCS package', async () => {
    const path = join(FIXTURES, 'pylock/pylock.toml');
    const manifest = await parsePylock(await readManifestInput(path, 'pylock/pylock.toml'));
    expect(manifest).toMatchObject({ format: 'pylock', lock: true });
    expect(
      manifest.components.map((component) => [
        component.name,
        component.pin,
        component.version,
        component.hashes.length,
      ]),
    ).toEqual([
      ['safetensors', 'exact', '0.4.4', 1],
      ['tokenizers', 'exact', '0.19.1', 2],
      ['huggingface-hub', 'exact', '0.24.5', 1],
      ['peft', 'vcs', undefined, 0],
    ]);
    expect(manifest.components[1]).toMatchObject({
      index: 'https://pypi.org/simple',
      dependencies: ['huggingface-hub'],
      direct: false,
      origin: { line: 23 },
    });
    expect(manifest.components[2]?.markerText).toBe("python_version >= '3.8'");
    expect(manifest.components[3]?.url).toBe(
      'git+https://github.com/huggingface/peft.git@9d7d5de0f1dfa2b5d7f9c8b3a4e1c6d2f0a9b8c7',
    );
  });

  it('fails closed without a supported lock-version and on a hash that is not a string', async () => {
    await expect(parsePylock(textInput('[[packages]]\nname = "a"\n'))).rejects.toThrow(/has no lock-version/);
    await expect(parsePylock(textInput('lock-version = "2.0"\n'))).rejects.toThrow(
      /pylock\.toml:1: unsupported lock-version "2.0"/,
    );
    await expect(
      parsePylock(
        textInput(
          'lock-version = "1.0"\n[[packages]]\nname = "a"\nversion = "1"\n[packages.sdist]\nhashes = {sha256 = 1}\n',
        ),
      ),
    ).rejects.toThrow(/hash "sha256" must be a string/);
  });
});
