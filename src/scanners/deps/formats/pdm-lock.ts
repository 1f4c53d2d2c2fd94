import { parseRequirement, RequirementError } from '../pep508/parse.js';
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

/** pdm's `default` group is what other tools call `main`. */
function scopeOf(groups: readonly string[]): string | undefined {
  const [first] = groups;
  return first === 'default' ? 'main' : first;
}

/** A git, url or path package: `git` + `revision`, `url`, `path`. */
function referenceOf(package_: Table, where: Where): LockEntry['reference'] {
  const git = stringAt(package_, 'git', where);
  if (git !== undefined) {
    const revision = stringAt(package_, 'revision', where) ?? stringAt(package_, 'ref', where);
    return { pin: 'vcs', url: `git+${git}${revision === undefined ? '' : `@${revision}`}` };
  }
  const url = stringAt(package_, 'url', where);
  if (url !== undefined) return { pin: 'url', url };
  const path = stringAt(package_, 'path', where);
  if (path !== undefined) return { pin: 'path', url: path };
  return undefined;
}

function dependencyName(text: string, where: Where): string {
  try {
    return parseRequirement(text).normalizedName;
  } catch (error) {
    if (error instanceof RequirementError)
      throw shapeError(where, `dependency ${JSON.stringify(text)}: ${error.message}`);
    throw error;
  }
}

/**
 * `pdm.lock`: `[[package]]` entries with name, version, dependencies as PEP 508 strings, `files` hashes and the
 * `groups` that need them (`[metadata] groups` lists them all). pdm writes a package once per extra set
 * (`extras = [...]`); those rows repeat the package and are folded into its first row. Direct dependencies come
 * from the pyproject.toml beside the lock.
 */
export async function parsePdmLock(input: ManifestInput): Promise<PinnedManifest> {
  const { path } = input;
  const root = parseToml(input.text, path);
  const lines = new TomlLines(input.text);
  const headers = lines.headerLines('package');
  const metadataLine = lines.headerLines('metadata')[0];
  const metadata = tableAt(root, 'metadata', { path, line: metadataLine });
  if (metadata === undefined) throw shapeError({ path }, 'pdm.lock has no [metadata] table');
  stringsAt(metadata, 'groups', { path, line: lines.keyLine(metadataLine, 'groups') });
  const entries = new Map<string, LockEntry>();
  tablesAt(root, 'package', { path, line: headers[0] }).forEach((package_, position) => {
    const header = headers[position];
    const line = lines.keyLine(header, 'name') ?? header;
    const where = { path, line };
    const name = stringAt(package_, 'name', where);
    const version = stringAt(package_, 'version', where);
    if (name === undefined || version === undefined)
      throw shapeError(where, '[[package]] needs a name and a version');
    const dependencies = stringsAt(package_, 'dependencies', where).map((text) =>
      dependencyName(text, where),
    );
    const key = `${name.toLowerCase()}@${version}`;
    const seen = entries.get(key);
    if (seen !== undefined) {
      entries.set(key, { ...seen, dependencies: [...seen.dependencies, ...dependencies] });
      return;
    }
    entries.set(key, {
      name,
      version,
      reference: referenceOf(package_, where),
      hashes: tablesAt(package_, 'files', where).flatMap((file) => {
        const hash = stringAt(file, 'hash', where);
        return hash === undefined ? [] : [parseHash(hash)];
      }),
      markerText: stringAt(package_, 'marker', where),
      dependencies,
      scope: scopeOf(stringsAt(package_, 'groups', where)),
      line,
    });
  });
  const project = await readProjectBeside(input, 'pyproject.toml', parsePyproject);
  return {
    path,
    format: 'pdm-lock',
    components: lockComponents(path, [...entries.values()], project),
    indexes: [],
    indexPins: project.indexPins,
    lock: true,
  };
}
