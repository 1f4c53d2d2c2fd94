import type { Hash } from '../model.js';
import { lockComponents, readProjectBeside, type LockEntry, type PinnedManifest } from './declared.js';
import type { ManifestInput } from './input.js';
import { parsePyproject } from './pyproject.js';
import {
  parseToml,
  shapeError,
  stringAt,
  tableAt,
  tablesAt,
  TomlLines,
  type Table,
  type Where,
} from './toml.js';

/** PEP 751 `hashes = { sha256 = "…" }` of an sdist, wheel or archive. */
function hashesOf(artifact: Table | undefined, where: Where): Hash[] {
  if (artifact === undefined) return [];
  return Object.entries(tableAt(artifact, 'hashes', where) ?? {}).map(([algorithm, digest]) => {
    if (typeof digest !== 'string') throw shapeError(where, `hash "${algorithm}" must be a string`);
    return { algorithm, digest };
  });
}

/** `[packages.vcs]` (url or path, `commit-id`), `[packages.archive]` (url or path), `[packages.directory]` (path). */
function referenceOf(package_: Table, where: Where): LockEntry['reference'] {
  const vcs = tableAt(package_, 'vcs', where);
  if (vcs !== undefined) {
    const type = stringAt(vcs, 'type', where) ?? 'git';
    const location = stringAt(vcs, 'url', where) ?? stringAt(vcs, 'path', where);
    if (location === undefined) throw shapeError(where, '[packages.vcs] needs a url or a path');
    const commit = stringAt(vcs, 'commit-id', where);
    return { pin: 'vcs', url: `${type}+${location}${commit === undefined ? '' : `@${commit}`}` };
  }
  const archive = tableAt(package_, 'archive', where);
  if (archive !== undefined) {
    const url = stringAt(archive, 'url', where);
    if (url !== undefined) return { pin: 'url', url };
    const path = stringAt(archive, 'path', where);
    if (path === undefined) throw shapeError(where, '[packages.archive] needs a url or a path');
    return { pin: 'path', url: path };
  }
  const directory = tableAt(package_, 'directory', where);
  if (directory === undefined) return undefined;
  const path = stringAt(directory, 'path', where);
  if (path === undefined) throw shapeError(where, '[packages.directory] needs a path');
  return { pin: 'path', url: path };
}

/**
 * `pylock.toml` and `pylock.<name>.toml` (PEP 751): `[[packages]]` with name, version, index, marker, one of
 * vcs/archive/directory or sdist and wheels (with their hashes), and `dependencies`. The format does not mark
 * direct dependencies; they come from the pyproject.toml beside the lock when there is one.
 */
export async function parsePylock(input: ManifestInput): Promise<PinnedManifest> {
  const { path } = input;
  const root = parseToml(input.text, path);
  const lines = new TomlLines(input.text);
  const lockVersion = stringAt(root, 'lock-version', { path, line: lines.keyLine(0, 'lock-version') });
  if (lockVersion === undefined) throw shapeError({ path }, 'pylock.toml has no lock-version');
  if (!/^1(?:\.\d+)?$/.test(lockVersion))
    throw shapeError(
      { path, line: lines.keyLine(0, 'lock-version') },
      `unsupported lock-version "${lockVersion}"`,
    );
  const headers = lines.headerLines('packages');
  const entries = tablesAt(root, 'packages', { path, line: headers[0] }).map(
    (package_, position): LockEntry => {
      const header = headers[position];
      const line = lines.keyLine(header, 'name') ?? header;
      const where = { path, line };
      const name = stringAt(package_, 'name', where);
      if (name === undefined) throw shapeError(where, '[[packages]] needs a name');
      const artifacts = [
        tableAt(package_, 'sdist', where),
        tableAt(package_, 'archive', where),
        ...tablesAt(package_, 'wheels', where),
      ];
      return {
        name,
        version: stringAt(package_, 'version', where),
        reference: referenceOf(package_, where),
        index: stringAt(package_, 'index', where),
        hashes: artifacts.flatMap((artifact) => hashesOf(artifact, where)),
        markerText: stringAt(package_, 'marker', where),
        dependencies: tablesAt(package_, 'dependencies', where).flatMap((dependency) => {
          const dependencyName = stringAt(dependency, 'name', where);
          return dependencyName === undefined ? [] : [dependencyName];
        }),
        line,
      };
    },
  );
  const project = await readProjectBeside(input, 'pyproject.toml', parsePyproject);
  return {
    path,
    format: 'pylock',
    components: lockComponents(path, entries, project),
    indexes: [],
    indexPins: project.indexPins,
    lock: true,
  };
}
