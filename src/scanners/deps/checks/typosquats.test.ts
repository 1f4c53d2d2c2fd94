import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../core/limits.js';
import type { RawFinding } from '../../../core/finding.js';
import type { DependencySettings } from '../../../core/scanner.js';
import { manifestFormatOf, PARSERS } from '../formats/index.js';
import { readManifestInput } from '../formats/input.js';
import type { Component, Manifest } from '../model.js';
import { typosquatCheck } from './typosquats.js';
import { component, POPULAR, REAL_MANIFESTS } from './test-support.js';

function manifestOf(components: Component[]): Manifest {
  return { path: 'requirements.txt', format: 'requirements', components, indexes: [], lock: false };
}

async function run(
  manifest: Manifest,
  deps: DependencySettings | undefined = { popular: POPULAR },
): Promise<RawFinding[]> {
  const findings: RawFinding[] = [];
  await typosquatCheck.run({
    manifest,
    settings: {
      limits: DEFAULT_LIMITS,
      pickle: { allowGlobals: [], denyGlobals: [] },
      deps,
    },
    report: (finding) => findings.push(finding),
    checkDeadline: () => undefined,
  });
  return findings;
}

describe('typosquat check', () => {
  it("reports the talk's dateutil-python3 with line, package and evidence", async () => {
    const findings = await run(
      manifestOf([
        component('requests', { pin: 'exact', version: '2.32.3' }),
        component('dateutil-python3', {
          pin: 'exact',
          version: '1.0',
          origin: { path: 'requirements.txt', line: 2 },
        }),
      ]),
    );
    expect(findings).toEqual([
      {
        ruleId: 'DEP-TYPO-001',
        message:
          '`dateutil-python3` is not a popular package but looks like `python-dateutil`: 1 inserted character (`3`) ' +
          'from `dateutil-python`, which is `python-dateutil` (rank 12) with its terms reordered. Make sure this ' +
          'is the package you meant.',
        line: 2,
        evidence:
          'dateutil-python3: 1 inserted character (`3`) from `dateutil-python`, which is `python-dateutil` (rank 12) ' +
          'with its terms reordered',
        package: 'dateutil-python3==1.0',
      },
    ]);
  });

  it('leaves popular near-neighbours, conda packages and direct references alone', async () => {
    const findings = await run(
      manifestOf([
        ...['boto', 'pyaml', 'toml', 'scapy'].map((name) => component(name)),
        component('reqeusts', { ecosystem: 'conda' }),
        component('reqeusts', { pin: 'vcs', url: 'git+https://example.com/reqeusts.git' }),
      ]),
    );
    expect(findings).toEqual([]);
  });

  it('names the included file and omits the line for components declared there', async () => {
    const [finding] = await run(
      manifestOf([component('reqeusts', { origin: { path: 'base.txt', line: 4 } })]),
    );
    expect(finding?.message).toContain('(declared in base.txt)');
    expect(finding?.line).toBeUndefined();
  });

  it('does nothing without a popular-name list (`--popular`)', async () => {
    expect(await run(manifestOf([component('reqeusts')]), {})).toEqual([]);
  });

  it('checks a 1,000-component lock in well under 100 ms once the list is loaded', async () => {
    await run(manifestOf([component('requests')]));
    const components = Array.from({ length: 1000 }, (_, at) => component(`internal-package-${at}`));
    const start = performance.now();
    await run({ ...manifestOf(components), lock: true });
    expect(performance.now() - start).toBeLessThan(100);
  });
});

describe('typosquat check on real manifests (../shared/corpora/real-manifests)', () => {
  it('flags only the names listed here, each reviewed', async () => {
    const hits: string[] = [];
    let names = 0;
    for (const file of readdirSync(REAL_MANIFESTS).sort()) {
      const format = manifestFormatOf(file.replaceAll('__', '/'));
      const parser = format === undefined ? undefined : PARSERS[format];
      if (parser === undefined) continue;
      const manifest = await parser(await readManifestInput(join(REAL_MANIFESTS, file), file));
      names += manifest.components.length;
      for (const finding of await run(manifest)) hits.push(`${file}: ${finding.evidence ?? ''}`);
    }
    expect(names).toBeGreaterThan(500);
    expect(hits).toEqual([]);
  });
});
