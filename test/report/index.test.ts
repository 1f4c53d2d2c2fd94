import { describe, expect, it } from 'vitest';
import { isReporterName, REPORTER_NAMES, REPORTERS } from '../../src/report/index.js';

describe('reporter registry', () => {
  it('names every format the CLI offers', () => {
    expect(REPORTER_NAMES).toEqual(['text', 'json', 'sarif', 'cyclonedx']);
    expect(REPORTER_NAMES.map((name) => typeof REPORTERS[name])).toEqual([
      'function',
      'function',
      'function',
      'function',
    ]);
  });

  it('recognises format names, and nothing inherited from Object', () => {
    expect(isReporterName('sarif')).toBe(true);
    expect(isReporterName('html')).toBe(false);
    expect(isReporterName('toString')).toBe(false);
  });
});
