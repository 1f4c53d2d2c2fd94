import { ParseError } from '../../../core/errors.js';
import type { Component, IndexSetting } from '../model.js';
import { normalizeName, parseSpecifierSet, RequirementError, type Specifier } from '../pep508/parse.js';
import {
  lockComponents,
  parseHash,
  pinOf,
  readProjectBeside,
  type IndexPin,
  type LockEntry,
  type PinnedManifest,
} from './declared.js';
import type { ManifestInput } from './input.js';
import {
  isTable,
  parseToml,
  shapeError,
  stringAt,
  stringsAt,
  tableAt,
  tablesAt,
  TomlLines,
  type Table,
  type Where,
} from './toml.js';

/**
 * Package sections and the scope their components get. Pipenv (2022.10 and later) also reads any other table of
 * the Pipfile as a named category of packages, and writes it under the same name in the lock.
 */
const SCOPES: Readonly<Record<string, string>> = {
  packages: 'main',
  'dev-packages': 'dev',
  default: 'main',
  develop: 'dev',
};
/** Tables of a Pipfile that are not packages. */
const NOT_PACKAGES = new Set(['source', 'requires', 'scripts', 'pipenv']);

function sectionsOf(root: Table, skip: ReadonlySet<string>): [string, string][] {
  return Object.entries(root)
    .filter(([name, value]) => !skip.has(name) && isTable(value))
    .map(([name]) => [name, SCOPES[name] ?? normalizeName(name)]);
}

/** Marker keys that a Pipfile entry may give on their own: `sys_platform = "== 'linux'"`. */
const MARKER_KEYS = [
  'os_name',
  'sys_platform',
  'platform_machine',
  'platform_python_implementation',
  'python_version',
];

/** Pipenv reads a version without an operator (`"1.2"`) as `==1.2`, and `*` as any version. */
function pipenvSpecifiers(text: string, where: Where): Specifier[] {
  const trimmed = text.trim();
  if (trimmed === '*' || trimmed === '') return [];
  try {
    return parseSpecifierSet(/^[<>=!~]/.test(trimmed) ? trimmed : `==${trimmed}`);
  } catch (error) {
    if (error instanceof RequirementError)
      throw shapeError(where, `invalid version ${JSON.stringify(text)}: ${error.message}`);
    throw error;
  }
}

function markerText(entry: Table, where: Where): string | undefined {
  const parts = [stringAt(entry, 'markers', where)];
  for (const key of MARKER_KEYS) {
    const value = stringAt(entry, key, where);
    if (value !== undefined) parts.push(`${key} ${value.trim()}`);
  }
  const present = parts.filter((part): part is string => part !== undefined && part.trim() !== '');
  return present.length <= 1 ? present[0] : present.map((part) => `(${part})`).join(' and ');
}

/** A Pipfile or Pipfile.lock entry's direct reference: `git` (+ `ref`), `path`, `file`. */
function referenceOf(entry: Table, where: Where): LockEntry['reference'] {
  const git = stringAt(entry, 'git', where);
  if (git !== undefined) {
    const ref = stringAt(entry, 'ref', where);
    return { pin: 'vcs', url: `git+${git.replace(/^git\+/, '')}${ref === undefined ? '' : `@${ref}`}` };
  }
  const path = stringAt(entry, 'path', where);
  if (path !== undefined) return { pin: 'path', url: path };
  const file = stringAt(entry, 'file', where);
  if (file !== undefined) return { pin: /^[a-z]+:\/\//i.test(file) ? 'url' : 'path', url: file };
  return undefined;
}

function sourceSetting(source: Table, where: Where): IndexSetting & { name: string } {
  const url = stringAt(source, 'url', where);
  const name = stringAt(source, 'name', where);
  if (url === undefined || name === undefined) throw shapeError(where, 'a source needs a name and a url');
  return {
    url,
    name,
    kind: 'extra',
    origin: { path: where.path, ...(where.line !== undefined && { line: where.line }) },
  };
}

/** Pipenv uses the first source as the index and the others as extra indexes. */
function withKinds(
  sources: readonly (IndexSetting & { name: string })[],
): (IndexSetting & { name: string })[] {
  return sources.map((source, position) => ({ ...source, kind: position === 0 ? 'primary' : 'extra' }));
}

/** `Pipfile` (TOML): `[packages]`, `[dev-packages]`, `[[source]]`, and the `index = "name"` pin of an entry. */
export function parsePipfileText(path: string, text: string): PinnedManifest {
  const root = parseToml(text, path);
  const lines = new TomlLines(text);
  const sourceLines = lines.headerLines('source');
  const sources = withKinds(
    tablesAt(root, 'source', { path, line: sourceLines[0] }).map((source, position) =>
      sourceSetting(source, { path, line: sourceLines[position] }),
    ),
  );
  const urls = new Map(sources.map((source) => [source.name, source.url]));
  const components: Component[] = [];
  const indexPins: IndexPin[] = [];
  for (const [section, scope] of sectionsOf(root, NOT_PACKAGES)) {
    const sectionLine = lines.headerLines(section)[0];
    for (const [name, value] of Object.entries(tableAt(root, section, { path, line: sectionLine }) ?? {})) {
      const line = lines.keyLine(sectionLine, name) ?? sectionLine;
      const where = { path, line };
      const origin = { path, ...(line !== undefined && { line }) };
      if (typeof value !== 'string' && !isTable(value))
        throw shapeError(where, `package "${name}" must be a string or a table`);
      const entry: Table = typeof value === 'string' ? { version: value } : value;
      const reference = referenceOf(entry, where);
      const specifiers =
        reference === undefined ? pipenvSpecifiers(stringAt(entry, 'version', where) ?? '*', where) : [];
      const kind = reference === undefined ? pinOf(specifiers) : { pin: reference.pin };
      const index = stringAt(entry, 'index', where);
      const marker = markerText(entry, where);
      const url = index === undefined ? undefined : urls.get(index);
      components.push({
        name,
        normalizedName: normalizeName(name),
        ecosystem: 'PyPI',
        ...(kind.version !== undefined && { version: kind.version }),
        specifiers,
        pin: kind.pin,
        direct: true,
        scope,
        hashes: [],
        extras: stringsAt(entry, 'extras', where).map(normalizeName),
        ...(marker !== undefined && { markerText: marker }),
        ...(reference !== undefined && { url: reference.url }),
        ...(index !== undefined && { index: url ?? index }),
        origin,
      });
      if (index !== undefined)
        indexPins.push({
          packageName: normalizeName(name),
          indexName: index,
          ...(url !== undefined && { url }),
          origin,
        });
    }
  }
  return { path, format: 'pipfile', components, indexes: sources, indexPins, lock: false };
}

export function parsePipfile(input: ManifestInput): Promise<PinnedManifest> {
  return Promise.resolve(parsePipfileText(input.path, input.text));
}

/** 1-based lines of character offsets, by binary search over the line starts: locks can hold many entries. */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1))
      this.starts.push(index + 1);
  }

  /** The line of `offset`, `undefined` for a text search that found nothing (-1). */
  lineAt(offset: number): number | undefined {
    if (offset < 0) return undefined;
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }
}

