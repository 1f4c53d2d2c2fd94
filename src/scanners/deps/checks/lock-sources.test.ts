import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../../core/finding.js';
import type { IndexPin, PinnedManifest } from '../formats/declared.js';
import { manifestFormatOf, PARSERS } from '../formats/index.js';
import { readManifestInput } from '../formats/input.js';
import { parseUvLock } from '../formats/uv-lock.js';
import type { Component, Manifest } from '../model.js';
import { lockSourcesCheck } from './lock-sources.js';

const FIXTURES = resolve(import.meta.dirname, '../../../../test/fixtures');

/**
 * Parses a fixture as the deps scanner does and runs the check. The engine path (registry, selection) is the
 * meta-test's; this test needs only the parser and the check.
 */
async function findingsOf(path: string): Promise<RawFinding[]> {
  const format = manifestFormatOf(path);
  const parser = format === undefined ? undefined : PARSERS[format];
  if (parser === undefined) throw new Error(`no parser for ${path}`);
  return run(await parser(await readManifestInput(join(FIXTURES, path), path)));
}

describe('DEP-CONF-002 on the fixtures', () => {
  it.each([
    [
      'deps/locks/poetry-from-pypi/poetry.lock',
      4,
      /`acme-feature-store` is locked from https:\/\/pypi\.org\/simple \(public PyPI\), but .*pyproject\.toml:10 pins it to index "acme"/,
    ],
    [
      'deps/locks/pipfile-from-pypi/Pipfile.lock',
      24,
      /`acme-auth` is locked from https:\/\/pypi\.org\/simple \(public PyPI\), but .*Pipfile:13 pins it to index "internal"/,
    ],
    [
      'deps/locks/uv-from-pypi/uv.lock',
      59,
      /`torch` is locked from https:\/\/pypi\.org\/simple \(public PyPI\), but .*pyproject\.toml:18 pins it to index "pytorch-cu121"/,
    ],
  ])('reports %s', async (path, line, message) => {
    const findings = await findingsOf(path);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.line).toBe(line);
    expect(findings[0]?.message).toMatch(message);
  });

  it.each([
    'deps/locks/poetry-from-private/poetry.lock',
    'deps/locks/pipfile-from-internal/Pipfile.lock',
    'deps/locks/uv-from-index/uv.lock',
    'deps/locks/pdm/pdm.lock',
    'deps/locks/pylock/pylock.toml',
  ])('does not report %s', async (path) => {
    expect(await findingsOf(path)).toEqual([]);
  });
});

function lock(format: string, components: Partial<Component>[], indexPins: IndexPin[]): PinnedManifest {
  return {
    path: 'x.lock',
    format,
    lock: true,
    indexes: [],
    indexPins,
    components: components.map((component) => ({
      name: 'acme-auth',
      normalizedName: 'acme-auth',
      ecosystem: 'PyPI',
      version: '1.0',
      specifiers: [],
      pin: 'exact',
      direct: true,
      scope: 'main',
      hashes: [],
      extras: [],
      origin: { path: 'x.lock', line: 3 },
      ...component,
    })),
  };
}

function run(manifest: Manifest): RawFinding[] {
  const findings: RawFinding[] = [];
  void lockSourcesCheck.run({
    manifest,
    settings: {} as never,
    report: (finding) => findings.push(finding),
    checkDeadline: () => undefined,
  });
  return findings;
}

describe('a lock scanned without its project file', () => {
  it("judges a uv.lock by uv's own copy of the index pins in the project's requires-dist", async () => {
    const text = `version = 1

[[package]]
name = "acme-auth"
version = "1.8.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "service"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "acme-auth" }]

[package.metadata]
requires-dist = [{ name = "acme-auth", specifier = "==1.8.0", index = "https://nexus.acme.example/simple" }]
`;
    const manifest = await parseUvLock({
      path: 'uv.lock',
      absolutePath: '/service/uv.lock',
      text,
      readInclude: () => Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })),
    });
    expect(run(manifest)).toEqual([
      expect.objectContaining({ ruleId: 'DEP-CONF-002', line: 4, package: 'acme-auth==1.8.0' }),
    ]);
  });
});

describe('index comparison', () => {
  const pin = (fields: Partial<IndexPin>): IndexPin => ({
    packageName: 'acme-auth',
    origin: { path: 'p', line: 1 },
    ...fields,
  });

  it('treats URLs alike regardless of host case, credentials, query and trailing slash, and PyPI hosts as one', () => {
    const pinned = [pin({ indexName: 'acme', url: 'https://user:secret@PyPI.Acme.example/simple/' })];
    expect(run(lock('uv-lock', [{ index: 'https://pypi.acme.example/simple' }], pinned))).toEqual([]);
    expect(
      run(
        lock(
          'uv-lock',
          [{ index: 'https://pypi.python.org/simple' }],
          [pin({ indexName: 'pypi', url: 'https://pypi.org/simple/' })],
        ),
      ),
    ).toEqual([]);
  });

  it('reports the reverse too: a package pinned to PyPI that came from another index', () => {
    const findings = run(
      lock(
        'uv-lock',
        [{ index: 'https://mirror.evil.example/simple' }],
        [pin({ indexName: 'pypi', url: 'https://pypi.org/simple' })],
      ),
    );
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'DEP-CONF-002', line: 3, package: 'acme-auth==1.0' }),
    ]);
  });

  it('accepts any of several pins of one name (per-marker uv sources), and skips direct references', () => {
    const pins = [
      pin({ indexName: 'cpu', url: 'https://download.pytorch.org/whl/cpu' }),
      pin({ indexName: 'cu121', url: 'https://download.pytorch.org/whl/cu121' }),
    ];
    expect(run(lock('uv-lock', [{ index: 'https://download.pytorch.org/whl/cu121' }], pins))).toEqual([]);
    expect(run(lock('uv-lock', [{ pin: 'vcs', url: 'git+https://github.com/acme/auth.git' }], pins))).toEqual(
      [],
    );
  });

  it('judges a pin to a named index without a URL only when the package came from PyPI', () => {
    const pinned = [pin({ indexName: 'internal' })];
    expect(run(lock('uv-lock', [{ index: 'https://nexus.acme.example/simple' }], pinned))).toEqual([]);
    expect(run(lock('uv-lock', [{ index: 'https://pypi.org/simple' }], pinned))).toHaveLength(1);
    expect(run(lock('pipfile-lock', [{ index: 'internal' }], pinned))).toEqual([]);
  });

  it('reads a poetry.lock entry without a source as PyPI, and leaves other locks without an index unjudged', () => {
    const pinned = [pin({ indexName: 'acme', url: 'https://pypi.acme.example/simple' })];
    expect(run(lock('poetry-lock', [{}], pinned))).toHaveLength(1);
    expect(run(lock('pdm-lock', [{}], pinned))).toEqual([]);
  });
});
