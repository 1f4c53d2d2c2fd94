import { readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../../core/finding.js';
import type { ScanSettings } from '../../../core/scanner.js';
import { readManifestInput, type ManifestInput } from '../formats/input.js';
import { parseRequirementsFile } from '../formats/requirements.js';
import type { Component, Manifest } from '../model.js';
import { hygieneCheck } from './hygiene.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const FIXTURES = join(REPO, 'test/fixtures');
const CORPUS = join(REPO, '../shared/corpora/real-manifests');

function run(manifest: Manifest): RawFinding[] {
  const findings: RawFinding[] = [];
  void hygieneCheck.run({
    manifest,
    settings: {} as ScanSettings,
    report: (finding) => findings.push(finding),
    checkDeadline: () => undefined,
  });
  return findings;
}

function memoryInput(files: Record<string, string>, path: string): ManifestInput {
  const text = files[path] ?? '';
  return {
    path: path.replace(/^\/proj\//, ''),
    absolutePath: path,
    text,
    readInclude: (reference) =>
      Promise.resolve(memoryInput(files, posix.resolve(posix.dirname(path), reference))),
  };
}

async function findingsFor(
  files: Record<string, string>,
  path = '/proj/requirements.txt',
): Promise<RawFinding[]> {
  return run(await parseRequirementsFile(memoryInput(files, path)));
}

const SHA256 = 'a'.repeat(64);

describe('DEP-PIN-001', () => {
  it('reports ranges and bare names with the declared range and the line text', async () => {
    const findings = await findingsFor({
      '/proj/requirements.txt': 'fastapi>=0.100 # web\ntransformers\ntorch==2.2.*\npydantic==2.6.4\n-e .\n',
    });
    expect(findings.map((f) => [f.ruleId, f.line, f.evidence, f.package])).toEqual([
      ['DEP-PIN-001', 1, 'fastapi>=0.100', 'fastapi'],
      ['DEP-PIN-001', 2, 'transformers', 'transformers'],
      ['DEP-PIN-001', 3, 'torch==2.2.*', 'torch'],
    ]);
    expect(findings[0]?.message).toContain('declares >=0.100');
  });

  it('skips pip-tools inputs, constraint files and lines of included files', async () => {
    expect(
      await findingsFor({ '/proj/requirements.in': 'fastapi>=0.100\n' }, '/proj/requirements.in'),
    ).toEqual([]);
    const findings = await findingsFor({
      '/proj/requirements.txt': '-r base.txt\n-c constraints.txt\n',
      '/proj/base.txt': 'numpy>=1.26\n',
      '/proj/constraints.txt': 'urllib3<2\n',
    });
    expect(findings).toEqual([]);
  });

  it('does not judge library metadata or locks', () => {
    const component: Component = {
      name: 'numpy',
      normalizedName: 'numpy',
      ecosystem: 'PyPI',
      specifiers: [{ operator: '>=', version: '1.26' }],
      pin: 'range',
      direct: true,
      scope: 'main',
      hashes: [],
      extras: [],
      origin: { path: 'pyproject.toml', line: 7 },
    };
    const manifest: Manifest = {
      path: 'pyproject.toml',
      format: 'pyproject',
      components: [component],
      indexes: [],
      lock: false,
    };
    expect(run(manifest)).toEqual([]);
  });
});

describe('DEP-HASH-001', () => {
  it('reports requirements without a hash when others have one, including through includes', async () => {
    const findings = await findingsFor({
      '/proj/requirements.txt':
        '-r hashed.txt\nsafetensors==0.4.2\n-e git+https://github.com/org/tools.git@1a2b3c#egg=tools\n',
      '/proj/hashed.txt': `requests==2.31.0 --hash=sha256:${SHA256}\n`,
    });
    expect(findings.map((f) => [f.ruleId, f.line, f.package])).toEqual([
      ['DEP-HASH-001', 2, 'safetensors==0.4.2'],
      ['DEP-HASH-001', 3, 'tools'],
    ]);
    expect(findings[0]?.message).toBe(
      'safetensors has no --hash, but other requirements have --hash (requests at hashed.txt:1): pip runs in hash-checking mode and refuses to install it',
    );
  });

  it('reports every requirement under --require-hashes and nothing without hash mode', async () => {
    const strict = await findingsFor({ '/proj/requirements.txt': '--require-hashes\nsix==1.16.0\n' });
    expect(strict.map((f) => [f.ruleId, f.line])).toEqual([['DEP-HASH-001', 2]]);
    expect(strict[0]?.message).toContain('--require-hashes is set');
    expect(await findingsFor({ '/proj/requirements.txt': 'six==1.16.0\n' })).toEqual([]);
  });
});

describe('DEP-HASH-002', () => {
  it('reports weak, unknown, short and non-hex hashes', async () => {
    const findings = await findingsFor({
      '/proj/requirements.txt': [
        `a==1 --hash=md5:${'0'.repeat(32)}`,
        `b==1 --hash=sha1:${'0'.repeat(40)}`,
        `c==1 --hash=blake2b:${'0'.repeat(128)}`,
        `d==1 --hash=sha256:${'0'.repeat(63)}`,
        `e==1 --hash=sha256:${'z'.repeat(64)}`,
        `f==1 --hash=${'0'.repeat(64)}`,
        `g==1 --hash=SHA256:${'A'.repeat(64)} --hash=sha384:${'0'.repeat(96)} --hash=sha512:${'0'.repeat(128)}`,
      ].join('\n'),
    });
    expect(findings.map((f) => [f.line, f.message])).toEqual([
      [1, 'a: md5 is broken for integrity: a different artifact with the same digest can be made'],
      [2, 'b: sha1 is broken for integrity: a different artifact with the same digest can be made'],
      [3, 'c: unknown hash algorithm "blake2b": pip accepts only sha256, sha384 and sha512'],
      [4, 'd: the sha256 digest has 63 hex digits instead of 64'],
      [5, 'e: the sha256 digest is not hexadecimal'],
      [6, 'f: unknown hash algorithm "unknown": pip accepts only sha256, sha384 and sha512'],
    ]);
    expect(findings[0]?.evidence).toBe(`md5:${'0'.repeat(32)}`);
  });
});

describe('DEP-CONF-001', () => {
  it('reports extra indexes, repeated primary indexes and trusted hosts, masking credentials', async () => {
    const findings = await findingsFor({
      '/proj/requirements.txt': [
        '--index-url https://deploy:s3cret@pypi.internal.example.com/simple',
        '--extra-index-url https://download.pytorch.org/whl/cu121',
        '--trusted-host pypi.internal.example.com',
        '-r more.txt',
        'torch==2.2.2',
      ].join('\n'),
      '/proj/more.txt': '-i https://mirror.example.org/simple\n',
    });
    expect(findings.map((f) => [f.line, f.evidence])).toEqual([
      [1, '--index-url https://***@pypi.internal.example.com/simple'],
      [2, '--extra-index-url https://download.pytorch.org/whl/cu121'],
      [3, '--trusted-host pypi.internal.example.com'],
    ]);
    expect(findings.every((f) => f.ruleId === 'DEP-CONF-001' && !f.message.includes('s3cret'))).toBe(true);
    expect(findings[0]?.message).toContain('--index-url is given more than once');
    expect(findings[1]?.message).toContain('highest version on any index wins');
    expect(findings[2]?.message).toContain('any TLS certificate');
  });

  it('accepts a single index and ignores index options under --no-index', async () => {
    expect(
      await findingsFor({ '/proj/requirements.txt': '-i https://proxy.example.com/simple\nsix==1.16.0\n' }),
    ).toEqual([]);
    expect(
      await findingsFor({
        '/proj/requirements.txt': '--no-index\n--extra-index-url https://x.example.com/simple\n',
      }),
    ).toEqual([]);
  });

  it('does not report extra sources when every package is pinned to an index', () => {
    const manifest: Manifest = {
      path: 'pyproject.toml',
      format: 'pyproject',
      lock: false,
      indexes: [
        {
          url: 'https://pypi.internal.example.com/simple',
          kind: 'extra',
          origin: { path: 'pyproject.toml', line: 3 },
        },
      ],
      components: [
        {
          name: 'acme-core',
          normalizedName: 'acme-core',
          ecosystem: 'PyPI',
          version: '1.0',
          specifiers: [{ operator: '==', version: '1.0' }],
          pin: 'exact',
          direct: true,
          scope: 'main',
          hashes: [],
          extras: [],
          index: 'internal',
          origin: { path: 'pyproject.toml', line: 9 },
        },
      ],
    };
    expect(run(manifest)).toEqual([]);
  });
});

describe('hygiene on real files and fixtures', () => {
  it('reports the real files as pip would judge them', async () => {
    const counts: Record<string, Record<string, number>> = {};
    for (const name of [
      'gpt2__requirements.txt',
      'jax__build__requirements_lock_3_11.txt',
      'privategpt__requirements.txt',
      'tgi__server__requirements.txt',
      'transformers__lxmert__requirements.txt',
      'unstructured__requirements__base.txt',
    ]) {
      const findings = run(await parseRequirementsFile(await readManifestInput(join(CORPUS, name), name)));
      counts[name] = {};
      for (const finding of findings) counts[name][finding.ruleId] = (counts[name][finding.ruleId] ?? 0) + 1;
    }
    expect(counts).toEqual({
      'gpt2__requirements.txt': { 'DEP-PIN-001': 1 },
      'jax__build__requirements_lock_3_11.txt': {},
      'privategpt__requirements.txt': {},
      'tgi__server__requirements.txt': { 'DEP-CONF-001': 1 },
      // ipython, traitlets, Jinja2, Pillow, Pygments, PyYAML; the bare git URL is a direct reference.
      'transformers__lxmert__requirements.txt': { 'DEP-PIN-001': 6 },
      'unstructured__requirements__base.txt': {},
    });
  });

  it('raises each rule on its bad fixtures and not on its good ones', async () => {
    const table = JSON.parse(readFileSync(join(FIXTURES, 'deps/hygiene/rules.json'), 'utf8')) as Record<
      string,
      { bad: string[]; good: string[] }
    >;
    for (const [ruleId, { bad, good }] of Object.entries(table)) {
      for (const [path, expected] of [
        ...bad.map((p) => [p, true] as const),
        ...good.map((p) => [p, false] as const),
      ]) {
        const manifest = await parseRequirementsFile(await readManifestInput(join(FIXTURES, path), path));
        expect(
          run(manifest).some((f) => f.ruleId === ruleId),
          `${ruleId} on ${path}`,
        ).toBe(expected);
      }
    }
  });
});