function parseJson(input: ManifestInput): unknown {
  try {
    return JSON.parse(input.text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message)?.[1];
    const offset = position === undefined ? undefined : Number(position);
    const where = offset === undefined ? '' : `:${new LineIndex(input.text).lineAt(offset) ?? 1}`;
    throw new ParseError('BAD_STRUCTURE', `${input.path}${where}: invalid JSON: ${message}`, offset);
  }
}

/**
 * `Pipfile.lock` (JSON): `_meta.sources`, `default`/`develop` entries with `version: "==x"`, hashes, `index`
 * (a source name, reported as its URL) and markers. Direct dependencies come from the `Pipfile` beside it.
 */
export async function parsePipfileLock(input: ManifestInput): Promise<PinnedManifest> {
  const { path, text } = input;
  const root = parseJson(input);
  if (!isTable(root)) throw shapeError({ path }, 'Pipfile.lock must be a JSON object');
  const lines = new LineIndex(text);
  const meta = tableAt(root, '_meta', { path, line: lines.lineAt(text.indexOf('"_meta"')) });
  const sources = withKinds(
    tablesAt(meta ?? {}, 'sources', { path }).map((source) =>
      sourceSetting(source, { path, line: lines.lineAt(text.indexOf(`"${String(source['name'])}"`)) }),
    ),
  );
  const urls = new Map(sources.map((source) => [source.name, source.url]));
  const entries: LockEntry[] = [];
  for (const [section, scope] of sectionsOf(root, new Set(['_meta']))) {
    const sectionOffset = Math.max(text.indexOf(`"${section}"`), 0);
    // Entries come in text order, so each search starts where the previous entry was found.
    let cursor = sectionOffset;
    const table = tableAt(root, section, { path, line: lines.lineAt(sectionOffset) }) ?? {};
    for (const [name, value] of Object.entries(table)) {
      const needle = `${JSON.stringify(name)}:`;
      let offset = text.indexOf(needle, cursor);
      if (offset < 0) offset = text.indexOf(needle, sectionOffset);
      if (offset >= 0) cursor = offset;
      const line = lines.lineAt(offset);
      const where = { path, line };
      if (!isTable(value)) throw shapeError(where, `"${section}.${name}" must be an object`);
      const reference = referenceOf(value, where);
      const version = stringAt(value, 'version', where);
      const pinned = version === undefined ? undefined : pinOf(pipenvSpecifiers(version, where)).version;
      if (reference === undefined && pinned === undefined)
        throw shapeError(where, `"${section}.${name}" has no exact version (${JSON.stringify(version)})`);
      const index = stringAt(value, 'index', where);
      entries.push({
        name,
        version: pinned,
        reference,
        index: index === undefined ? undefined : (urls.get(index) ?? index),
        hashes: stringsAt(value, 'hashes', where).map(parseHash),
        markerText: markerText(value, where),
        dependencies: [],
        scope,
        line,
      });
    }
  }
  const project = await readProjectBeside(input, 'Pipfile', parsePipfile);
  return {
    path,
    format: 'pipfile-lock',
    components: lockComponents(path, entries, project),
    indexes: sources,
    indexPins: project.indexPins,
    lock: true,
  };
}
