import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import { readManifestInput } from './input.js';
import { parseDirectUrl, parseEggRequires, parseInstalled, readInstalledDistribution } from './installed.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const SITE = 'test/fixtures/deps/env/venv/lib/python3.11/site-packages';

async function read(relative: string) {
  const path = `${SITE}/${relative}`;
  return readManifestInput(join(REPO, path), path);
}

describe('installed distributions', () => {
  it('reads a dist-info: exact pin, REQUESTED makes it direct, direct_url.json gives the editable path', async () => {
    const manifest = await parseInstalled(await read('app-1.0.dist-info/METADATA'));
    expect(manifest).toMatchObject({ format: 'dist-info', lock: true, indexes: [] });
    expect(manifest.components).toEqual([
      {
        name: 'app',
        normalizedName: 'app',
        ecosystem: 'PyPI',
        version: '1.0',
        specifiers: [{ operator: '==', version: '1.0' }],
        pin: 'path',
        direct: true,
        scope: 'main',
        hashes: [],
        extras: [],
        url: 'file:///home/user/src/app',
        // Extra-only requirements (pytest) are left out; platform-dependent ones may apply and stay.
        dependencies: ['requests', 'alpha', 'legacy', 'gone', 'pywin32', 'tomli'],
        license: 'MIT',
        origin: { path: `${SITE}/app-1.0.dist-info/METADATA`, line: 2 },
      },
    ]);
  });

  it('reads archive hashes from direct_url.json and leaves a distribution without REQUESTED indirect', async () => {
    const { component } = await readInstalledDistribution(await read('urllib3-2.2.1.dist-info/METADATA'));
    expect(component).toMatchObject({
      pin: 'url',
      direct: false,
      version: '2.2.1',
      license: 'MIT',
      dependencies: [],
    });
    expect(component.hashes).toEqual([
      { algorithm: 'sha256', digest: '450b20ec296a467077128bff42b73080516e71b56ff59a60a02bef2232c4fa9d' },
    ]);
    const requests = await readInstalledDistribution(await read('requests-2.31.0.dist-info/METADATA'));
    expect(requests.component).toMatchObject({ pin: 'exact', direct: false, license: 'Apache 2.0' });
    expect(requests.requires).toHaveLength(6);
    expect(requests.component.dependencies).toEqual(['charset-normalizer', 'idna', 'urllib3', 'certifi']);
  });

  it('reads an egg-info folder with requires.txt sections, and a single-file egg-info', async () => {
    const manifest = await parseInstalled(await read('legacy-0.5-py3.11.egg-info/PKG-INFO'));
    expect(manifest.format).toBe('egg-info');
    expect(manifest.components[0]).toMatchObject({
      name: 'legacy',
      version: '0.5',
      license: 'BSD',
      dependencies: ['certifi', 'importlib-metadata'],
    });
    const single = await readInstalledDistribution(await read('oldstyle-1.2.egg-info'));
    expect(single.component).toMatchObject({
      name: 'oldstyle',
      version: '1.2',
      license: 'MIT',
      dependencies: [],
    });
  });

  it('turns requires.txt sections into markers', () => {
    const requires = parseEggRequires(
      'a\n\n[test]\nb\n[:sys_platform == "win32"]\nc\n[gpu:python_version < "3.9"]\nd; os_name == "nt"\n',
      'requires.txt',
    );
    expect(requires.map(({ requirement, line }) => [requirement.name, requirement.markerText, line])).toEqual(
      [
        ['a', undefined, 1],
        ['b', 'extra == "test"', 4],
        ['c', '(sys_platform == "win32")', 6],
        ['d', '(os_name == "nt") and (python_version < "3.9") and extra == "gpu"', 8],
      ],
    );
    expect(() => parseEggRequires('[x]\nfoo >> 1\n', 'requires.txt')).toThrow(/^requires\.txt:2: /);
  });

  it.each([
    [
      '{"url": "git+https://github.com/a/b", "vcs_info": {"vcs": "git", "commit_id": "abc"}}',
      { pin: 'vcs', editable: false },
    ],
    ['{"url": "file:///src/x", "dir_info": {}}', { pin: 'path', editable: false }],
    [
      '{"url": "https://x/y.whl", "archive_info": {"hash": "sha256=00ff"}}',
      { pin: 'url', hashes: [{ algorithm: 'sha256', digest: '00ff' }] },
    ],
  ])('reads direct_url.json %s', (text, expected) => {
    expect(parseDirectUrl(text, 'direct_url.json')).toMatchObject(expected);
  });

  it.each(['not json', '[]', '{"url": 3}'])('fails closed on direct_url.json %j', (text) => {
    expect(() => parseDirectUrl(text, 'x.dist-info/direct_url.json')).toThrow(ParseError);
    expect(() => parseDirectUrl(text, 'x.dist-info/direct_url.json')).toThrow(
      /^x\.dist-info\/direct_url\.json:1: /,
    );
  });
});
