import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { defineRule, type Domain, type Rule } from './rule.js';
import { resolveSelection, type SelectionLayer } from './selection.js';

function rule(id: string, domain: Domain, enabledByDefault?: false): Rule {
  return defineRule({
    id,
    domain,
    title: id,
    description: id,
    fix: id,
    severity: 'high',
    confidence: 'high',
    verdict: 'suspicious',
    cwe: [],
    owasp: [],
    ...(enabledByDefault === false && { enabledByDefault }),
  });
}

const RULES = [
  rule('SCAN-001', 'scan'),
  rule('SCAN-002', 'scan'),
  rule('MODEL-PICKLE-001', 'model'),
  rule('MODEL-ONNX-001', 'model'),
  rule('PY-DES-001', 'code'),
  rule('PY-DES-002', 'code'),
  rule('PY-DES-010', 'code'),
  rule('PY-PYP-004', 'code', false),
];

function enabled(...layers: Omit<SelectionLayer, 'source'>[]): string[] {
  return [
    ...resolveSelection(
      RULES,
      layers.map((layer) => ({ source: 'test', ...layer })),
    ),
  ].sort();
}

describe('resolveSelection', () => {
  it('starts from every rule that is on by default', () => {
    expect(enabled()).not.toContain('PY-PYP-004');
    expect(enabled()).toHaveLength(RULES.length - 1);
  });

  it('selects by id, by prefix at any depth, and ALL, which includes off-by-default rules', () => {
    expect(enabled({ select: ['PY-DES-00'] })).toEqual(['PY-DES-001', 'PY-DES-002', 'SCAN-001', 'SCAN-002']);
    expect(enabled({ select: ['MODEL-ONNX-001'] })).toEqual(['MODEL-ONNX-001', 'SCAN-001', 'SCAN-002']);
    expect(enabled({ select: ['ALL'] })).toHaveLength(RULES.length);
    expect(enabled({ extendSelect: ['PY-PYP-004'] })).toHaveLength(RULES.length);
  });

  it('lets the more specific selector win, and ignore win at equal specificity', () => {
    expect(enabled({ select: ['PY'], ignore: ['PY-DES'] })).toEqual(['PY-PYP-004', 'SCAN-001', 'SCAN-002']);
    expect(enabled({ select: ['PY-DES-001'], ignore: ['PY'] })).toEqual([
      'PY-DES-001',
      'SCAN-001',
      'SCAN-002',
    ]);
    expect(enabled({ select: ['MODEL'], ignore: ['MODEL'] })).toEqual(['SCAN-001', 'SCAN-002']);
    expect(enabled({ select: ['ALL'], ignore: ['PY-DES-002'] })).not.toContain('PY-DES-002');
  });

  it('lets a later layer with select replace, and without select refine, the earlier one', () => {
    const config = { ignore: ['MODEL'], extendSelect: ['PY-PYP'] };
    expect(enabled(config, { select: ['MODEL-ONNX'] })).toEqual(['MODEL-ONNX-001', 'SCAN-001', 'SCAN-002']);
    const refined = enabled(config, { ignore: ['PY-DES-010'] });
    expect(refined).toContain('PY-PYP-004');
    expect(refined).not.toContain('PY-DES-010');
    expect(refined).not.toContain('MODEL-PICKLE-001');
  });

  it('keeps unscannable rules on whatever is selected', () => {
    expect(enabled({ ignore: ['ALL'] })).toEqual(['SCAN-001', 'SCAN-002']);
    expect(() => enabled({ ignore: ['SCAN'] })).toThrow(/cannot ignore "SCAN"/);
    expect(() => enabled({ ignore: ['SCAN-001'] })).toThrow(UsageError);
  });

  it('rejects a selector that matches no rule, naming it', () => {
    expect(() => enabled({ select: ['PY-NOPE'] })).toThrow(/unknown rule selector "PY-NOPE" in test/);
    expect(() => enabled({ ignore: ['all'] })).toThrow(/"all"/);
  });
});

describe('rule aliases', () => {
  const aliased: Rule = { ...rule('PY-MDL-006', 'code'), aliases: ['PY-SUP-002'] };
  const rules = [rule('SCAN-001', 'scan'), rule('PY-DES-001', 'code'), aliased];
  const resolve = (layer: Omit<SelectionLayer, 'source'>): string[] =>
    [...resolveSelection(rules, [{ source: 'test', ...layer }])].sort();

  it('selects and ignores a rule by an alias or an alias prefix', () => {
    expect(resolve({ select: ['PY-SUP'] })).toEqual(['PY-MDL-006', 'SCAN-001']);
    expect(resolve({ ignore: ['PY-SUP-002'] })).toEqual(['PY-DES-001', 'SCAN-001']);
  });
});
