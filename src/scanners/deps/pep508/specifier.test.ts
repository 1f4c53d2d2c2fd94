import { describe, expect, it } from 'vitest';
import { parseSpecifierSet, RequirementError } from './parse.js';
import { contains, isExactPin } from './specifier.js';
import { compareVersions, parseVersion } from './version.js';

function within(version: string, specifiers: string, prereleases?: boolean): boolean {
  return contains(version, parseSpecifierSet(specifiers), prereleases === undefined ? {} : { prereleases });
}

describe('contains', () => {
  it('gets the cases @renovatebot/pep440 satisfies gets wrong (notes §4) the way packaging does', () => {
    expect(within('1.0+local.1', '==1.0+local.2')).toBe(false);
    expect(within('1.0.dev0', '<1.0a1')).toBe(false);
    expect(within('1.0.dev0', '<1.0a1', true)).toBe(true);
    expect(within('1.2.3', '>1.2.3.dev0')).toBe(true);
  });

  it('applies the exclusive ordered rules', () => {
    expect(within('3.1.dev0', '<3.1', true)).toBe(false);
    expect(within('3.0.dev0', '<3.1', true)).toBe(true);
    expect(within('3.1.post1', '>3.1')).toBe(false);
    expect(within('3.1+local', '>3.1')).toBe(false);
    expect(within('3.2.post1', '>3.1')).toBe(true);
    expect(within('3.1.post2', '>3.1.post1')).toBe(true);
  });

  it('matches local versions and prefixes', () => {
    expect(within('2.1.0+cu118', '==2.1.0')).toBe(true);
    expect(within('2.1.0', '==2.1.0+cu118')).toBe(false);
    expect(within('2.1.5+cu118', '==2.1.*')).toBe(true);
    expect(within('2.10', '==2.1.*')).toBe(false);
    expect(within('1!2.0', '==1!2.0.*')).toBe(true);
    expect(within('2.3', '~=2.2')).toBe(true);
    expect(within('3.0', '~=2.2')).toBe(false);
  });

  it('compares === as the strings written, case-insensitively', () => {
    expect(within('1.0-Weird', '===1.0-weird')).toBe(true);
    expect(within('1.0', '===1.0.0')).toBe(false);
  });

  it('keeps numbers exact however long they are', () => {
    expect(within('1.0.99999999999999999999', '==1.0.99999999999999999998')).toBe(false);
    const [left, right] = ['1.0+0x1f', '1.0+31'].map((text) => parseVersion(text));
    expect(left !== undefined && right !== undefined && compareVersions(left, right)).toBeLessThan(0);
  });

  it('throws RequirementError for a version or specifier that is not PEP 440', () => {
    expect(() => within('not-a-version', '>=1')).toThrow(RequirementError);
    expect(() => contains('1.0', [{ operator: '>=', version: '1.0+local' }])).toThrow(RequirementError);
    expect(() => contains('1.0', [{ operator: '~=', version: '1' }])).toThrow(RequirementError);
  });
});

describe('isExactPin', () => {
  it.each([
    ['==1.2.3', '1.2.3'],
    ['== 2.1.0+cu118', '2.1.0+cu118'],
    ['===1.0-weird', '1.0-weird'],
    ['==1.2.*', undefined],
    ['>=1.2.3', undefined],
    ['==1.2.3,!=1.2.4', undefined],
    ['', undefined],
    ['~=1.2.3', undefined],
  ])('%s pins %s', (text, version) => {
    expect(isExactPin(parseSpecifierSet(text))).toBe(version);
  });
});
