import type { Component, PinKind } from '../model.js';
import { normalizeName, type Specifier, type SpecifierOperator } from '../pep508/parse.js';
import { pinOf } from './declared.js';
import { isTable, shapeError, stringAt, stringsAt, type Table, type Where } from './toml.js';

/**
 * Poetry's own version constraints (`[tool.poetry.dependencies]`), which are not PEP 440: `^1.2.3` means
 * `>=1.2.3,<2.0.0`, `~1.2` means `>=1.2,<1.3`, a bare `1.2.0` means `==1.2.0`, `=1.2` is `==1.2`, and `||`
 * separates alternatives. Returns `undefined` for a union of alternatives, which no single PEP 440 specifier set
 * expresses: the caller reports it as a range with no specifiers rather than guess one side.
 */
export function poetryConstraint(text: string, where: Where): Specifier[] | undefined {
  const trimmed = text.trim();
  if (trimmed.includes('|')) {
    const alternatives = trimmed.split(/\|\|?/).filter((part) => part.trim() !== '');
    for (const alternative of alternatives) poetryConstraint(alternative, where);
    return alternatives.length === 1 && alternatives[0] !== undefined
      ? poetryConstraint(alternatives[0], where)
      : undefined;
  }
  const specifiers: Specifier[] = [];
  const part = /\s*(\^|~=|~|===|==|=|!=|<=|>=|<|>)?\s*([^\s,]+)\s*,?/y;
  let position = 0;
  while (position < trimmed.length) {
    part.lastIndex = position;
    const found = part.exec(trimmed);
    if (found === null) throw shapeError(where, `invalid Poetry version constraint ${JSON.stringify(text)}`);
    position = part.lastIndex;
    const operator = found[1];
    const version = found[2] ?? '';
    if (!/^[A-Za-z0-9_.*+!-]+$/.test(version))
      throw shapeError(
        where,
        `invalid version ${JSON.stringify(version)} in Poetry constraint ${JSON.stringify(text)}`,
      );
    if (version === '*' && (operator === undefined || operator === '==' || operator === '=')) continue;
    if (operator === '^' || operator === '~') specifiers.push(...bounded(operator, version, text, where));
    else if (operator === undefined || operator === '=') specifiers.push({ operator: '==', version });
    else specifiers.push({ operator: operator as SpecifierOperator, version });
  }
  return specifiers;
}

/** `^` raises the first non-zero release part (or the last one given); `~` raises the minor (the major alone). */
function bounded(operator: '^' | '~', version: string, text: string, where: Where): Specifier[] {
  const release = /^v?(\d+(?:\.\d+)*)/.exec(version)?.[1];
  if (release === undefined || version.includes('*'))
    throw shapeError(
      where,
      `invalid version ${JSON.stringify(version)} in Poetry constraint ${JSON.stringify(text)}`,
    );
  const parts = release.split('.').map(Number);
  let raise: number;
  if (operator === '~') raise = parts.length === 1 ? 0 : 1;
  else {
    const nonZero = parts.findIndex((value) => value > 0);
    raise = nonZero < 0 ? Math.min(parts.length - 1, 2) : Math.min(nonZero, parts.length - 1);
  }
  const upper = parts.map((value, index) => (index < raise ? value : index === raise ? value + 1 : 0));
  return [
    { operator: '>=', version },
    { operator: '<', version: upper.join('.') },
  ];
}

/** PEP 508 marker text for Poetry's `python = "<3.8"` and `platform = "linux"` keys of a dependency table. */
function pythonMarker(constraint: string, where: Where): string | undefined {
  const specifiers = poetryConstraint(constraint, where);
  if (specifiers === undefined || specifiers.length === 0) return undefined;
  return specifiers
    .map((specifier) => `python_version ${specifier.operator} "${specifier.version}"`)
    .join(' and ');
}

export interface PoetryDependency {
  readonly name: string;
  /** One string or table, or an array of them (alternatives by marker). */
  readonly value: unknown;
  readonly scope: string;
  readonly where: Where;
  /** URLs of the declared `[[tool.poetry.source]]`s, by name. */
  readonly sources: ReadonlyMap<string, string>;
}

/** The components of one Poetry dependency entry; an array of constraint tables gives one component each. */
export function poetryComponents(dependency: PoetryDependency): { components: Component[]; source?: string } {
  const values = Array.isArray(dependency.value) ? dependency.value : [dependency.value];
  const components: Component[] = [];
  let source: string | undefined;
  for (const value of values) {
    if (typeof value === 'string') components.push(build(dependency, { version: value }));
    else if (isTable(value)) {
      source ??= stringAt(value, 'source', dependency.where);
      components.push(build(dependency, value));
    } else throw shapeError(dependency.where, `dependency "${dependency.name}" must be a string or a table`);
  }
  return { components, ...(source !== undefined && { source }) };
}

function build(dependency: PoetryDependency, table: Table): Component {
  const { where } = dependency;
  const git = stringAt(table, 'git', where);
  const path = stringAt(table, 'path', where);
  const url = stringAt(table, 'url', where);
  const version = stringAt(table, 'version', where);
  const markers = [stringAt(table, 'markers', where)];
  const python = stringAt(table, 'python', where);
  if (python !== undefined) markers.push(pythonMarker(python, where));
  const platform = stringAt(table, 'platform', where);
  if (platform !== undefined) markers.push(`sys_platform == "${platform}"`);
  const markerParts = markers.filter(
    (marker): marker is string => marker !== undefined && marker.trim() !== '',
  );
  const markerText =
    markerParts.length === 1
      ? markerParts[0]
      : markerParts.map((marker) => `(${marker})`).join(' and ') || undefined;
  let pin: PinKind;
  let reference: string | undefined;
  let specifiers: Specifier[] = [];
  let exactVersion: string | undefined;
  if (git !== undefined) {
    const ref =
      stringAt(table, 'rev', where) ?? stringAt(table, 'tag', where) ?? stringAt(table, 'branch', where);
    reference = `git+${git}${ref === undefined ? '' : `@${ref}`}`;
    pin = 'vcs';
  } else if (path !== undefined) {
    reference = path;
    pin = 'path';
  } else if (url !== undefined) {
    reference = url;
    pin = 'url';
  } else {
    const converted = poetryConstraint(version ?? '*', where);
    if (converted === undefined) pin = 'range';
    else {
      specifiers = converted;
      const kind = pinOf(converted);
      pin = kind.pin;
      exactVersion = kind.version;
    }
  }
  const source = stringAt(table, 'source', where);
  const index = source === undefined ? undefined : (dependency.sources.get(source) ?? source);
  return {
    name: dependency.name,
    normalizedName: normalizeName(dependency.name),
    ecosystem: 'PyPI',
    ...(exactVersion !== undefined && { version: exactVersion }),
    specifiers,
    pin,
    direct: true,
    scope: dependency.scope,
    hashes: [],
    extras: stringsAt(table, 'extras', where).map(normalizeName),
    ...(markerText !== undefined && { markerText }),
    ...(reference !== undefined && { url: reference }),
    ...(index !== undefined && { index }),
    origin: { path: where.path, ...(where.line !== undefined && { line: where.line }) },
  };
}
