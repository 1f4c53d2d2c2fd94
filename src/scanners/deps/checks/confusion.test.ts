import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../../core/finding.js';
import { DEFAULT_LIMITS } from '../../../core/limits.js';
import type { DependencySettings } from '../../../core/scanner.js';
import { manifestFormatOf, PARSERS } from '../formats/index.js';
import { readManifestInput } from '../formats/input.js';
import type { Component, IndexSetting, Manifest } from '../model.js';
import { confusionCheck } from './confusion.js';
import { component as requirement, POPULAR, REAL_MANIFESTS } from './test-support.js';

/** The confusion tests declare their requirement on line 3 of requirements.txt. */
const component = (name: string, extra: Partial<Component> = {}): Component => requirement(name, extra, 3);

const SETTINGS: DependencySettings = { popular: POPULAR, internalPrefixes: ['acme-'] };
const NIGHTLY = 'https://download.pytorch.org/whl/nightly/cu118';
const PRIVATE = 'https://pypi.acme.example/simple';

function index(url: string, kind: IndexSetting['kind'], name?: string): IndexSetting {
  return { url, kind, ...(name !== undefined && { name }), origin: { path: 'requirements.txt', line: 1 } };
}

function manifest(
  components: Component[],
  indexes: IndexSetting[] = [],
  extra: Partial<Manifest> = {},
): Manifest {
  return { path: 'requirements.txt', format: 'requirements', components, indexes, lock: false, ...extra };
}

async function run(subject: Manifest, deps: DependencySettings = SETTINGS): Promise<RawFinding[]> {
  const findings: RawFinding[] = [];
  await confusionCheck.run({
    manifest: subject,
    settings: { limits: DEFAULT_LIMITS, pickle: { allowGlobals: [], denyGlobals: [] }, deps },
    report: (finding) => findings.push(finding),
    checkDeadline: () => undefined,
  });
  return findings;
}

const rulesOf = (findings: RawFinding[]): string[] =>
  findings.map((finding) => `${finding.ruleId} ${finding.package}`);

describe('DEP-CONF-003: internal names resolvable from PyPI', () => {
  it('flags an internal name in a requirements file that only adds the private index as an extra', async () => {
    const findings = await run(manifest([component('Acme_Utils')], [index(PRIVATE, 'extra')]));
    expect(rulesOf(findings)).toEqual(['DEP-CONF-003 Acme_Utils']);
    expect(findings[0]?.message).toContain('matches the internal prefix `acme-`');
    expect(findings[0]?.message).toContain(`PyPI and ${PRIVATE} are all consulted`);
    expect(findings[0]?.line).toBe(3);
  });

  it('flags an internal name with no private index at all, or pinned to PyPI', async () => {
    expect(rulesOf(await run(manifest([component('acme-utils')])))).toEqual(['DEP-CONF-003 acme-utils']);
    const pinned = component('acme-utils', { index: 'pypi' });
    expect(rulesOf(await run(manifest([pinned], [index(PRIVATE, 'explicit', 'acme')])))).toEqual([
      'DEP-CONF-003 acme-utils',
    ]);
  });

  it('accepts an internal name pinned to the private source, or a private index that replaces PyPI', async () => {
    const pinned = component('acme-utils', { index: 'acme' });
    expect(await run(manifest([pinned], [index(PRIVATE, 'explicit', 'acme')]))).toEqual([]);
    expect(await run(manifest([component('acme-utils')], [index(PRIVATE, 'primary')]))).toEqual([]);
  });

  it('flags lock entries from pypi.org or with no recorded source, not those from the private index', async () => {
    const lock = (components: Component[], format = 'poetry-lock'): Manifest =>
      manifest(components, [], { path: 'poetry.lock', format, lock: true });
    const origin = { path: 'poetry.lock', line: 10 };
    expect(
      rulesOf(await run(lock([component('acme-a', { origin, index: 'https://pypi.org/simple' })]))),
    ).toEqual(['DEP-CONF-003 acme-a']);
    const missing = await run(lock([component('acme-b', { origin })]));
    expect(missing[0]?.message).toContain('the lock records no source index, which means PyPI');
    expect(await run(lock([component('acme-c', { origin, index: PRIVATE })]))).toEqual([]);
  });

  it('reads a Pipfile.lock entry without `index` as coming from the first source', async () => {
    const pipfileLock = manifest(
      [component('acme-a', { origin: { path: 'Pipfile.lock' } })],
      [index(PRIVATE, 'primary')],
      {
        format: 'pipfile-lock',
        lock: true,
      },
    );
    expect(await run(pipfileLock)).toEqual([]);
  });

  it('ignores names outside the prefixes, direct references and conda packages', async () => {
    const components = [
      component('acmeutils'),
      component('acme-git', { pin: 'vcs', url: 'git+https://git.acme.example/acme-git.git' }),
      component('acme-conda', { ecosystem: 'conda' }),
    ];
    expect(await run(manifest(components))).toEqual([]);
    expect(await run(manifest([component('acme-utils')]), { popular: POPULAR })).toEqual([]);
  });
});

