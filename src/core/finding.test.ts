import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './finding.js';

describe('fingerprintOf', () => {
  it('does not depend on line or offset, only on rule, path, member, evidence and occurrence', () => {
    const base = fingerprintOf(
      'MODEL-PICKLE-001',
      { path: 'm.pt', member: 'm/data.pkl', offset: 10, line: 3 },
      "posix.system('x')",
      'msg',
      0,
    );
    expect(
      fingerprintOf(
        'MODEL-PICKLE-001',
        { path: 'm.pt', member: 'm/data.pkl', offset: 99 },
        "posix.system('x')",
        'other',
        0,
      ),
    ).toBe(base);
    expect(
      fingerprintOf(
        'MODEL-PICKLE-001',
        { path: 'm.pt', member: 'm/data.pkl' },
        "posix.system('y')",
        'msg',
        0,
      ),
    ).not.toBe(base);
    expect(
      fingerprintOf(
        'MODEL-PICKLE-001',
        { path: 'n.pt', member: 'm/data.pkl' },
        "posix.system('x')",
        'msg',
        0,
      ),
    ).not.toBe(base);
    expect(
      fingerprintOf(
        'MODEL-PICKLE-001',
        { path: 'm.pt', member: 'm/data.pkl' },
        "posix.system('x')",
        'msg',
        1,
      ),
    ).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{32}$/);
  });
});
