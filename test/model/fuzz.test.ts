import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleById } from '../../src/core/registry.js';
import { VERDICTS } from '../../src/core/verdict.js';
import { scanBytesForTest, scanFileForTest, verdictOf } from '../../src/scanners/model/test-support.js';

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

/** mulberry32: tiny, fast and good enough to spread mutations; deterministic for a given seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/** Values that tend to break length fields, counters and opcode tables. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x2e, 0x28, 0x63, 0x93, 0x95, 0x50, 0x4b];

function mutate(input: Uint8Array, next: () => number): Uint8Array {
  let bytes: Uint8Array = input.slice();
  const pick = (limit: number): number => Math.floor(next() * limit);
  const rounds = 1 + pick(4);
  for (let round = 0; round < rounds && bytes.length > 0; round++) {
    const at = pick(bytes.length);
    switch (pick(7)) {
      case 0: // flip one bit
        bytes[at] = (bytes[at] ?? 0) ^ (1 << pick(8));
        break;
      case 1: // an interesting byte
        bytes[at] = INTERESTING[pick(INTERESTING.length)] ?? 0;
        break;
      case 2: // a hostile 4- or 8-byte little-endian length
        for (let index = 0; index < (next() < 0.5 ? 4 : 8) && at + index < bytes.length; index++) {
          bytes[at + index] = next() < 0.5 ? 0xff : pick(256);
        }
        break;
      case 3: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 4: {
        // duplicate a run in place
        const length = 1 + pick(Math.min(64, bytes.length - at));
        const copy = new Uint8Array(bytes.length + length);
        copy.set(bytes.subarray(0, at + length));
        copy.set(bytes.subarray(at), at + length);
        bytes = copy;
        break;
      }
      case 5: {
        // delete a run
        const length = 1 + pick(Math.min(64, bytes.length - at));
        const copy = new Uint8Array(bytes.length - length);
        copy.set(bytes.subarray(0, at));
        copy.set(bytes.subarray(at + length), at);
        bytes = copy;
        break;
      }
      default: {
        // insert random bytes
        const length = 1 + pick(16);
        const copy = new Uint8Array(bytes.length + length);
        copy.set(bytes.subarray(0, at));
        for (let index = 0; index < length; index++) copy[at + index] = pick(256);
        copy.set(bytes.subarray(at), at + length);
        bytes = copy;
      }
    }
  }
  return bytes;
}

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
