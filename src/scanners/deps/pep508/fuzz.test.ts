import { random as seededRandom } from '../../../../test/support/mutate.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  evaluateMarker,
  evaluateMarkerAnyEnvironment,
  MarkerError,
  type MarkerEnvironment,
} from './markers.js';
import {
  MAX_MARKER_CLAUSES,
  MAX_MARKER_DEPTH,
  parseMarker,
  parseRequirement,
  parseSpecifierSet,
  RequirementError,
} from './parse.js';
import { contains } from './specifier.js';

/**
 * Random and mutated inputs: the parsers either return or throw `RequirementError`, never anything else, and
 * each call is fast. The PRNG is seeded, so a failure reproduces.
 */

const VECTORS = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../../../test/fixtures/deps/pep508/vectors.json'), 'utf8'),
) as {
  environments: Record<string, MarkerEnvironment>;
  specifiers: { specifiers: string }[];
  markers: { marker: string }[];
  requirements: { text: string }[];
};
const ENVIRONMENT = VECTORS.environments['cpython311-linux'] as MarkerEnvironment;

const SEEDS = {
  requirement: [...new Set(VECTORS.requirements.map((vector) => vector.text))],
  specifier: [...new Set(VECTORS.specifiers.map((vector) => vector.specifiers))],
  marker: [...new Set(VECTORS.markers.map((vector) => vector.marker))],
};
/** Characters that matter to the grammar, plus NUL, controls, non-ASCII and a lone surrogate. */
const ALPHABET = [
  // ASCII only, so splitting into UTF-16 units is splitting into characters.
  ...'abcXYZ019._-[](),;@<>=!~*+ \t\'"/:#\\'.split(''),
  'and',
  'or',
  'not in',
  ' in ',
  'python_version',
  'extra',
  '\0',
  '\n',
  '\r',
  '\u00e9',
  '\u0661',
  '\u212a',
  '\ud83d\ude00',
  '\ud800',
  '\ufeff',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function randomText(random: () => number): string {
  const length = Math.floor(random() * 40);
  return Array.from({ length }, () => pick(random, ALPHABET)).join('');
}

/** Inserts, deletes, replaces or duplicates a slice of a real string. */
function mutate(random: () => number, text: string): string {
  let result = text;
  const edits = 1 + Math.floor(random() * 4);
  for (let edit = 0; edit < edits; edit++) {
    const at = Math.floor(random() * (result.length + 1));
    const span = Math.floor(random() * 6);
    switch (Math.floor(random() * 4)) {
      case 0:
        result = result.slice(0, at) + pick(random, ALPHABET) + result.slice(at);
        break;
      case 1:
        result = result.slice(0, at) + result.slice(at + span);
        break;
      case 2:
        result = result.slice(0, at) + pick(random, ALPHABET) + result.slice(at + 1);
        break;
      default:
        result = result.slice(0, at) + result.slice(at, at + span).repeat(3) + result.slice(at);
    }
  }
  return result;
}

/** Runs `parse`; only a return or a RequirementError (or MarkerError from evaluating) is acceptable. */
function expectControlled(label: string, input: string, run: () => unknown, budgetMs = 250): void {
  const started = performance.now();
  try {
    run();
  } catch (error) {
    if (!(error instanceof RequirementError || error instanceof MarkerError)) {
      throw new Error(`${label}(${JSON.stringify(input.slice(0, 200))}) threw ${String(error)}`, {
        cause: error,
      });
    }
  }
  const elapsed = performance.now() - started;
  if (elapsed > budgetMs)
    throw new Error(`${label}(${JSON.stringify(input.slice(0, 200))}) took ${elapsed} ms`);
}

function inputs(seed: number, seeds: readonly string[], count: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    random() < 0.3 ? randomText(random) : mutate(random, pick(random, seeds)),
  );
}

