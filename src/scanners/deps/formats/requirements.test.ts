import { join, posix, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LimitError, ParseError } from '../../../core/errors.js';
import type { Component } from '../model.js';
import type { ManifestInput } from './input.js';
import { readManifestInput } from './input.js';
import { parseRequirementsFile, type RequirementsManifest } from './requirements.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const CORPUS = join(REPO, '../shared/corpora/real-manifests');
const FIXTURES = join(REPO, 'test/fixtures/deps/requirements');

/** Requirement files in memory: `files` maps `/proj/…` paths to text; includes resolve like pip's. */
function memoryInput(files: Record<string, string>, path: string): ManifestInput {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
  return {
    path: path.replace(/^\/proj\//, ''),
    absolutePath: path,
    text,
    readInclude: (reference) =>
      Promise.resolve(memoryInput(files, posix.resolve(posix.dirname(path), reference))),
  };
}

function parse(text: string, env?: Record<string, string>): Promise<RequirementsManifest> {
  return parseRequirementsFile(memoryInput({ '/proj/requirements.txt': text }, '/proj/requirements.txt'), {
    ...(env !== undefined && { env }),
  });
}

function byName(manifest: RequirementsManifest, name: string): Component {
  const found = manifest.components.find((component) => component.normalizedName === name);
  if (found === undefined) throw new Error(`${name} not parsed`);
  return found;
}

async function parseError(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ParseError || error instanceof LimitError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('requirements files from real projects', () => {
  async function corpus(name: string): Promise<RequirementsManifest> {
    return parseRequirementsFile(await readManifestInput(join(CORPUS, name), name));
  }

  it('reads plain pins and ranges (gpt-2)', async () => {
    const manifest = await corpus('gpt2__requirements.txt');
    expect(manifest.components.map((c) => [c.name, c.pin, c.version])).toEqual([
      ['fire', 'range', undefined],
      ['regex', 'exact', '2017.4.5'],
      ['requests', 'exact', '2.21.0'],
      ['tqdm', 'exact', '4.31.1'],
    ]);
  });

  it('reads exact pins (privategpt)', async () => {
    const manifest = await corpus('privategpt__requirements.txt');
    expect(manifest.components).toHaveLength(13);
    expect(manifest.components.every((c) => c.pin === 'exact')).toBe(true);
    expect(byName(manifest, 'pymupdf')).toMatchObject({
      name: 'PyMuPDF',
      version: '1.22.3',
      origin: { line: 6 },
    });
  });

  it('reads markers, local versions and an extra index (text-generation-inference)', async () => {
    const manifest = await corpus('tgi__server__requirements.txt');
    expect(manifest.components).toHaveLength(57);
    expect(manifest.indexes.map((index) => [index.kind, index.url, index.origin.line])).toEqual([
      ['extra', 'https://download.pytorch.org/whl/cu118', 1],
    ]);
    expect(byName(manifest, 'torch')).toMatchObject({
      version: '2.0.1+cu118',
      pin: 'exact',
      origin: { line: 51 },
    });
    expect(byName(manifest, 'colorama').markerText).toBe(
      'python_version >= "3.9" and python_version < "3.13" and (sys_platform == "win32" or platform_system == "Windows")',
    );
  });

  it('reads unpinned names, pre-releases and a bare VCS URL (transformers lxmert)', async () => {
    const manifest = await corpus('transformers__lxmert__requirements.txt');
    expect(manifest.components).toHaveLength(98);
    expect(manifest.components.filter((c) => c.pin === 'unpinned').map((c) => c.name)).toEqual([
      'ipython',
      'traitlets',
    ]);
    expect(manifest.components.filter((c) => c.pin === 'range').map((c) => c.name)).toEqual([
      'Jinja2',
      'Pillow',
      'Pygments',
      'PyYAML',
    ]);
    expect(byName(manifest, 'tokenizers').version).toBe('0.8.1rc2');
    expect(byName(manifest, 'transformers')).toMatchObject({
      pin: 'vcs',
      url: 'git+https://github.com/huggingface/transformers.git',
    });
  });

  it('reads pip-compile output with via comments (unstructured)', async () => {
    const manifest = await corpus('unstructured__requirements__base.txt');
    expect(manifest.components).toHaveLength(37);
    expect(byName(manifest, 'rfc3986')).toMatchObject({
      extras: ['idna2008'],
      version: '1.5.0',
      origin: { line: 81 },
    });
  });

  it('reads a hashed lock with continuations, markers and extras (jax)', async () => {
    const manifest = await corpus('jax__build__requirements_lock_3_11.txt');
    expect(manifest.components).toHaveLength(43);
    expect(manifest.components.every((c) => c.pin === 'exact' && c.hashes.length > 0)).toBe(true);
    expect(byName(manifest, 'absl-py')).toMatchObject({ origin: { line: 7 }, hashes: { length: 2 } });
    expect(byName(manifest, 'absl-py').hashes[0]).toEqual({
      algorithm: 'sha256',
      digest: '526a04eadab8b4ee719ce68f204172ead1027549089702d99b9059f129ff1308',
    });
    expect(byName(manifest, 'etils').extras).toEqual(['epath', 'epy']);
    expect(byName(manifest, 'numpy').markerText).toBe('python_version == "3.11"');
    expect(byName(manifest, 'setuptools').hashes).toHaveLength(2);
    expect(manifest.lineTexts.get(byName(manifest, 'numpy'))).toBe(
      'numpy==1.23.5 ; python_version == "3.11"',
    );
  });
});

describe('requirements syntax', () => {
  it('joins continuations, keeping the first physical line, and handles CRLF', async () => {
    const manifest = await parse(
      '# top\r\nrequests \\\r\n  ==2.31.0 \\\r\n  --hash=sha256:' + 'a'.repeat(64) + '\r\nnumpy==1.26.4\r\n',
    );
    expect(manifest.components.map((c) => [c.name, c.version, c.origin.line, c.hashes.length])).toEqual([
      ['requests', '2.31.0', 2, 1],
      ['numpy', '1.26.4', 5, 0],
    ]);
  });

  it('ends a continuation at a comment line and ignores a trailing backslash at the end', async () => {
    const manifest = await parse('six==1.16.0 \\\n# a comment\nidna==3.7 \\');
    expect(manifest.components.map((c) => [c.name, c.origin.line])).toEqual([
      ['six', 1],
      ['idna', 3],
    ]);
  });

  it('removes comments only at line start or after whitespace, not inside URLs', async () => {
    const manifest = await parse(
      'torch==2.1.0  # cuda build\n-e git+https://github.com/org/tool.git@v1.2#egg=tool\n#pinned==1.0\n',
    );
    expect(manifest.components.map((c) => c.name)).toEqual(['torch', 'tool']);
    expect(byName(manifest, 'tool')).toMatchObject({
      pin: 'vcs',
      url: 'git+https://github.com/org/tool.git@v1.2#egg=tool',
    });
  });

  it('expands ${NAME} from the given environment and leaves unset ones as a range', async () => {
    const text =
      '--extra-index-url https://${TOKEN}@pypi.corp.example/simple\ntorch==${TORCH}\nnumpy==$NUMPY\n';
    await expect(parse(text)).rejects.toThrow(ParseError);
    const manifest = await parse('--index-url https://${TOKEN}@pypi.corp.example/simple\ntorch==${TORCH}\n');
    expect(manifest.indexes[0]?.url).toBe('https://${TOKEN}@pypi.corp.example/simple');
    expect(byName(manifest, 'torch')).toMatchObject({
      pin: 'range',
      specifiers: [{ operator: '==', version: '${TORCH}' }],
    });
    expect(byName(manifest, 'torch').version).toBeUndefined();
    const private_ = await parse(
      'acme-ml @ git+https://${GITHUB_TOKEN}@github.com/acme/ml.git@v2 ; python_version >= "3.10"\n',
    );
    expect(byName(private_, 'acme-ml')).toMatchObject({
      pin: 'vcs',
      url: 'git+https://${GITHUB_TOKEN}@github.com/acme/ml.git@v2',
      markerText: 'python_version >= "3.10"',
    });
    const expanded = await parse('torch==${TORCH}\n', { TORCH: '2.2.0' });
    expect(byName(expanded, 'torch')).toMatchObject({ pin: 'exact', version: '2.2.0' });
    expect((await parseError(parse('${PKG}==1.0\n'))).message).toMatch(
      /requirements.txt:1: .*environment variable/,
    );
  });

  it('reads every global option', async () => {
    const manifest = await parse(
      [
        '-i https://pypi.corp.example/simple',
        '--extra-index-url=https://download.pytorch.org/whl/cu121',
        '-f ./wheels',
        '--find-links https://example.org/links.html',
        '--trusted-host pypi.corp.example',
        '--pre',
        '--no-binary :all:',
        '--only-binary=numpy',
        '--prefer-binary',
        '--require-hashes',
        '--no-index',
        '--use-feature truststore',
        '--extra-index https://abbreviated.example/simple',
      ].join('\n'),
    );
    expect(manifest.indexes.map((index) => [index.kind, index.url, index.origin.line])).toEqual([
      ['primary', 'https://pypi.corp.example/simple', 1],
      ['extra', 'https://download.pytorch.org/whl/cu121', 2],
      ['find-links', './wheels', 3],
      ['find-links', 'https://example.org/links.html', 4],
      ['trusted-host', 'pypi.corp.example', 5],
      ['extra', 'https://abbreviated.example/simple', 13],
    ]);
    expect(manifest.requireHashes).toBe(true);
    expect(manifest.noIndex).toBe(true);
  });

  it('reads per-requirement options, repeated hashes and quoted values', async () => {
    const manifest = await parse(
      `pkg==1.0 --hash=sha256:${'b'.repeat(64)} --hash sha512:${'c'.repeat(128)} --config-settings "--build-option=--x y" --global-option=--quiet\n`,
    );
    expect(byName(manifest, 'pkg').hashes.map((hash) => hash.algorithm)).toEqual(['sha256', 'sha512']);
    expect(manifest.lineTexts.get(byName(manifest, 'pkg'))).toBe('pkg==1.0');
  });

  it('reads editables, direct URLs, wheels and sdists, ===, extras and markers', async () => {
    const manifest = await parse(
      [
        '-e .',
        '--editable ./libs/core-utils[test]',
        '-e git+ssh://git@github.com/org/private-pkg.git@3f1c2a9#egg=private_pkg[gpu]',
        'mylib @ https://files.example.org/mylib-2.0.tar.gz ; python_version >= "3.9"',
        'https://download.pytorch.org/whl/cu121/torch-2.1.0%2Bcu121-cp311-cp311-linux_x86_64.whl',
        './dist/flash_attn-2.5.8-cp311-cp311-linux_x86_64.whl; sys_platform == "linux"',
        'vendor/python-dateutil-2.8.2.tar.gz',
        'https://github.com/org/thing/archive/refs/tags/v1.0.zip#egg=thing',
        'legacy===1.0-custom',
        'accelerate[deepspeed,torch] >= 0.27, < 1 ; platform_system != "Windows"',
        'hf-hub (==0.20.3)',
      ].join('\n'),
    );
    expect(manifest.components.map((c) => [c.name, c.pin, c.version])).toEqual([
      ['private_pkg', 'vcs', undefined],
      ['mylib', 'url', undefined],
      ['torch', 'url', '2.1.0+cu121'],
      ['flash-attn', 'path', '2.5.8'],
      ['python-dateutil', 'path', '2.8.2'],
      ['thing', 'url', undefined],
      ['legacy', 'exact', '1.0-custom'],
      ['accelerate', 'range', undefined],
      ['hf-hub', 'exact', '0.20.3'],
    ]);
    expect(byName(manifest, 'private-pkg').extras).toEqual(['gpu']);
    expect(byName(manifest, 'mylib').markerText).toBe('python_version >= "3.9"');
    expect(byName(manifest, 'flash-attn').markerText).toBe('sys_platform == "linux"');
    expect(byName(manifest, 'accelerate')).toMatchObject({
      extras: ['deepspeed', 'torch'],
      specifiers: [
        { operator: '>=', version: '0.27' },
        { operator: '<', version: '1' },
      ],
      markerText: 'platform_system != "Windows"',
    });
  });

  it('keeps malformed and weak hashes for the hash check', async () => {
    const manifest = await parse('a==1 --hash=md5:0123 --hash=deadbeef\n');
    expect(byName(manifest, 'a').hashes).toEqual([
      { algorithm: 'md5', digest: '0123' },
      { algorithm: 'unknown', digest: 'deadbeef' },
    ]);
  });

  it.each([
    ['numpy>=', /requirements.txt:1: expected a version/],
    ['numpy==1.0 --no-such-option', /requirements.txt:1: no such option: --no-such-option/],
    ['--index-url', /requirements.txt:1: --index-url option requires an argument/],
    ['pkg==1.0 --hash "sha256:abc', /requirements.txt:1: no closing quotation/],
    ['-e https://example.org/pkg.tar.gz', /requirements.txt:1: .*not a valid editable requirement/],
    ['-e git+https://github.com/org/repo.git', /requirements.txt:1: .*#egg=name/],
    ['https://example.org/archive.tar.gz', /requirements.txt:1: cannot tell the project/],
    ['--pre=yes', /requirements.txt:1: --pre option does not take a value/],
    ['--no https://x', /requirements.txt:1: ambiguous option: --no/],
    ['\n\nfoo bar', /requirements.txt:3: unexpected "b"/],
    ['-r https://example.org/requirements.txt', /requirements.txt:1: -r https:.* is remote/],
    ['-r missing.txt', /requirements.txt:1: cannot read -r missing.txt/],
  ])('rejects %j with file and line', async (text, message) => {
    expect((await parseError(parse(text))).message).toMatch(message);
  });
});

describe('a fixture with every syntax element (BOM, CRLF), checked against pip 23.2 parse_requirements', () => {
  it('gives the names, lines and pins pip gives', async () => {
    const path = 'deps/requirements/syntax/requirements.txt';
    const manifest = await parseRequirementsFile(
      await readManifestInput(join(REPO, 'test/fixtures', path), path),
    );
    // `-e .` (line 22) is the project itself: pip names it only after building it, mlsec scans it as code.
    expect(manifest.components.map((c) => [c.origin.line, c.normalizedName, c.pin, c.version])).toEqual([
      [9, 'torch', 'exact', '2.2.2+cu121'],
      [11, 'numpy', 'range', undefined],
      [12, 'accelerate', 'range', undefined],
      [13, 'legacy-tool', 'exact', '2024.1-internal'],
      [14, 'hf-transfer', 'exact', '0.1.6'],
      [17, 'tokenizers', 'url', undefined],
      [18, 'flash-attn', 'url', '2.5.8'],
      [19, 'apex', 'path', '0.1'],
      [20, 'peft', 'vcs', undefined],
      [21, 'eval-harness', 'vcs', undefined],
      [25, 'xformers', 'exact', '0.0.25'],
    ]);
    expect(manifest.components.filter((c) => c.hashes.length > 0).map((c) => c.name)).toEqual(['torch']);
    expect(manifest.indexes.map((index) => [index.kind, index.url])).toEqual([
      ['primary', 'https://pypi.org/simple'],
      ['find-links', './wheels'],
    ]);
  });
});

describe('includes', () => {
  it('adds -r components with the included origin and -c ones as constraints', async () => {
    const files = {
      '/proj/requirements.txt': 'flask==3.0.0\n-r requirements/base.txt\n--constraint constraints.txt\n',
      '/proj/requirements/base.txt':
        '\n--require-hashes\nnumpy==1.26.4 --hash=sha256:' + 'd'.repeat(64) + '\n',
      '/proj/constraints.txt': 'urllib3<2\n-r requirements/base.txt\n',
    };
    const manifest = await parseRequirementsFile(memoryInput(files, '/proj/requirements.txt'));
    expect(manifest.components.map((c) => [c.name, c.scope, c.direct, c.origin.path, c.origin.line])).toEqual(
      [
        ['flask', 'main', true, 'requirements.txt', 1],
        ['numpy', 'main', true, 'requirements/base.txt', 3],
        ['urllib3', 'constraint', false, 'constraints.txt', 1],
      ],
    );
    expect(manifest.requireHashes).toBe(true);
  });

  it('reads a file reached twice once and rejects cycles naming both files and the line', async () => {
    const diamond = {
      '/proj/requirements.txt': '-r a.txt\n-r b.txt\n',
      '/proj/a.txt': '-r common.txt\n',
      '/proj/b.txt': '-r common.txt\n',
      '/proj/common.txt': 'six==1.16.0\n',
    };
    const manifest = await parseRequirementsFile(memoryInput(diamond, '/proj/requirements.txt'));
    expect(manifest.components).toHaveLength(1);
    const cycle = {
      '/proj/requirements.txt': '-r dev.txt\n',
      '/proj/dev.txt': 'pytest==8.0.0\n\n-r requirements.txt\n',
    };
    expect(
      (await parseError(parseRequirementsFile(memoryInput(cycle, '/proj/requirements.txt')))).message,
    ).toBe(
      'dev.txt:3: -r requirements.txt forms an include cycle: requirements.txt -> dev.txt -> requirements.txt',
    );
    const self = { '/proj/requirements.txt': '-c ./requirements.txt\n' };
    expect(
      (await parseError(parseRequirementsFile(memoryInput(self, '/proj/requirements.txt')))).message,
    ).toMatch(/^requirements.txt:1: -c \.\/requirements.txt forms an include cycle/);
  });

  it('limits the include depth', async () => {
    const files: Record<string, string> = {};
    for (let level = 0; level < 40; level++) files[`/proj/r${level}.txt`] = `-r r${level + 1}.txt\n`;
    files['/proj/r40.txt'] = 'six\n';
    const error = await parseError(parseRequirementsFile(memoryInput(files, '/proj/r0.txt')));
    expect(error).toBeInstanceOf(LimitError);
    expect(error.message).toMatch(/^r\d+\.txt:1: includes nest deeper than 16 files/);
  });

  it('reads includes from disk relative to the including file', async () => {
    const input = await readManifestInput(
      join(FIXTURES, 'nested/requirements.txt'),
      'nested/requirements.txt',
    );
    const manifest = await parseRequirementsFile(input);
    expect(manifest.components.map((c) => [c.name, c.origin.path, c.scope])).toEqual([
      ['fastapi', 'nested/requirements.txt', 'main'],
      ['pydantic', 'nested/requirements/common.txt', 'main'],
      ['starlette', 'nested/requirements/constraints.txt', 'constraint'],
    ]);
  });
});

describe('hostile input', () => {
  /** A small seeded generator, so that a failure reproduces. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
  }
  const PIECES = [
    'numpy',
    '==',
    '>=',
    '1.0',
    '.*',
    '[x]',
    ' ',
    '\t',
    ';',
    ' ; ',
    'python_version',
    '"3.8"',
    '@',
    'https://h/p',
    '#',
    ' #',
    '#egg=',
    '\\',
    '\n',
    '\r\n',
    '-r',
    '-e',
    '--hash',
    '=',
    'sha256:',
    'ab',
    "'",
    '"',
    '${',
    'X}',
    '(',
    ')',
    ',',
    '--index-url',
    '-i',
    '--no-index',
    './',
    'a.whl',
    '-1.0.tar.gz',
    'git+https://g/r.git',
    '\u2028',
    '\0',
  ];

  it('either parses or throws a ParseError with file and line, never anything else', async () => {
    const next = random(7);
    for (let round = 0; round < 3000; round++) {
      const length = 1 + Math.floor(next() * 12);
      const text = Array.from({ length }, () => PIECES[Math.floor(next() * PIECES.length)] ?? '').join('');
      try {
        await parse(text);
      } catch (error) {
        expect(error, JSON.stringify(text)).toBeInstanceOf(ParseError);
        expect((error as Error).message, JSON.stringify(text)).toMatch(/^requirements\.txt:\d+: /);
      }
    }
  });

  it('stays linear on long runs of spaces, brackets and continuations', async () => {
    const started = Date.now();
    await expect(parse(`a${' '.repeat(2_000_000)}b\n`)).rejects.toThrow(ParseError);
    await expect(parse(`x${'['.repeat(2_000_000)}\n`)).rejects.toThrow(ParseError);
    const manifest = await parse(`a==1 \\\n${'  --hash=sha256:abcd \\\n'.repeat(100_000)}\n`);
    expect(manifest.components[0]?.hashes).toHaveLength(100_000);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
