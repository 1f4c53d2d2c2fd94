import { describe, expect, it } from 'vitest';
import { poetryComponents, poetryConstraint } from './poetry-dependency.js';

const where = { path: 'pyproject.toml', line: 7 };
const text = (constraint: string): string | undefined =>
  poetryConstraint(constraint, where)
    ?.map((specifier) => `${specifier.operator}${specifier.version}`)
    .join(',');

describe('poetryConstraint', () => {
  it.each([
    ['^1.2.3', '>=1.2.3,<2.0.0'],
    ['^1.2', '>=1.2,<2.0'],
    ['^1', '>=1,<2'],
    ['^0.2.3', '>=0.2.3,<0.3.0'],
    ['^0.0.3', '>=0.0.3,<0.0.4'],
    ['^0.0', '>=0.0,<0.1'],
    ['^0', '>=0,<1'],
    ['~1.2.3', '>=1.2.3,<1.3.0'],
    ['~1.2', '>=1.2,<1.3'],
    ['~1', '>=1,<2'],
    ['~=1.2', '~=1.2'],
    ['1.2.0', '==1.2.0'],
    ['=1.2.0', '==1.2.0'],
    ['1.2.*', '==1.2.*'],
    ['*', ''],
    ['', ''],
    ['>=1.2,<2.0', '>=1.2,<2.0'],
    ['>= 1.2, < 2.0', '>=1.2,<2.0'],
    ['>=1.2 <2.0', '>=1.2,<2.0'],
    ['!=1.5.0', '!=1.5.0'],
    ['^2.0.0rc1', '>=2.0.0rc1,<3.0.0'],
  ])('reads %j as %j', (constraint, expected) => {
    expect(text(constraint)).toBe(expected);
  });

  it('gives no specifier set for a union of alternatives, which PEP 440 cannot express', () => {
    expect(poetryConstraint('^1.0 || ^2.0', where)).toBeUndefined();
    expect(text('^1.0 ||')).toBe('>=1.0,<2.0');
  });

  it('fails closed on text that is no constraint, with file and line', () => {
    expect(() => poetryConstraint('^latest', where)).toThrow(/pyproject\.toml:7: invalid version "latest"/);
    expect(() => poetryConstraint('>=1.0 <2.0 ; x', where)).toThrow(/pyproject\.toml:7/);
  });
});

describe('poetryComponents', () => {
  const sources = new Map([['acme', 'https://pypi.acme.example/simple']]);
  const one = (value: unknown) =>
    poetryComponents({ name: 'Torch_Audio', value, scope: 'main', where, sources });

  it('reads the table form: version, markers, python, extras and source', () => {
    const { components, source } = one({
      version: '^2.1',
      markers: 'sys_platform == "linux"',
      python: '>=3.9',
      extras: ['CUDA'],
      source: 'acme',
    });
    expect(source).toBe('acme');
    expect(components).toEqual([
      expect.objectContaining({
        name: 'Torch_Audio',
        normalizedName: 'torch-audio',
        pin: 'range',
        specifiers: [
          { operator: '>=', version: '2.1' },
          { operator: '<', version: '3.0' },
        ],
        markerText: '(sys_platform == "linux") and (python_version >= "3.9")',
        extras: ['cuda'],
        index: 'https://pypi.acme.example/simple',
        direct: true,
        origin: { path: 'pyproject.toml', line: 7 },
      }),
    ]);
  });

  it('reads a bare version as an exact pin and git, path and url tables as direct references', () => {
    expect(one('2.1.0').components[0]).toMatchObject({ pin: 'exact', version: '2.1.0' });
    expect(one({ git: 'https://github.com/org/repo.git', tag: 'v1.0' }).components[0]).toMatchObject({
      pin: 'vcs',
      url: 'git+https://github.com/org/repo.git@v1.0',
    });
    expect(one({ path: '../libs/audio', develop: true }).components[0]).toMatchObject({ pin: 'path' });
    expect(one({ url: 'https://example.com/audio-1.0.tar.gz' }).components[0]).toMatchObject({ pin: 'url' });
  });

  it('gives one component per alternative of a multiple-constraints array', () => {
    const { components } = one([
      { version: '<=1.9', python: '>=3.6,<3.8' },
      { version: '^2.0', python: '>=3.8' },
    ]);
    expect(components.map((component) => component.markerText)).toEqual([
      'python_version >= "3.6" and python_version < "3.8"',
      'python_version >= "3.8"',
    ]);
  });

  it('fails closed on a value of the wrong type', () => {
    expect(() => one(3)).toThrow(/pyproject\.toml:7: dependency "Torch_Audio" must be a string or a table/);
    expect(() => one({ version: 2 })).toThrow(/"version" must be a string/);
  });
});