describe('fuzzing the PEP 508 parsers', () => {
  it('parseRequirement returns or throws RequirementError on 3000 inputs', () => {
    for (const input of inputs(1, SEEDS.requirement, 3000)) {
      expectControlled('parseRequirement', input, () => {
        const requirement = parseRequirement(input);
        if (requirement.marker !== undefined) {
          evaluateMarker(requirement.marker, ENVIRONMENT);
          evaluateMarkerAnyEnvironment(requirement.marker);
        }
        const specifiers = requirement.specifiers;
        contains('1.0', specifiers);
      });
    }
  });

  it('parseSpecifierSet and contains return or throw RequirementError on 3000 inputs', () => {
    const random = seededRandom(2);
    for (const input of inputs(3, SEEDS.specifier, 3000)) {
      const version = random() < 0.5 ? '1.0' : mutate(random, '1!2.0rc1.post2.dev3+local.7');
      expectControlled('parseSpecifierSet', input, () => contains(version, parseSpecifierSet(input)));
    }
  });

  it('parseMarker and evaluation return or throw a library error on 3000 inputs', () => {
    for (const input of inputs(4, SEEDS.marker, 3000)) {
      expectControlled('parseMarker', input, () => {
        const marker = parseMarker(input);
        evaluateMarker(marker, { ...ENVIRONMENT, extra: 'test' });
        evaluateMarkerAnyEnvironment(marker, { extras: ['test'] });
      });
    }
  });
});

describe('hostile inputs', () => {
  const MEGABYTE = 1 << 20;

  it.each([
    ['a 1 MB name', 'a'.repeat(MEGABYTE)],
    ['a 1 MB name ending in dashes', `a${'-'.repeat(MEGABYTE)}`],
    ['a 1 MB name of dots and digits', '1.'.repeat(MEGABYTE / 2)],
    ['a 1 MB version', `name==${'1.'.repeat(MEGABYTE / 2)}0`],
    ['a 1 MB pre-release spelling', `name>=1${'.dev'.repeat(MEGABYTE / 4)}`],
    ['a 1 MB URL', `name @ https://example.com/${'x'.repeat(MEGABYTE)}`],
    ['a 1 MB marker string', `name; os_name == "${'x'.repeat(MEGABYTE)}"`],
    ['an unterminated 1 MB marker string', `name; os_name == "${'x'.repeat(MEGABYTE)}`],
    ['1 MB of extras', `name[${'a,'.repeat(MEGABYTE / 2)}a]`],
    ['1 MB of operators', `name${'>='.repeat(MEGABYTE / 2)}`],
    ['100k nested parentheses', `name; ${'('.repeat(100_000)}os_name == "nt"${')'.repeat(100_000)}`],
    ['100k unclosed parentheses', `name; ${'('.repeat(100_000)}`],
    ['NUL bytes', 'name\0==1.0'],
    ['NUL in a marker', 'name; os_name == "nt\0"'],
    ['unicode names', '\u0440\u0435\u0443\u0435\u0441\u0442\u0455==1.0'],
    ['unicode digits', 'name==\u0661.\u0660'],
    ['a lone surrogate', 'name\ud800'],
  ])('%s', (_label, input) => {
    expectControlled('parseRequirement', input, () => parseRequirement(input), 2000);
    expectControlled('parseMarker', input, () => parseMarker(input), 2000);
    expectControlled('parseSpecifierSet', input, () => parseSpecifierSet(input), 2000);
  });

  it('refuses markers nested deeper than the limit with a clear RequirementError', () => {
    const deep = `${'('.repeat(MAX_MARKER_DEPTH + 1)}os_name == "nt"${')'.repeat(MAX_MARKER_DEPTH + 1)}`;
    expect(() => parseMarker(deep)).toThrow(/nests deeper than 64 parentheses/);
    const allowed = `${'('.repeat(MAX_MARKER_DEPTH)}os_name == "nt"${')'.repeat(MAX_MARKER_DEPTH)}`;
    expect(evaluateMarker(parseMarker(allowed), ENVIRONMENT)).toBe(false);
  });

  it('parses a marker of as many clauses as allowed, and refuses one more with a clear RequirementError', () => {
    const clauses = (count: number): string =>
      Array.from({ length: count }, () => 'os_name == "nt"').join(' and ');
    expect(evaluateMarker(parseMarker(clauses(MAX_MARKER_CLAUSES)), ENVIRONMENT)).toBe(false);
    expect(() => parseMarker(clauses(MAX_MARKER_CLAUSES + 1))).toThrow(/more than 2000 comparisons/);
    expect(() => parseMarker(clauses(100_000))).toThrow(RequirementError);
  });
});
