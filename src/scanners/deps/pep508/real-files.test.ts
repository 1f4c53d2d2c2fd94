import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { evaluateMarker, evaluateMarkerAnyEnvironment, type MarkerEnvironment } from './markers.js';
import { parseMarker, parseRequirement } from './parse.js';
import { contains, isExactPin } from './specifier.js';

/** The parsers on the real manifests in the shared corpus (read in place, never copied into the repo). */

const CORPUS = resolve(import.meta.dirname, '../../../../../shared/corpora/real-manifests');
const read = (name: string): string => readFileSync(resolve(CORPUS, name), 'utf8');

const LINUX: MarkerEnvironment = {
  implementation_name: 'cpython',
  implementation_version: '3.11.4',
  os_name: 'posix',
  platform_machine: 'x86_64',
  platform_release: '6.1.0',
  platform_system: 'Linux',
  platform_version: '#1 SMP',
  python_full_version: '3.11.4',
  platform_python_implementation: 'CPython',
  python_version: '3.11',
  sys_platform: 'linux',
};

/**
 * Requirement lines of a requirements file: continuations joined; comments, options, hashes and bare URLs
 * (which are pip syntax, not PEP 508) dropped.
 */
function requirementLines(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) =>
      line
        .replace(/(^|\s)#.*$/, '')
        .replace(/\s--hash=\S+/g, '')
        .trim(),
    )
    .filter((line) => line !== '' && !line.startsWith('-') && !/^[a-z+]+:\/\//.test(line));
}

/** Every `markers` string anywhere in a parsed TOML/JSON lock file. */
function markersIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) markersIn(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'markers' && typeof item === 'string') found.push(item);
      else markersIn(item, found);
    }
  }
  return found;
}

describe('real manifests', () => {
  it.each([
    ['tgi__server__requirements.txt', 50, 0],
    ['jax__build__requirements_lock_3_11.txt', 40, 0],
    ['transformers__lxmert__requirements.txt', 50, 6],
    ['unstructured__requirements__base.txt', 30, 0],
  ])('parses every requirement of %s, all exact pins but %i', (name, atLeast, ranges) => {
    const lines = requirementLines(read(name));
    expect(lines.length).toBeGreaterThanOrEqual(atLeast);
    let unpinned = 0;
    for (const line of lines) {
      const requirement = parseRequirement(line);
      const pin = isExactPin(requirement.specifiers);
      if (pin === undefined) unpinned++;
      else expect(contains(pin, requirement.specifiers, { prereleases: true }), line).toBe(true);
      if (requirement.marker !== undefined) {
        expect(typeof evaluateMarker(requirement.marker, LINUX)).toBe('boolean');
        expect(evaluateMarkerAnyEnvironment(requirement.marker)).not.toBe(false);
      }
    }
    expect(unpinned).toBe(ranges);
  });

  it('selects the Linux-only packages of the TGI lock for Linux and not for Windows', () => {
    const cmake = parseRequirement(
      requirementLines(read('tgi__server__requirements.txt')).find((line) => line.startsWith('cmake==')) ??
        '',
    );
    expect(cmake.marker && evaluateMarker(cmake.marker, LINUX)).toBe(true);
    const windows = {
      ...LINUX,
      platform_system: 'Windows',
      sys_platform: 'win32',
      platform_machine: 'AMD64',
    };
    expect(cmake.marker && evaluateMarker(cmake.marker, windows)).toBe(false);
  });

  it.each(['privategpt__poetry.lock', 'spleeter__poetry.lock', 'presidio-analyzer__Pipfile.lock'])(
    'parses and evaluates every marker of %s',
    (name) => {
      const text = read(name);
      const markers = markersIn(
        name.endsWith('.lock') && text.trimStart().startsWith('{') ? JSON.parse(text) : parseToml(text),
      );
      expect(markers.length).toBeGreaterThan(5);
      for (const text of markers) {
        const marker = parseMarker(text);
        expect(typeof evaluateMarker(marker, { ...LINUX, extra: 'all' }), text).toBe('boolean');
      }
    },
  );
});
