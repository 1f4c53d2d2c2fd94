import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../core/limits.js';
import type { RawFinding } from '../../../core/finding.js';
import { vulnerabilityCheck } from '../checks/vulnerabilities.js';
import { manifestFormatOf, PARSERS } from '../formats/index.js';
import { readManifestInput } from '../formats/input.js';
import type { Manifest } from '../model.js';
import { normalizeName } from '../pep508/parse.js';
import { loadIndex } from './cache.js';
import { matchPackage } from './match.js';

/*
 * mlsec's matcher against an independent one: test/fixtures/deps/reference/generate_reference.py extracts the
 * exact pins of the real manifests itself and matches them with Python's `packaging` over the same database. The
 * committed expected.json must be reproduced exactly; a known difference would be listed in DIFFERENCES with its
 * reason (there is none today).
 */
const REPO = resolve(import.meta.dirname, '../../../..');
const REFERENCE = join(REPO, 'test/fixtures/deps/reference/expected.json');
const DATABASE = join(REPO, '../shared/data/pypa-advisory-db.osv.jsonl');
const MANIFESTS = join(REPO, '../shared/corpora/real-manifests');

/** A real manifest parsed by mlsec, under the name its format is detected by (`privategpt__poetry.lock` → `poetry.lock`). */
async function parseReal(file: string): Promise<Manifest> {
  const display = file.split('__').at(-1) as string;
  const format = manifestFormatOf(display.endsWith('.txt') ? 'requirements.txt' : display);
  const parser = format === undefined ? undefined : PARSERS[format];
  if (parser === undefined) throw new Error(`no parser for ${file}`);
  return parser(await readManifestInput(join(MANIFESTS, file), display));
}

interface Reference {
  readonly pins: Record<string, string[]>;
  readonly advisories: Record<string, string[]>;
}

/** `name==version` → why mlsec's ids differ from the reference's. Empty: they agree on every pin. */
const DIFFERENCES: Readonly<Record<string, string>> = {};

describe('OSV matching agrees with the packaging-based reference on the real manifests', () => {
  const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as Reference;

  it('covers a realistic number of pins and hits', () => {
    const pins = Object.keys(reference.advisories);
    expect(pins.length).toBeGreaterThan(1000);
    expect(pins.filter((pin) => (reference.advisories[pin] ?? []).length > 0).length).toBeGreaterThan(500);
  });

  it('gives the same advisory ids for every (package, version)', async () => {
    const index = await loadIndex(DATABASE, { cacheDir: false });
    const disagreements: string[] = [];
    for (const [pin, expected] of Object.entries(reference.advisories)) {
      const [name, version] = pin.split('==') as [string, string];
      const actual = matchPackage(index, normalizeName(name), version)
        .map((match) => match.advisory.id)
        .sort();
      if (JSON.stringify(actual) !== JSON.stringify(expected) && DIFFERENCES[pin] === undefined)
        disagreements.push(
          `${pin}: mlsec ${actual.join(',') || '-'} vs reference ${expected.join(',') || '-'}`,
        );
    }
    expect(disagreements).toEqual([]);
  });

  it('extracts the same exact pins from each real manifest as the reference does', async () => {
    for (const [file, pins] of Object.entries(reference.pins)) {
      const manifest = await parseReal(file);
      const exact = manifest.components
        .filter((component) => component.pin === 'exact' && component.ecosystem === 'PyPI')
        .map((component) => `${component.normalizedName}==${component.version ?? ''}`);
      expect([...new Set(exact)].sort(), file).toEqual(pins);
    }
  });

  it('reports, through DEP-VULN-001, every reference advisory of every real manifest and nothing else', async () => {
    for (const [file, pins] of Object.entries(reference.pins)) {
      const findings: RawFinding[] = [];
      await vulnerabilityCheck.run({
        manifest: await parseReal(file),
        settings: {
          limits: DEFAULT_LIMITS,
          pickle: { allowGlobals: [], denyGlobals: [] },
          deps: { db: DATABASE },
        },
        report: (finding) => findings.push(finding),
        checkDeadline: () => undefined,
      });
      const reported = new Map<string, Set<string>>();
      for (const finding of findings) {
        const pin = `${normalizeName(finding.pin?.name ?? '')}==${finding.pin?.version ?? ''}`;
        const ids = reported.get(pin) ?? new Set<string>();
        for (const id of [finding.advisory?.id ?? '', ...(finding.advisory?.aliases ?? [])]) ids.add(id);
        reported.set(pin, ids);
      }
      for (const pin of pins) {
        const expected = reference.advisories[pin] ?? [];
        const ids = reported.get(pin) ?? new Set<string>();
        expect(
          expected.filter((id) => !ids.has(id)),
          `${file} ${pin}`,
        ).toEqual([]);
        expect(ids.size > 0, `${file} ${pin} reported`).toBe(expected.length > 0);
      }
    }
  });
});
