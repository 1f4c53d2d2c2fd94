import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { parseRecord, recordMatches, type RecordEntry } from '../deps/formats/record.js';
import { normalizeName } from '../deps/pep508/parse.js';

/** Who installed a file in a site folder, and whether it is still the file they installed. */
export interface FileOwner {
  /** `name==version` as the metadata folder or the system package names it. */
  readonly display: string;
  readonly normalizedName: string;
  /** Where the ownership comes from: a `*.dist-info/RECORD`, the dpkg database or the venv's `pyvenv.cfg`. */
  readonly source: 'RECORD' | 'dpkg' | 'pyvenv.cfg';
  /** Whether the content matches the recorded hash; undefined when no hash is recorded. */
  readonly intact: boolean | undefined;
}

interface RecordOwner {
  readonly name: string;
  readonly version: string;
  readonly entry: RecordEntry;
}

/**
 * The top-level files each `*.dist-info/RECORD` of a site folder lists, by file name. Many `.pth` files share one
 * site folder, so the index is built once per folder and worker.
 */
const recordIndexes = new Map<string, Promise<Map<string, RecordOwner[]>>>();

async function buildRecordIndex(directory: string): Promise<Map<string, RecordOwner[]>> {
  const index = new Map<string, RecordOwner[]>();
  const entries = await readdir(directory, { withFileTypes: true });
  for (const folder of entries) {
    const match = /^(.+)-([^-]+)\.dist-info$/.exec(folder.name);
    if (match === null || !folder.isDirectory()) continue;
    const recordPath = join(directory, folder.name, 'RECORD');
    if (!existsSync(recordPath)) continue;
    const [, name = '', version = ''] = match;
    for (const entry of parseRecord(await readFile(recordPath, 'utf8'), recordPath)) {
      const file = entry.path.replace(/^\.\//, '');
      if (file.includes('/') || file.includes('\\')) continue;
      const owners = index.get(file) ?? [];
      owners.push({ name, version, entry });
      index.set(file, owners);
    }
  }
  return index;
}

function recordIndex(directory: string): Promise<Map<string, RecordOwner[]>> {
  let index = recordIndexes.get(directory);
  if (index === undefined) {
    index = buildRecordIndex(directory);
    recordIndexes.set(directory, index);
  }
  return index;
}

/** The dpkg database a site folder belongs to: `<root>/var/lib/dpkg/info` for a folder under `<root>/usr/`. */
function dpkgRootOf(directory: string): string | undefined {
  for (let root = dirname(directory); ; root = dirname(root)) {
    const inside = relative(root, directory).split(sep);
    if (inside[0] === 'usr' && existsSync(join(root, 'var/lib/dpkg/info'))) return root;
    if (dirname(root) === root) return undefined;
  }
}

/** Installed `.pth` paths (`/usr/…`) to the dpkg package list file that names them, once per root and worker. */
const dpkgIndexes = new Map<string, Promise<Map<string, string>>>();

async function buildDpkgIndex(root: string): Promise<Map<string, string>> {
  const info = join(root, 'var/lib/dpkg/info');
  const index = new Map<string, string>();
  for (const name of await readdir(info)) {
    if (!name.endsWith('.list')) continue;
    const text = await readFile(join(info, name), 'utf8');
    for (const line of text.split('\n'))
      if (line.endsWith('.pth')) index.set(line, name.slice(0, -'.list'.length));
  }
  return index;
}

async function dpkgOwner(
  root: string,
  absolutePath: string,
  content: Uint8Array,
): Promise<FileOwner | undefined> {
  let index = dpkgIndexes.get(root);
  if (index === undefined) {
    index = buildDpkgIndex(root);
    dpkgIndexes.set(root, index);
  }
  const installed = `/${relative(root, absolutePath).split(sep).join('/')}`;
  const packageName = (await index).get(installed);
  if (packageName === undefined) return undefined;
  const sums = join(root, 'var/lib/dpkg/info', `${packageName}.md5sums`);
  let intact: boolean | undefined;
  if (existsSync(sums)) {
    const row = (await readFile(sums, 'utf8'))
      .split('\n')
      .find((line) => line.endsWith(`  ${installed.slice(1)}`));
    if (row !== undefined) intact = row.slice(0, 32) === createHash('md5').update(content).digest('hex');
  }
  const bare = packageName.replace(/:.*$/, '');
  return { display: `${bare} (dpkg)`, normalizedName: normalizeName(bare), source: 'dpkg', intact };
}

/**
 * The distributions that own a `.pth` file: every RECORD in its folder that lists it, or else the system package
 * manager's database when the folder is a dpkg-managed one (Debian strips RECORD from the packages it ships).
 */
export async function ownersOf(absolutePath: string, content: Uint8Array): Promise<FileOwner[]> {
  const directory = dirname(absolutePath);
  const name = absolutePath.slice(directory.length + 1);
  const owners = (await recordIndex(directory)).get(name) ?? [];
  if (owners.length > 0)
    return owners.map((owner) => ({
      display: `${owner.name}==${owner.version}`,
      normalizedName: normalizeName(owner.name),
      source: 'RECORD',
      intact: recordMatches(owner.entry, content),
    }));
  if (name === '_virtualenv.pth') {
    const creator = await venvCreator(directory);
    if (creator !== undefined) return [creator];
  }
  const root = dpkgRootOf(directory);
  const system = root === undefined ? undefined : await dpkgOwner(root, absolutePath, content);
  return system === undefined ? [] : [system];
}

/**
 * virtualenv and uv write `_virtualenv.pth` when they create an environment, outside any wheel, and record
 * themselves in its `pyvenv.cfg` (`virtualenv = 20.26.6`, `uv = 0.5.0`): that is the file's owner. The site folder
 * is `lib/pythonX.Y/site-packages` (POSIX) or `Lib/site-packages` (Windows) under the environment's root.
 */
async function venvCreator(directory: string): Promise<FileOwner | undefined> {
  for (const root of [dirname(dirname(dirname(directory))), dirname(dirname(directory))]) {
    const config = join(root, 'pyvenv.cfg');
    if (!existsSync(config)) continue;
    for (const line of (await readFile(config, 'utf8')).split(/\r?\n/)) {
      const match = /^\s*(virtualenv|uv)\s*=\s*(\S+)\s*$/.exec(line);
      if (match === null) continue;
      const [, tool = '', version = ''] = match;
      // uv writes virtualenv's file under virtualenv's name; both are the template's rightful owner.
      return {
        display: `${tool}==${version} (pyvenv.cfg)`,
        normalizedName: 'virtualenv',
        source: 'pyvenv.cfg',
        intact: undefined,
      };
    }
  }
  return undefined;
}

/** A Debian package ships a distribution under `python3-<name>`: its owner name for template checks. */
export function ownsAs(owner: FileOwner, distribution: string): boolean {
  if (owner.normalizedName === distribution) return true;
  return owner.source === 'dpkg' && owner.normalizedName === `python3-${distribution}`;
}
