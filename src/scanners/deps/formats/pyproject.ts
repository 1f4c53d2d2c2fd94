import type { Component, IndexSetting } from '../model.js';
import { normalizeName, parseRequirement, RequirementError } from '../pep508/parse.js';
import { componentOf, type IndexPin, type PinnedManifest } from './declared.js';
import type { ManifestInput } from './input.js';
import { poetryComponents } from './poetry-dependency.js';
import {
  arrayAt,
  booleanAt,
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

const PYPI_URL = 'https://pypi.org/simple';

/** Reads one file's declarations, with the line locator and the path for errors. */
class Pyproject {
  readonly lines: TomlLines;
  readonly components: Component[] = [];
  readonly indexes: IndexSetting[] = [];
  readonly indexPins: IndexPin[] = [];

  constructor(
    readonly path: string,
    text: string,
  ) {
    this.lines = new TomlLines(text);
  }

  where(line: number | undefined): Where {
    return { path: this.path, line };
  }

  /** The line of a header, the first one when repeated. */
  header(key: string): number | undefined {
    return this.lines.headerLines(key)[0];
  }

  /** A PEP 508 string from an array under `key` of the table headed `tableKey`. */
  requirement(text: string, scope: string, keyLine: number | undefined): void {
    const line = this.lines.textLine(keyLine, text) ?? keyLine;
    let requirement;
    try {
      requirement = parseRequirement(text);
    } catch (error) {
      if (error instanceof RequirementError)
        throw shapeError(this.where(line), `${JSON.stringify(text)}: ${error.message}`);
      throw error;
    }
    this.components.push(componentOf(requirement, this.path, line, scope));
  }

  requirements(items: readonly unknown[], scope: string, keyLine: number | undefined): void {
    for (const item of items) {
      if (typeof item !== 'string')
        throw shapeError(this.where(keyLine), `requirements of "${scope}" must be strings`);
      this.requirement(item, scope, keyLine);
    }
  }
}

/** PEP 621 `[project]`: `dependencies` (scope `main`) and `optional-dependencies` (scope = the extra). */
function readProject(file: Pyproject, root: Table): void {
  const where = file.where(file.header('project'));
  const project = tableAt(root, 'project', where);
  if (project === undefined) return;
  const projectLine = file.header('project');
  file.requirements(
    arrayAt(project, 'dependencies', where) ?? [],
    'main',
    file.lines.keyLine(projectLine, 'dependencies'),
  );
  const optional = tableAt(project, 'optional-dependencies', where);
  const optionalLine = file.header('project.optional-dependencies');
  for (const [extra, items] of Object.entries(optional ?? {})) {
    const line = file.lines.keyLine(optionalLine, extra) ?? optionalLine;
    if (!Array.isArray(items))
      throw shapeError(file.where(line), `optional-dependencies.${extra} must be an array`);
    file.requirements(items, normalizeName(extra), line);
  }
}

/**
 * PEP 735 `[dependency-groups]`. Each requirement is reported once, under the group that lists it; an
 * `{include-group = "…"}` must name a group of the file and must not form a cycle, as the PEP requires.
 */
function readDependencyGroups(file: Pyproject, root: Table): void {
  const groupsLine = file.header('dependency-groups');
  const groups = tableAt(root, 'dependency-groups', file.where(groupsLine));
  if (groups === undefined) return;
  const byName = new Map(Object.entries(groups).map(([name, items]) => [normalizeName(name), items]));
  const includes = new Map<string, string[]>();
  for (const [name, items] of Object.entries(groups)) {
    const line = file.lines.keyLine(groupsLine, name) ?? groupsLine;
    if (!Array.isArray(items))
      throw shapeError(file.where(line), `dependency group "${name}" must be an array`);
    const included: string[] = [];
    for (const item of items) {
      if (typeof item === 'string') file.requirement(item, normalizeName(name), line);
      else if (isTable(item) && typeof item['include-group'] === 'string') {
        const target = normalizeName(item['include-group']);
        if (!byName.has(target))
          throw shapeError(
            file.where(line),
            `dependency group "${name}" includes unknown group "${item['include-group']}"`,
          );
        included.push(target);
      } else
        throw shapeError(
          file.where(line),
          `dependency group "${name}" has an entry that is neither a string nor {include-group}`,
        );
    }
    includes.set(normalizeName(name), included);
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    if (visiting.has(name))
      throw shapeError(
        file.where(groupsLine),
        `dependency group "${name}" includes itself through include-group`,
      );
    visiting.add(name);
    for (const target of includes.get(name) ?? []) visit(target);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of includes.keys()) visit(name);
}

const POETRY_PRIORITY: Readonly<Record<string, IndexSetting['kind']>> = {
  default: 'primary',
  primary: 'primary',
  secondary: 'extra',
  supplemental: 'extra',
  explicit: 'explicit',
};

/** `[[tool.poetry.source]]`: name, url, priority; the legacy `default`/`secondary` booleans. Returns URLs by name. */
function readPoetrySources(file: Pyproject, poetry: Table): Map<string, string> {
  const lines = file.lines.headerLines('tool.poetry.source');
  const urls = new Map<string, string>();
  tablesAt(poetry, 'source', file.where(lines[0])).forEach((source, position) => {
    const where = file.where(lines[position]);
    const name = stringAt(source, 'name', where);
    if (name === undefined) throw shapeError(where, '[[tool.poetry.source]] needs a name');
    // Poetry lets the `pypi` source be declared by name alone, to change its priority.
    const url = stringAt(source, 'url', where) ?? (name.toLowerCase() === 'pypi' ? PYPI_URL : undefined);
    if (url === undefined) throw shapeError(where, `[[tool.poetry.source]] "${name}" needs a url`);
    const priority = stringAt(source, 'priority', where);
    let kind = priority === undefined ? 'primary' : POETRY_PRIORITY[priority];
    if (kind === undefined) throw shapeError(where, `unknown priority "${priority}" of source "${name}"`);
    if (priority === undefined && booleanAt(source, 'secondary', where) === true) kind = 'extra';
    urls.set(name, url);
    file.indexes.push({
      url,
      kind,
      name,
      origin: { path: file.path, ...(where.line !== undefined && { line: where.line }) },
    });
  });
  return urls;
}

/**
 * Poetry's dependency tables; `python` is the interpreter constraint, not a package. Poetry 2 reads `[project]`
 * first: an entry of `[tool.poetry.dependencies]` for a name `[project]` already declares only adds details (its
 * source), so it gives an index pin but no second component.
 */
function readPoetry(file: Pyproject, root: Table): void {
  const tool = tableAt(root, 'tool', file.where(undefined));
  const poetry =
    tool === undefined ? undefined : tableAt(tool, 'poetry', file.where(file.header('tool.poetry')));
  if (poetry === undefined) return;
  const sources = readPoetrySources(file, poetry);
  const extrasOf = new Map<string, string>();
  for (const [extra, names] of Object.entries(
    tableAt(poetry, 'extras', file.where(file.header('tool.poetry.extras'))) ?? {},
  ))
    if (Array.isArray(names))
      for (const name of names)
        if (typeof name === 'string') extrasOf.set(normalizeName(name), normalizeName(extra));
  const declared = new Set(file.components.map((component) => component.normalizedName));
  const read = (table: Table | undefined, header: string, scope: string): void => {
    const tableLine = file.header(header);
    for (const [name, value] of Object.entries(table ?? {})) {
      if (name.toLowerCase() === 'python') continue;
      const line = file.lines.keyLine(tableLine, name) ?? tableLine;
      const optional = isTable(value) && value['optional'] === true;
      const entryScope =
        optional && scope === 'main' ? (extrasOf.get(normalizeName(name)) ?? 'optional') : scope;
      const { components, source } = poetryComponents({
        name,
        value,
        scope: entryScope,
        where: file.where(line),
        sources,
      });
      if (scope !== 'main' || !declared.has(normalizeName(name))) file.components.push(...components);
      if (source !== undefined) {
        const url = sources.get(source);
        // The [project] component of a Poetry 2 entry takes the index its source pins it to.
        file.components.forEach((component, position) => {
          if (component.normalizedName === normalizeName(name) && component.index === undefined)
            file.components[position] = { ...component, index: url ?? source };
        });
        file.indexPins.push({
          packageName: normalizeName(name),
          indexName: source,
          ...(url !== undefined && { url }),
          origin: { path: file.path, ...(line !== undefined && { line }) },
        });
      }
    }
  };
  read(
    tableAt(poetry, 'dependencies', file.where(file.header('tool.poetry'))),
    'tool.poetry.dependencies',
    'main',
  );
  read(
    tableAt(poetry, 'dev-dependencies', file.where(file.header('tool.poetry'))),
    'tool.poetry.dev-dependencies',
    'dev',
  );
  for (const [group, body] of Object.entries(
    tableAt(poetry, 'group', file.where(file.header('tool.poetry'))) ?? {},
  )) {
    const header = `tool.poetry.group.${group}.dependencies`;
    if (!isTable(body))
      throw shapeError(
        file.where(file.header(`tool.poetry.group.${group}`)),
        `group "${group}" must be a table`,
      );
    read(tableAt(body, 'dependencies', file.where(file.header(header))), header, group);
  }
}

/** `[[tool.uv.index]]` (name, url, default, explicit) and the index pins of `[tool.uv.sources]`. */
function readUv(file: Pyproject, root: Table): void {
  const tool = tableAt(root, 'tool', file.where(undefined));
  const uv = tool === undefined ? undefined : tableAt(tool, 'uv', file.where(file.header('tool.uv')));
  if (uv === undefined) return;
  const lines = file.lines.headerLines('tool.uv.index');
  const urls = new Map<string, string>();
  tablesAt(uv, 'index', file.where(lines[0])).forEach((index, position) => {
    const where = file.where(lines[position]);
    const url = stringAt(index, 'url', where);
    if (url === undefined) throw shapeError(where, '[[tool.uv.index]] needs a url');
    const name = stringAt(index, 'name', where);
    if (name !== undefined) urls.set(name, url);
    const kind =
      booleanAt(index, 'explicit', where) === true
        ? 'explicit'
        : booleanAt(index, 'default', where) === true
          ? 'primary'
          : 'extra';
    file.indexes.push({
      url,
      kind,
      ...(name !== undefined && { name }),
      origin: { path: file.path, ...(where.line !== undefined && { line: where.line }) },
    });
  });
  // The pip-style settings that `[[tool.uv.index]]` superseded, still common in projects.
  const uvLine = file.header('tool.uv');
  const legacy: [string | undefined, IndexSetting['kind'], string][] = [
    [stringAt(uv, 'index-url', file.where(uvLine)), 'primary', 'index-url'],
    ...stringsAt(uv, 'extra-index-url', file.where(uvLine)).map(
      (url): [string | undefined, IndexSetting['kind'], string] => [url, 'extra', 'extra-index-url'],
    ),
  ];
  for (const [url, kind, key] of legacy) {
    if (url === undefined) continue;
    const line = file.lines.keyLine(uvLine, key) ?? uvLine;
    file.indexes.push({ url, kind, origin: { path: file.path, ...(line !== undefined && { line }) } });
  }
  const sourcesLine = file.header('tool.uv.sources');
  for (const [name, value] of Object.entries(tableAt(uv, 'sources', file.where(sourcesLine)) ?? {})) {
    const line = file.lines.keyLine(sourcesLine, name) ?? sourcesLine;
    for (const entry of Array.isArray(value) ? value : [value]) {
      if (!isTable(entry)) throw shapeError(file.where(line), `[tool.uv.sources] "${name}" must be a table`);
      const index = stringAt(entry, 'index', file.where(line));
      if (index === undefined) continue;
      const url = urls.get(index);
      file.indexPins.push({
        packageName: normalizeName(name),
        indexName: index,
        ...(url !== undefined && { url }),
        origin: { path: file.path, ...(line !== undefined && { line }) },
      });
    }
  }
}

/**
 * `[[tool.pdm.source]]`: pdm looks in every index for the best version unless told to respect their order, so
 * each is an extra index; one named `pypi` replaces PyPI itself, and `type = "find_links"` is a link page.
 */
function readPdm(file: Pyproject, root: Table): void {
  const tool = tableAt(root, 'tool', file.where(undefined));
  const pdm = tool === undefined ? undefined : tableAt(tool, 'pdm', file.where(file.header('tool.pdm')));
  if (pdm === undefined) return;
  const lines = file.lines.headerLines('tool.pdm.source');
  tablesAt(pdm, 'source', file.where(lines[0])).forEach((source, position) => {
    const where = file.where(lines[position]);
    const url = stringAt(source, 'url', where);
    const name = stringAt(source, 'name', where);
    if (url === undefined || name === undefined)
      throw shapeError(where, '[[tool.pdm.source]] needs a name and a url');
    const kind =
      stringAt(source, 'type', where) === 'find_links' ? 'find-links' : name === 'pypi' ? 'primary' : 'extra';
    file.indexes.push({
      url,
      kind,
      name,
      origin: { path: file.path, ...(where.line !== undefined && { line: where.line }) },
    });
  });
}

/**
 * `pyproject.toml`: PEP 621 and PEP 735 dependencies, Poetry's tables (converted to PEP 440), and the indexes
 * Poetry, uv and pdm configure, with the packages pinned to them. Every component is direct.
 */
export function parsePyprojectText(path: string, text: string): PinnedManifest {
  const root = parseToml(text, path);
  const file = new Pyproject(path, text);
  readProject(file, root);
  readDependencyGroups(file, root);
  readPoetry(file, root);
  readUv(file, root);
  readPdm(file, root);
  return {
    path,
    format: 'pyproject',
    components: file.components,
    indexes: file.indexes,
    indexPins: file.indexPins,
    lock: false,
  };
}

export function parsePyproject(input: ManifestInput): Promise<PinnedManifest> {
  return Promise.resolve(parsePyprojectText(input.path, input.text));
}
