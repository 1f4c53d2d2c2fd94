import type { Hash } from '../model.js';
import { normalizeName } from '../pep508/parse.js';
import {
  lockComponents,
  parseHash,
  readProjectBeside,
  type LockEntry,
  type PinnedManifest,
  type IndexPin,
} from './declared.js';
import type { ManifestInput } from './input.js';
import { parsePyproject } from './pyproject.js';
import {
  isTable,
  parseToml,
  shapeError,
  stringAt,
  tableAt,
  tablesAt,
  TomlLines,
  type Table,
  type Where,
} from './toml.js';

/** The project's own packages (the root and workspace members) are built from source, not dependencies. */
function isProjectSource(source: Table | undefined): boolean {
  return source !== undefined && (Object.hasOwn(source, 'editable') || Object.hasOwn(source, 'virtual'));
}

function sourceOf(source: Table | undefined, where: Where): Pick<LockEntry, 'index' | 'reference'> {
  if (source === undefined) throw shapeError(where, '[[package]] needs a source');
  const registry = stringAt(source, 'registry', where);
  if (registry !== undefined) return { index: registry };
  const git = stringAt(source, 'git', where);
  if (git !== undefined) return { reference: { pin: 'vcs', url: `git+${git}` } };
  const url = stringAt(source, 'url', where);
  if (url !== undefined) return { reference: { pin: 'url', url } };
  const path = stringAt(source, 'path', where) ?? stringAt(source, 'directory', where);
  if (path !== undefined) return { reference: { pin: 'path', url: path } };
  throw shapeError(where, `unknown package source ${JSON.stringify(Object.keys(source))}`);
}

/** `dependencies = [{ name = "idna" }, …]` and the lists of a table of them (`optional-dependencies`). */
function dependencyNames(list: readonly Table[], where: Where): string[] {
  return list.map((dependency) => {
    const name = stringAt(dependency, 'name', where);
    if (name === undefined) throw shapeError(where, 'a dependency needs a name');
    return normalizeName(name);
  });
}

function hashesOf(package_: Table, where: Where): Hash[] {
  const sdist = tableAt(package_, 'sdist', where);
  const artifacts = [...(sdist === undefined ? [] : [sdist]), ...tablesAt(package_, 'wheels', where)];
  return artifacts.flatMap((artifact) => {
    const hash = stringAt(artifact, 'hash', where);
    return hash === undefined ? [] : [parseHash(hash)];
  });
}

/** Lists of dependencies by extra or group name (`[package.optional-dependencies]`, `[package.dev-dependencies]`). */
function groupedNames(table: Table | undefined, where: Where): [string, string[]][] {
  return Object.entries(table ?? {}).map(([group, list]) => {
    if (!Array.isArray(list) || !list.every(isTable))
      throw shapeError(where, `"${group}" must be an array of tables`);
    return [normalizeName(group), dependencyNames(list, where)];
  });
}

/**
 * uv copies each `[tool.uv.sources]` index pin into the project's `[package.metadata] requires-dist` as the index
 * URL, so a lock scanned without its pyproject.toml still says which index each pinned name must come from.
 */
function requiresDistPins(package_: Table, where: Where): IndexPin[] {
  const metadata = tableAt(package_, 'metadata', where);
  return tablesAt(metadata ?? {}, 'requires-dist', where).flatMap((requirement) => {
    const name = stringAt(requirement, 'name', where);
    const url = stringAt(requirement, 'index', where);
    if (name === undefined || url === undefined) return [];
    const origin = { path: where.path, ...(where.line !== undefined && { line: where.line }) };
    return [{ packageName: normalizeName(name), url, origin }];
  });
}

/**
 * `uv.lock`: `[[package]]` with a registry, git, url, path or directory source, sdist and wheel hashes, and
 * dependencies. The project's own editable or virtual packages are the roots: what they depend on is direct, with
 * the scope of the list it is in (main, an extra, a dev group); everything else is transitive and takes the scope
 * of the first root list that reaches it. `[tool.uv.sources]` index pins come from the pyproject.toml beside it.
 */
export async function parseUvLock(input: ManifestInput): Promise<PinnedManifest> {
  const { path } = input;
  const root = parseToml(input.text, path);
  const lines = new TomlLines(input.text);
  const headers = lines.headerLines('package');
  const rootLists: [string, string[]][] = [];
  const lockPins: IndexPin[] = [];
  const entries: (LockEntry & { normalized: string })[] = [];
  tablesAt(root, 'package', { path, line: headers[0] }).forEach((package_, position) => {
    const header = headers[position];
    const line = lines.keyLine(header, 'name') ?? header;
    const where = { path, line };
    const name = stringAt(package_, 'name', where);
    if (name === undefined) throw shapeError(where, '[[package]] needs a name');
    const source = tableAt(package_, 'source', where);
    const main = dependencyNames(tablesAt(package_, 'dependencies', where), where);
    const optional = groupedNames(tableAt(package_, 'optional-dependencies', where), where);
    if (isProjectSource(source)) {
      rootLists.push(
        ['main', main],
        ...optional,
        ...groupedNames(tableAt(package_, 'dev-dependencies', where), where),
      );
      lockPins.push(...requiresDistPins(package_, where));
      return;
    }
    entries.push({
      name,
      normalized: normalizeName(name),
      version: stringAt(package_, 'version', where),
      ...sourceOf(source, where),
      hashes: hashesOf(package_, where),
      dependencies: [...main, ...optional.flatMap(([, names]) => names)],
      line,
    });
  });
  const byName = new Map(entries.map((entry) => [entry.normalized, entry]));
  const scopes = new Map<string, string>();
  const direct = new Set(rootLists.flatMap(([, names]) => names));
  for (const [scope, names] of rootLists) {
    const queue = [...names];
    for (let position = 0, next = queue[0]; next !== undefined; next = queue[++position]) {
      if (scopes.has(next)) continue;
      scopes.set(next, scope);
      queue.push(...(byName.get(next)?.dependencies ?? []));
    }
  }
  const project = await readProjectBeside(input, 'pyproject.toml', parsePyproject);
  // The pyproject.toml says which list declares a direct name; the lock's root lists cover the rest.
  const declared = new Map(project.scopes);
  for (const name of direct) if (!declared.has(name)) declared.set(name, scopes.get(name) ?? 'main');
  const components = lockComponents(
    path,
    entries.map((entry) => ({
      ...entry,
      scope: declared.get(entry.normalized) ?? scopes.get(entry.normalized),
    })),
    { ...project, scopes: declared },
  );
  return {
    path,
    format: 'uv-lock',
    components,
    indexes: [],
    indexPins: [...project.indexPins, ...lockPins],
    lock: true,
  };
}