describe('DEP-CONF-004: non-PyPI index packages with names that may be unclaimed on PyPI', () => {
  it('flags torchtriton offered by the nightly extra index, not the popular torch', async () => {
    const findings = await run(
      manifest(
        [component('torch', { pin: 'exact', version: '2.0.0.dev20221230' }), component('torchtriton')],
        [index(NIGHTLY, 'extra')],
      ),
    );
    expect(rulesOf(findings)).toEqual(['DEP-CONF-004 torchtriton']);
    expect(findings[0]?.message).toContain('not proof');
    expect(findings[0]?.evidence).toBe(`torchtriton: ${NIGHTLY}`);
    expect(findings[0]?.confidence).toBeUndefined();
  });

  it('flags a lock entry resolved from a non-PyPI index with more confidence', async () => {
    const lock = manifest(
      [component('torchtriton', { index: NIGHTLY, pin: 'exact', version: '2.0.0' })],
      [],
      {
        path: 'uv.lock',
        format: 'uv-lock',
        lock: true,
      },
    );
    const findings = await run(lock);
    expect(rulesOf(findings)).toEqual(['DEP-CONF-004 torchtriton==2.0.0']);
    expect(findings[0]?.confidence).toBe('medium');
  });

  it('accepts explicit pins, a replacing primary index, PyPI-only files and internal names', async () => {
    const explicit = component('torchtriton', { index: 'nightly' });
    expect(await run(manifest([explicit], [index(NIGHTLY, 'explicit', 'nightly')]))).toEqual([]);
    expect(await run(manifest([component('torchtriton')], [index(NIGHTLY, 'primary')]))).toEqual([]);
    expect(
      await run(manifest([component('torchtriton')], [index('https://pypi.org/simple', 'extra')])),
    ).toEqual([]);
    const internal = component('acme-utils', { index: PRIVATE });
    expect(await run(manifest([internal], [], { format: 'uv-lock', lock: true }))).toEqual([]);
  });

  it('needs the popular-name list', async () => {
    expect(await run(manifest([component('torchtriton')], [index(NIGHTLY, 'extra')]), {})).toEqual([]);
  });
});

describe('confusion check on real manifests (../shared/corpora/real-manifests)', () => {
  it('raises only the findings listed here, each reviewed', async () => {
    const hits: string[] = [];
    for (const file of readdirSync(REAL_MANIFESTS).sort()) {
      const format = manifestFormatOf(file.replaceAll('__', '/'));
      const parser = format === undefined ? undefined : PARSERS[format];
      if (parser === undefined) continue;
      const parsed = await parser(await readManifestInput(join(REAL_MANIFESTS, file), file));
      for (const finding of await run(parsed))
        hits.push(`${file}: ${finding.ruleId} ${finding.evidence ?? ''}`);
    }
    expect(hits).toEqual([]);
  });
});
