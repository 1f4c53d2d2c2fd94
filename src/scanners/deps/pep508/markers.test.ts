import { describe, expect, it } from 'vitest';
import {
  evaluateMarker,
  evaluateMarkerAnyEnvironment,
  MarkerError,
  type MarkerEnvironment,
} from './markers.js';
import { parseMarker } from './parse.js';

const LINUX: MarkerEnvironment = {
  implementation_name: 'cpython',
  implementation_version: '3.11.4',
  os_name: 'posix',
  platform_machine: 'x86_64',
  platform_release: '6.1.0-13-amd64',
  platform_system: 'Linux',
  platform_version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1',
  python_full_version: '3.11.4',
  platform_python_implementation: 'CPython',
  python_version: '3.11',
  sys_platform: 'linux',
};

function any(text: string, options = {}): boolean | 'unknown' {
  return evaluateMarkerAnyEnvironment(parseMarker(text), options);
}

describe('evaluateMarker', () => {
  it('compares versions by PEP 440 and other values as strings', () => {
    expect(evaluateMarker(parseMarker('python_version >= "3.9"'), LINUX)).toBe(true);
    expect(evaluateMarker(parseMarker('python_version < "3.10"'), LINUX)).toBe(false);
    expect(evaluateMarker(parseMarker('platform_release >= "6"'), LINUX)).toBe(true);
    expect(evaluateMarker(parseMarker('"linux" in sys_platform'), LINUX)).toBe(true);
  });

  it('normalises extra names on both sides (PEP 685)', () => {
    expect(evaluateMarker(parseMarker('extra == "Test_Extra"'), { ...LINUX, extra: 'test-extra' })).toBe(
      true,
    );
    expect(evaluateMarker(parseMarker('extra == "test"'), LINUX)).toBe(false);
  });

  it('tests the PEP 751 sets with in / not in', () => {
    const environment = { ...LINUX, extras: ['CUDA'], dependency_groups: ['dev'] };
    expect(
      evaluateMarker(parseMarker('"cuda" in extras and "docs" not in dependency_groups'), environment),
    ).toBe(true);
    expect(() => evaluateMarker(parseMarker('extras == "cuda"'), environment)).toThrow(MarkerError);
  });

  it('throws MarkerError on a comparison with no meaning', () => {
    expect(() => evaluateMarker(parseMarker('os_name ~= "posix"'), LINUX)).toThrow(MarkerError);
  });

  it('evaluates a marker of the most clauses the parser allows', () => {
    const marker = parseMarker(Array.from({ length: 2000 }, () => 'os_name == "nt"').join(' or '));
    expect(evaluateMarker(marker, LINUX)).toBe(false);
    expect(evaluateMarkerAnyEnvironment(marker)).toBe('unknown');
  });
});

describe('evaluateMarkerAnyEnvironment', () => {
  it('treats environment variables as unknown', () => {
    expect(any('sys_platform == "win32"')).toBe('unknown');
    expect(any('python_version < "2.7"')).toBe('unknown');
  });

  it('uses the variables it is told', () => {
    expect(any('python_version < "2.7"', { known: { python_version: '3.8' } })).toBe(false);
    expect(
      any('python_version < "2.7" or sys_platform == "win32"', { known: { python_version: '3.8' } }),
    ).toBe('unknown');
  });

  it('knows a comparison when every possible value agrees', () => {
    const supported = { known: { python_version: ['3.8', '3.9', '3.10', '3.11', '3.12'] } };
    expect(any('python_version < "2.7"', supported)).toBe(false);
    expect(any('python_version >= "3"', supported)).toBe(true);
    expect(any('python_version < "3.10"', supported)).toBe('unknown');
    expect(any('python_version < "2.7" and sys_platform == "win32"', supported)).toBe(false);
    expect(any('python_version ~= "x"', { known: { python_version: [] } })).toBe('unknown');
  });

  it('lets a decisive operand win over unknown', () => {
    expect(any('sys_platform == "win32" or "a" == "a"')).toBe(true);
    expect(any('sys_platform == "win32" and "a" == "b"')).toBe(false);
  });

  it('treats extra as unknown unless extras are given', () => {
    expect(any('extra == "test"')).toBe('unknown');
    expect(any('extra == "test"', { extras: [] })).toBe(false);
    expect(any('extra == "test"', { extras: ['docs', 'Test'] })).toBe(true);
    expect(any('extra == "test" and os_name == "nt"', { extras: ['test'] })).toBe('unknown');
  });

  it('answers unknown for a comparison it cannot judge', () => {
    expect(any('"posix" ~= "posix"')).toBe('unknown');
  });
});
