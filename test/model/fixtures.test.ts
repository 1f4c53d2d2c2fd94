import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { runScan } from '../../src/core/engine.js';
import type { ScanReport } from '../../src/core/report-model.js';
import type { Verdict } from '../../src/core/verdict.js';

/**
 * Acceptance over every committed model fixture: each file made by a real producer (or hand-crafted after a
 * published bypass) gets the verdict its manifest states, and the findings name the callables it must name.
 */
const REPO = resolve(import.meta.dirname, '../..');
const FIXTURES = join(REPO, 'test/fixtures/model');
const CORPUS = resolve(REPO, '../shared/corpora/models-testdata/picklescan-data2');

interface ManifestEntry {
  path: string;
  verdict: Verdict;
  alt_verdicts?: Verdict[];
  callables: string[];
  evidence?: string;
  technique: string;
}

const MANIFEST = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as ManifestEntry[];

async function scanOne(path: string): Promise<ScanReport> {
  const config = await loadConfig(path);
  return runScan({ paths: [path], config, workers: 0 });
}

/** Everything the findings say, for checking that a callable is named (as a whole dotted name). */
function findingText(report: ScanReport): string {
  return report.findings
    .map((finding) => `${finding.location.member ?? ''}\n${finding.message}\n${finding.evidence ?? ''}`)
    .join('\n');
}

function names(text: string, callable: string): boolean {
  const escaped = callable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.])${escaped}(?![\\w])`).test(text);
}

describe('model fixtures (test/fixtures/model/manifest.json)', () => {
  it('lists at least 30 benign files from real producers', () => {
    expect(MANIFEST.filter((entry) => entry.path.startsWith('benign/')).length).toBeGreaterThanOrEqual(30);
  });

  it.each(MANIFEST.map((entry) => [entry.path, entry] as const))('%s', async (path, entry) => {
    const report = await scanOne(join(FIXTURES, path));
    expect(report.files).toHaveLength(1);
    const [file] = report.files;
    const accepted = [entry.verdict, ...(entry.alt_verdicts ?? [])];
    expect(accepted, `verdict ${file?.verdict} (${entry.technique})\n${findingText(report)}`).toContain(
      file?.verdict,
    );
    // An alternative verdict means a limit stopped the scan early (a bomb): what lies beyond it is not named.
    if (file?.verdict !== entry.verdict) return;
    const text = findingText(report);
    for (const callable of entry.callables) {
      expect(names(text, callable), `names ${callable} in:\n${text}`).toBe(true);
    }
    if (entry.evidence !== undefined) {
      expect(report.findings.map((finding) => finding.evidence)).toContainEqual(
        expect.stringContaining(entry.evidence),
      );
    }
  });
});

describe('picklescan advisory corpus (shared/corpora/models-testdata/picklescan-data2)', () => {
  // The object arrays hold only numpy's own reconstruction globals (checked with pickletools): benign, as
  // picklescan's own tests treat them. They still carry the informational MODEL-NUMPY-001.
  const BENIGN = new Set([
    'int_array.npy',
    'int_arrays.npz',
    'int_arrays_compressed.npz',
    'object_array.npy',
    'object_arrays.npz',
    'object_arrays_compressed.npz',
  ]);
  const files = readdirSync(CORPUS).filter((name) => !name.startsWith('LICENSE'));

  it.each(files)('%s', async (name) => {
    const report = await scanOne(join(CORPUS, name));
    const verdict = report.files[0]?.verdict;
    if (BENIGN.has(name)) expect(verdict).toBe('clean');
    else expect(['malicious', 'suspicious'], `${name}: ${findingText(report)}`).toContain(verdict);
  });

  it('calls every advisory pickle malicious', async () => {
    const advisories = files.filter((name) => name.startsWith('GHSA-'));
    expect(advisories.length).toBeGreaterThan(40);
    const verdicts = await Promise.all(
      advisories.map(async (name) => (await scanOne(join(CORPUS, name))).files[0]?.verdict),
    );
    const notMalicious = advisories.filter((_, index) => verdicts[index] !== 'malicious');
    expect(notMalicious).toEqual([]);
  });
});
