import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleById } from '../../src/core/registry.js';
import { VERDICTS } from '../../src/core/verdict.js';
import { scanBytesForTest, scanFileForTest, verdictOf } from '../../src/scanners/model/test-support.js';
import { mutate, random } from '../support/mutate.js';

/**
 * Seeded mutation fuzzing over the real fixtures: every mutated input must end in a verdict within the limits,
 * with no exception escaping the scanner and no hang. The seed and case count can be changed to explore
 * (FUZZ_SEED, FUZZ_CASES); CI runs the fixed default so failures reproduce.
 */
const FIXTURES = resolve(import.meta.dirname, '../fixtures/model');
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const MAX_SEED_BYTES = 64 * 1024;
/** Far below the default per-file limit, so a slow path shows up as a failure instead of a long CI run. */
const CASE_TIME_LIMIT_MS = 3000;

function fixtureFiles(directory: string, wanted: (name: string) => boolean): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return fixtureFiles(path, wanted);
    const small = statSync(path).size <= MAX_SEED_BYTES;
    return entry.isFile() && small && wanted(entry.name) ? [path] : [];
  });
}

/** Text files claimed by their name (MLflow, Hugging Face configs and indexes, chat templates). */
const NAMED_FILE = /^(MLmodel|config\.json|tokenizer_config\.json|.*\.index\.json|.*\.jinja|.*\.j2)$/;
const isBinarySeed = (name: string): boolean => !/\.(py|json|txt)$/.test(name);

describe('fuzzing the model scanner with mutated fixtures', () => {
  const seeds = fixtureFiles(FIXTURES, isBinarySeed).sort();

  it('has seeds of every kind', () => {
    expect(seeds.length).toBeGreaterThan(150);
  });

  it(`gives ${CASES} mutated inputs a verdict without escaping exceptions or hangs (seed ${SEED})`, async () => {
    const next = random(SEED);
    const contents = seeds.map((path) => readFileSync(path));
    const counts = Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0]));
    let slowest = 0;
    for (let index = 0; index < CASES; index++) {
      const which = Math.floor(next() * seeds.length);
      const seed = seeds[which] ?? '';
      const name = relative(FIXTURES, seed);
      const input = mutate(contents[which] ?? new Uint8Array(0), next);
      const started = performance.now();
      let result;
      try {
        result = await scanBytesForTest(input, name, { timeoutMs: CASE_TIME_LIMIT_MS });
      } catch (error) {
        throw new Error(`case ${index} (${name}) threw: ${String(error)}`, { cause: error });
      }
      const elapsed = performance.now() - started;
      slowest = Math.max(slowest, elapsed);
      expect(elapsed, `case ${index} (${name}) took ${elapsed} ms`).toBeLessThan(CASE_TIME_LIMIT_MS);
      for (const finding of result.findings) {
        expect(ruleById(finding.ruleId), `case ${index}: unknown rule ${finding.ruleId}`).toBeDefined();
      }
      const verdict = verdictOf(result.findings);
      counts[verdict] = (counts[verdict] ?? 0) + 1;
    }
    // Mutations mostly break files: most cases must end unscannable or worse, never silently clean en masse.
    expect((counts.unscannable ?? 0) + (counts.malicious ?? 0) + (counts.suspicious ?? 0)).toBeGreaterThan(
      CASES / 2,
    );
    expect(slowest).toBeLessThan(CASE_TIME_LIMIT_MS);
  }, 300_000);

  it('gives mutated named text files (MLmodel, configs, indexes, templates) a verdict, reached through their name', async () => {
    const named = fixtureFiles(FIXTURES, (name) => NAMED_FILE.test(name)).sort();
    expect(named.length).toBeGreaterThan(10);
    const next = random(SEED + 1);
    const directory = mkdtempSync(join(tmpdir(), 'mlsec-fuzz-'));
    const cases = Math.ceil(CASES / 6);
    let unclean = 0;
    for (let index = 0; index < cases; index++) {
      const seed = named[Math.floor(next() * named.length)] ?? '';
      const path = join(directory, String(index));
      const file = join(path, basename(seed));
      mkdirSync(path);
      writeFileSync(file, mutate(readFileSync(seed), next));
      let result;
      try {
        result = await scanFileForTest(file, { timeoutMs: CASE_TIME_LIMIT_MS });
      } catch (error) {
        throw new Error(`case ${index} (${seed}) threw: ${String(error)}`, { cause: error });
      }
      // A config.json is claimed only while it still looks like a model config; every other name always is.
      if (basename(seed) !== 'config.json') {
        expect(result.format, `case ${index} (${seed}) was not claimed`).toBeDefined();
      }
      if (verdictOf(result.findings) !== 'clean') unclean++;
    }
    expect(unclean).toBeGreaterThan(0);
  }, 300_000);
});
