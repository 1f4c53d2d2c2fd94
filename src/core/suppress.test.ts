import { describe, expect, it } from 'vitest';
import type { IgnoreEntry } from './config/schema.js';
import type { Finding, Suppression } from './finding.js';
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

  describe('dependency selectors', () => {
    const vulnerability: Finding = {
      ...finding,
      ruleId: 'DEP-VULN-001',
      message: 'requests==2.25.0: PYSEC-2023-74',
      location: { path: 'requirements.txt', line: 3, package: 'requests==2.25.0' },
      evidence: 'requests==2.25.0 PYSEC-2023-74',
      fingerprint: 'vuln1',
      pin: { name: 'Requests', version: '2.25.0' },
      advisory: { id: 'PYSEC-2023-74', aliases: ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q'] },
    };
    const suppressed = (entry: IgnoreEntry, target: Finding = vulnerability): Suppression | undefined =>
      new Suppressor([entry], '/repo', new Set(), '2026-11-26').suppressionFor(
        target,
        '/repo/requirements.txt',
      );

    it('matches an advisory by its id or any alias, whatever the case', () => {
      for (const advisory of ['PYSEC-2023-74', 'CVE-2023-32681', 'ghsa-j8r2-6x86-q33q']) {
        expect(suppressed({ advisory, reason: 'not reachable' })).toEqual({
          kind: 'config',
          reason: 'not reachable',
        });
      }
      expect(suppressed({ advisory: 'PYSEC-2023-7', reason: 'x' })).toBeUndefined();
      expect(suppressed({ advisory: 'PYSEC-2023-74', reason: 'x' }, finding)).toBeUndefined();
    });

    it('matches a package by its PEP 503 name, and by version when one is given', () => {
      for (const pkg of [
        'requests',
        'REQUESTS',
        'requests==2.25.0',
        'requests == 2.25',
        'Requests==2.25.0.0',
      ]) {
        expect(suppressed({ package: pkg, reason: 'pinned by vendor' })).toEqual({
          kind: 'config',
          reason: 'pinned by vendor',
        });
      }
      expect(suppressed({ package: 'requests==2.25.1', reason: 'x' })).toBeUndefined();
      expect(suppressed({ package: 'requests-oauthlib', reason: 'x' })).toBeUndefined();
      expect(suppressed({ package: 'requests', reason: 'x' }, finding)).toBeUndefined();
    });

    it('falls back to the package label of findings without a structured pin', () => {
      const typosquat: Finding = {
        ...finding,
        ruleId: 'DEP-TYPO-001',
        location: { path: 'requirements.txt', package: 'python_dateutil3' },
      };
      expect(suppressed({ package: 'python-dateutil3', reason: 'internal fork' }, typosquat)).toEqual({
        kind: 'config',
        reason: 'internal fork',
      });
      // An unpinned package is not "that version".
      expect(suppressed({ package: 'python-dateutil3==1.0', reason: 'x' }, typosquat)).toBeUndefined();
    });

    it('requires every selector given to match', () => {
      expect(suppressed({ advisory: 'CVE-2023-32681', package: 'requests', reason: 'x' })).toBeDefined();
      expect(suppressed({ advisory: 'CVE-2023-32681', package: 'urllib3', reason: 'x' })).toBeUndefined();
      expect(suppressed({ advisory: 'CVE-2023-32681', rule: 'DEP-MAL-001', reason: 'x' })).toBeUndefined();
    });

    it('stops suppressing an advisory or package once expired, and says which', () => {
      const suppressor = new Suppressor(
        [
          { advisory: 'PYSEC-2023-74', reason: 'waiting for 2.31', expires: '2026-11-01' },
          { package: 'requests==2.25.0', reason: 'vendor pin', expires: '2026-11-26' },
        ],
        '/repo',
        new Set(),
        '2026-11-26',
      );
      expect(suppressor.suppressionFor(vulnerability, '/repo/requirements.txt')).toBeUndefined();
      expect(suppressor.warnings).toEqual([
        'ignore entry expired on 2026-11-01 and no longer applies: advisory PYSEC-2023-74 (waiting for 2.31)',
        'ignore entry expired on 2026-11-26 and no longer applies: package requests==2.25.0 (vendor pin)',
      ]);
      expect(suppressed({ advisory: 'PYSEC-2023-74', reason: 'ok', expires: '2026-11-27' })).toEqual({
        kind: 'config',
        reason: 'ok',
      });
    });
  });
});
