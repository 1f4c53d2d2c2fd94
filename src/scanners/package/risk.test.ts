import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../core/finding.js';
import type { Rule } from '../../core/rule.js';
import type { Severity } from '../../core/severity.js';
import type { Capability, CapabilityUse } from './model.js';
import { capabilitiesCouldMatter, riskScore, riskSeverity, type Threat } from './risk.js';
import { PACKAGE_RULES } from './rules.js';

const RULES = (id: string): Rule | undefined => PACKAGE_RULES.find((rule) => rule.id === id);

function threat(ruleId: string, severity: Severity, unasked = false, line = 1): Threat {
  const finding: RawFinding = { ruleId, message: 'm', line, severity };
  return { finding, path: unasked ? 'setup.py' : 'pkg/util.py', unasked };
}

function uses(...capabilities: Capability[]): CapabilityUse[] {
  return capabilities.map((capability) => ({ capability, path: 'pkg/util.py', evidence: 'x' }));
}

describe('riskScore', () => {
  it('scores capabilities without threats 0, however many', () => {
    const score = riskScore([], uses('network', 'process', 'file-write', 'environment'), RULES);
    expect(score).toMatchObject({ score: 0, reasons: [] });
    expect(score.capabilities).toEqual(['environment', 'file-write', 'network', 'process']);
  });

  it('keeps a lone medium threat in library code well below the reporting line', () => {
    expect(riskScore([threat('PKG-URL-001', 'medium')], uses('network'), RULES).score).toBe(4);
  });

  it('adds breadth, code that runs unasked and the capability to act, up to 10', () => {
    const base = [threat('PKG-OBF-001', 'high', true)];
    expect(riskScore(base, [], RULES).score).toBe(7);
    expect(riskScore(base, uses('dynamic-code'), RULES).score).toBe(8);
    const broad = [...base, threat('PKG-URL-001', 'medium'), threat('PKG-EXF-002', 'high')];
    expect(riskScore(broad, uses('network'), RULES).score).toBe(10);
  });

  it('names each rule once, at its strongest finding, strongest rule first', () => {
    const score = riskScore(
      [
        threat('PKG-URL-001', 'medium', false, 3),
        threat('PKG-PTH-001', 'critical', true, 1),
        threat('PKG-URL-001', 'high', false, 9),
      ],
      [],
      RULES,
    );
    expect(score.reasons).toEqual(['PKG-PTH-001 (setup.py:1)', 'PKG-URL-001 (pkg/util.py:9)']);
  });

  it('uses the rule default when a finding keeps its rule severity', () => {
    const finding: RawFinding = { ruleId: 'PKG-ARC-001', message: 'm' };
    expect(riskScore([{ finding, path: 'x', unasked: false }], [], RULES).score).toBe(6);
  });

  it('reports critical from 9', () => {
    expect([7, 8, 9, 10].map(riskSeverity)).toEqual(['high', 'high', 'critical', 'critical']);
  });
});

describe('capabilitiesCouldMatter', () => {
  it('asks for the capability pass only when capabilities could lift the score to the reporting line', () => {
    expect(capabilitiesCouldMatter([threat('PKG-URL-001', 'medium')], RULES)).toBe(false);
    expect(capabilitiesCouldMatter([threat('PKG-OBF-001', 'high')], RULES)).toBe(true);
    expect(capabilitiesCouldMatter([], RULES)).toBe(false);
  });
});
