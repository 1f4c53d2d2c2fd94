import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifestInput, type ManifestInput } from './input.js';
import { parsePipfileLock, parsePipfileText } from './pipfile.js';

const REAL = resolve(import.meta.dirname, '../../../../../shared/corpora/real-manifests');
const FIXTURES = resolve(import.meta.dirname, '../../../../test/fixtures/deps/locks');

function lockInput(path: string, text: string): ManifestInput {
  return {
    path,
    absolutePath: `/project/${path}`,
    text,
    readInclude: (reference) =>
      Promise.reject(Object.assign(new Error(`ENOENT: ${reference}`), { code: 'ENOENT' })),
  };
}

describe('Pipfile', () => {
  it('reads packages, dev-packages, sources, index pins, markers and references', () => {
    const manifest = parsePipfileText(
      'Pipfile',
      `[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[[source]]
url = "https://nexus.acme.example/simple"
verify_ssl = true
name = "internal"

[packages]
requests = "*"
numpy = "1.26.4"
acme-auth = {version = "==1.8.0", index = "internal"}
torch = {version = ">=2.1", sys_platform = "== 'linux'", extras = ["CUDA"]}
django = {git = "https://github.com/django/django.git", ref = "4.2.14"}

[dev-packages]
pytest = ">=8"
`,
    );
    expect(
      manifest.components.map((component) => [
        component.name,
        component.scope,
        component.pin,
        component.origin.line,
      ]),
    ).toEqual([
      ['requests', 'main', 'unpinned', 12],
      ['numpy', 'main', 'exact', 13],
      ['acme-auth', 'main', 'exact', 14],
      ['torch', 'main', 'range', 15],
      ['django', 'main', 'vcs', 16],
      ['pytest', 'dev', 'range', 19],
    ]);
    expect(manifest.components[2]).toMatchObject({
      version: '1.8.0',
      index: 'https://nexus.acme.example/simple',
    });
    expect(manifest.components[3]).toMatchObject({ markerText: "sys_platform == 'linux'", extras: ['cuda'] });
    expect(manifest.components[4]?.url).toBe('git+https://github.com/django/django.git@4.2.14');
    expect(manifest.indexes.map((index) => [index.name, index.kind])).toEqual([
      ['pypi', 'primary'],
      ['internal', 'extra'],
    ]);
    expect(manifest.indexPins).toEqual([
      {
        packageName: 'acme-auth',
        indexName: 'internal',
        url: 'https://nexus.acme.example/simple',
        origin: { path: 'Pipfile', line: 14 },
      },
    ]);
  });

  it('reads other tables as pipenv categories, but not requires, scripts or pipenv', () => {
    const manifest = parsePipfileText(
      'Pipfile',
      '[packages]\nrequests = "*"\n\n[docs]\nsphinx = "==7.4.7"\n\n[scripts]\nserve = "python app.py"\n\n[requires]\npython_version = "3.11"\n',
    );
    expect(manifest.components.map((component) => [component.name, component.scope])).toEqual([
      ['requests', 'main'],
      ['sphinx', 'docs'],
    ]);
  });

  it('fails closed on a bad version and a source without a url', () => {
    expect(() => parsePipfileText('Pipfile', '[packages]\ntorch = ">=2.1 beta"\n')).toThrow(
      /Pipfile:2: invalid version/,
    );
    expect(() => parsePipfileText('Pipfile', '[[source]]\nname = "x"\n')).toThrow(
      /Pipfile:1: a source needs a name and a url/,
    );
  });
});

describe('Pipfile.lock', () => {
  it('reads the real presidio-analyzer lock: 43 default and 27 develop pins with hashes and markers', async () => {
    const file = join(REAL, 'presidio-analyzer__Pipfile.lock');
    const manifest = await parsePipfileLock(lockInput('Pipfile.lock', readFileSync(file, 'utf8')));
    expect(manifest).toMatchObject({ format: 'pipfile-lock', lock: true });
    expect(manifest.components).toHaveLength(70);
    expect(manifest.components.filter((component) => component.scope === 'dev')).toHaveLength(27);
    expect(
      manifest.components.every((component) => component.pin === 'exact' && component.hashes.length > 0),
    ).toBe(true);
    expect(
      manifest.components.filter((component) => component.index === 'https://pypi.python.org/simple'),
    ).toHaveLength(13);
    expect(manifest.components.find((component) => component.name === 'catalogue')).toMatchObject({
      version: '2.0.8',
      markerText: "python_version >= '3.6'",
      origin: { line: 50 },
    });
    expect(manifest.indexes).toEqual([
      expect.objectContaining({ name: 'pypi', url: 'https://pypi.python.org/simple', kind: 'primary' }),
    ]);
  });

  it('marks the Pipfile packages direct and carries their index pins', async () => {
    const path = join(FIXTURES, 'pipfile-from-pypi/Pipfile.lock');
    const manifest = await parsePipfileLock(await readManifestInput(path, 'pipfile-from-pypi/Pipfile.lock'));
    expect(
      manifest.components.filter((component) => component.direct).map((component) => component.name),
    ).toEqual(['acme-auth', 'requests', 'scikit-learn', 'pytest']);
    expect(manifest.indexPins.map((pin) => pin.packageName)).toEqual(['acme-auth']);
  });

  it('reads git and file entries as references, not exact pins', async () => {
    const manifest = await parsePipfileLock(
      lockInput(
        'Pipfile.lock',
        JSON.stringify({
          _meta: { sources: [{ name: 'pypi', url: 'https://pypi.org/simple', verify_ssl: true }] },
          default: {
            peft: {
              git: 'https://github.com/huggingface/peft.git',
              ref: '9d7d5de0f1dfa2b5d7f9c8b3a4e1c6d2f0a9b8c7',
            },
            wheel: { file: 'https://example.com/wheels/acme-1.0-py3-none-any.whl' },
          },
        }),
      ),
    );
    expect(
      manifest.components.map((component) => [component.name, component.pin, component.version]),
    ).toEqual([
      ['peft', 'vcs', undefined],
      ['wheel', 'url', undefined],
    ]);
  });

  it('fails closed on invalid JSON with the line, and on an entry without an exact version', async () => {
    await expect(
      parsePipfileLock(lockInput('Pipfile.lock', '{\n  "default": {\n    "a": {,}\n  }\n}\n')),
    ).rejects.toThrow(/^Pipfile\.lock:3: invalid JSON/);
    await expect(
      parsePipfileLock(lockInput('Pipfile.lock', '{"default": {"a": {"version": ">=1"}}}')),
    ).rejects.toThrow(/Pipfile\.lock:1: "default.a" has no exact version/);
  });
});
