import type { Hash, PinKind } from '../model.js';
import { normalizeName } from '../pep508/parse.js';
import {
  lockComponents,
  parseHash,
  readProjectBeside,
  type LockEntry,
  type PinnedManifest,
} from './declared.js';
import type { ManifestInput } from './input.js';
import { parsePyproject } from './pyproject.js';
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

/** `files = [{file, hash}]` (Poetry ≥ 1.5, and each list of the old `[metadata.files]`). */
function fileHashes(files: readonly Table[], where: Where): Hash[] {
  return files.flatMap((file) => {
    const hash = stringAt(file, 'hash', where);
    return hash === undefined ? [] : [parseHash(hash)];
  });
}

/** `[package.source]`: a legacy (index) source gives the index URL; git, directory, file and url sources a reference. */
function source(table: Table | undefined, where: Where): Pick<LockEntry, 'index' | 'reference'> {
  if (table === undefined) return {};
  const type = stringAt(table, 'type', where);
  const url = stringAt(table, 'url', where);
  if (url === undefined) throw shapeError(where, '[package.source] needs a url');
  if (type === 'legacy') return { index: url };
  if (type === 'git') {
    const ref = stringAt(table, 'resolved_reference', where) ?? stringAt(table, 'reference', where);
    return { reference: { pin: 'vcs', url: `git+${url}${ref === undefined ? '' : `@${ref}`}` } };
  }
  const pins: Readonly<Record<string, PinKind>> = { directory: 'path', file: 'path', url: 'url' };
  const pin = type === undefined ? undefined : pins[type];
  if (pin === undefined) throw shapeError(where, `unknown [package.source] type ${JSON.stringify(type)}`);
  return { reference: { pin, url } };
}

/** The new layout's `markers`: one string, or a table of markers by group (any of them applies). */
function markersOf(value: unknown, where: Where): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  if (!isTable(value)) throw shapeError(where, '"markers" must be a string or a table');
  const texts = Object.values(value).filter((text): text is string => typeof text === 'string');
  return texts.length === 1 ? texts[0] : texts.map((text) => `(${text})`).join(' or ') || undefined;
}

/**
 * `poetry.lock`, the old layout (`category`, hashes in `[metadata.files]`) and the new one (`files = [...]`,
 * `groups`, `markers`). Every registry entry is an exact pin. Direct dependencies and their scope come from the
 * `pyproject.toml` beside the lock; without one every entry is reported as transitive.
 */
export async function parsePoetryLock(input: ManifestInput): Promise<PinnedManifest> {
  const root = parseToml(input.text, input.path);
  const lines = new TomlLines(input.text);
  const headers = lines.headerLines('package');
  const metadataLine = lines.headerLines('metadata')[0];
  const metadata = tableAt(root, 'metadata', { path: input.path, line: metadataLine });
  const oldFiles =
    metadata === undefined
      ? undefined
      : tableAt(metadata, 'files', { path: input.path, line: lines.headerLines('metadata.files')[0] });
  const oldHashes = new Map<string, Hash[]>();
  // The table's own line: searching each name in a table of every file of every package would be quadratic.
  const filesWhere = { path: input.path, line: lines.headerLines('metadata.files')[0] };
  for (const [name, files] of Object.entries(oldFiles ?? {})) {
    if (!Array.isArray(files) || !files.every(isTable))
      throw shapeError(filesWhere, `[metadata.files] "${name}" must be an array of tables`);
    oldHashes.set(normalizeName(name), fileHashes(files, filesWhere));
  }
  const entries = tablesAt(root, 'package', { path: input.path, line: headers[0] }).map(
    (table, position): LockEntry => {
      const header = headers[position];
      const line = lines.keyLine(header, 'name') ?? header;
      const where = { path: input.path, line };
      const name = stringAt(table, 'name', where);
      const version = stringAt(table, 'version', where);
      if (name === undefined || version === undefined)
        throw shapeError(where, '[[package]] needs a name and a version');
      const groups = stringsAt(table, 'groups', where);
      const files = tablesAt(table, 'files', where);
      return {
        name,
        version,
        ...source(tableAt(table, 'source', where), where),
        hashes: files.length > 0 ? fileHashes(files, where) : (oldHashes.get(normalizeName(name)) ?? []),
        markerText: markersOf(table['markers'], where),
        dependencies: Object.keys(tableAt(table, 'dependencies', where) ?? {}),
        scope: stringAt(table, 'category', where) ?? groups[0],
        line,
      };
    },
  );
  const project = await readProjectBeside(input, 'pyproject.toml', parsePyproject);
  return {
    path: input.path,
    format: 'poetry-lock',
    components: lockComponents(input.path, entries, project),
    indexes: [],
    indexPins: project.indexPins,
    lock: true,
  };
}
