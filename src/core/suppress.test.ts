import { describe, expect, it } from 'vitest';
import type { Finding } from './finding.js';
import { Suppressor } from './suppress.js';

const finding: Finding = {
  id: 'F1',
  ruleId: 'MODEL-PICKLE-002',
  title: 'Pickle references a global outside the allow list',
  severity: 'medium',
  confidence: 'medium',
  message: 'global mypkg.Net is not on the allow list',
  location: { path: 'models/net.pkl', offset: 12 },
  evidence: 'mypkg.Net',
  fix: 'review',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
  fingerprint: 'abc123',
};

describe('Suppressor', () => {
  it('applies an ignore entry by rule and path glob relative to the configuration root', () => {
    const suppressor = new Suppressor(
      [{ rule: 'MODEL-PICKLE-002', path: 'models/*.pkl', reason: 'reviewed vendor model' }],
      '/repo',
      new Set(),
      '2026-11-26',
    );
    expect(suppressor.suppressionFor(finding, '/repo/models/net.pkl')).toEqual({
      kind: 'config',
      reason: 'reviewed vendor model',
    });
    expect(suppressor.suppressionFor(finding, '/repo/other/net.pkl')).toBeUndefined();
    expect(
      suppressor.suppressionFor({ ...finding, ruleId: 'MODEL-PICKLE-001' }, '/repo/models/net.pkl'),
    ).toBeUndefined();
  });

  it('turns an expired entry back into a finding and warns', () => {
    const suppressor = new Suppressor(
      [{ fingerprint: 'abc123', reason: 'temporary', expires: '2026-11-26' }],
      '/repo',
      new Set(),
      '2026-11-26',
    );
    expect(suppressor.suppressionFor(finding, '/repo/models/net.pkl')).toBeUndefined();
    expect(suppressor.warnings).toEqual([
      'ignore entry expired on 2026-11-26 and no longer applies: fingerprint abc123 (temporary)',
    ]);
  });

  it('keeps an entry that expires in the future', () => {
    const suppressor = new Suppressor(
      [{ fingerprint: 'abc123', reason: 'ok', expires: '2026-11-27' }],
      '/repo',
      new Set(),
      '2026-11-26',
    );
    expect(suppressor.suppressionFor(finding, '/repo/x')).toEqual({ kind: 'config', reason: 'ok' });
  });

  it('suppresses baselined fingerprints', () => {
    const suppressor = new Suppressor([], '/repo', new Set(['abc123']), '2026-11-26');
    expect(suppressor.suppressionFor(finding, '/repo/models/net.pkl')).toEqual({
      kind: 'baseline',
      reason: 'in baseline',
    });
    expect(
      suppressor.suppressionFor({ ...finding, fingerprint: 'other' }, '/repo/models/net.pkl'),
    ).toBeUndefined();
  });
});
