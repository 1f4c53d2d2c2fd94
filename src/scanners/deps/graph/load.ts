import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { messageOf, MlsecError, UsageError } from '../../../core/errors.js';
import { manifestFormatOf, PARSERS } from '../formats/index.js';
import type { InstalledDistribution } from '../formats/installed.js';
import { readInstalledDistribution } from '../formats/installed.js';
import { readManifestInput } from '../formats/input.js';
import type { KnownEnvironment } from './build.js';
import { environmentGraph, manifestGraph } from './build.js';
import type { DependencyGraph } from './model.js';

/** Folders deeper than this below the given path are not searched: `venv/lib/python3.12/site-packages` is 3. */
const MAX_DEPTH = 6;
/** A bound on the folders visited, so that pointing at `/` ends quickly with what was found. */
const MAX_FOLDERS = 20_000;
const SKIPPED = new Set(['.git', 'node_modules', '__pycache__']);

/**
 * The dependency graph of PATH: a lock or manifest file, read by its registered parser; or a folder (a venv, a
 * conda env, a site-packages folder) holding installed distributions, each read statically from its metadata.
 */
export async function loadGraph(path: string): Promise<DependencyGraph> {
  const info = await stat(path).catch((error: unknown) => {
    throw new UsageError('USAGE_PATH_NOT_FOUND', `cannot read ${path}`, { cause: error });
  });
  const shown = path.split(sep).join('/');
  if (info.isFile()) {
    const format = manifestFormatOf(shown);
    const parser = format === undefined ? undefined : PARSERS[format];
    if (parser === undefined)
      throw new UsageError('USAGE_NOT_A_FILE', `${path} is not a lock or dependency file mlsec reads`);
    return manifestGraph(await parser(await readManifestInput(resolve(path), shown)));
  }
  const found = await findMetadata(resolve(path));
  if (found.length === 0)
    throw new UsageError(
      'USAGE_PATH_NOT_FOUND',
      `no installed distributions (*.dist-info, *.egg-info) under ${path}; for a project, give its lock file`,
    );
  const distributions: InstalledDistribution[] = [];
  const errors: { path: string; message: string }[] = [];
  for (const absolute of found) {
    const reported = join(path, relative(resolve(path), absolute))
      .split(sep)
      .join('/');
    try {
      distributions.push(await readInstalledDistribution(await readManifestInput(absolute, reported)));
    } catch (error) {
      // One unreadable distribution is reported, and the rest of the environment is still shown.
      // Parse and limit errors, and file-system errors such as a dist-info folder without METADATA.
      if (!(error instanceof MlsecError) && !(error instanceof Error && 'code' in error)) throw error;
      errors.push({ path: reported, message: messageOf(error) });
    }
  }
  return environmentGraph(shown, distributions, {
    errors,
    known: await knownEnvironment(resolve(path), found),
  });
}

/**
 * The metadata files of the installed distributions under `root`: `*.dist-info/METADATA`,
 * `*.egg-info/PKG-INFO`, and single-file `*.egg-info`. A folder that holds distributions is a site-packages
 * folder, whose package folders are not searched further. Symbolic links are not followed (venvs link `lib64`).
 */
export async function findMetadata(root: string): Promise<string[]> {
  // The path of one distribution's own metadata folder.
  if (root.endsWith('.dist-info')) return [join(root, 'METADATA')];
  if (root.endsWith('.egg-info')) return [join(root, 'PKG-INFO')];
  const found: string[] = [];
  let visited = 0;
  let level: string[] = [root];
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const folder of level) {
      if (++visited > MAX_FOLDERS) return found.sort();
      let entries: Dirent[];
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch {
        continue;
      }
      const here = entries.flatMap((entry) => {
        if (entry.isDirectory() && entry.name.endsWith('.dist-info'))
          return [join(folder, entry.name, 'METADATA')];
        if (entry.isDirectory() && entry.name.endsWith('.egg-info'))
          return [join(folder, entry.name, 'PKG-INFO')];
        if (entry.isFile() && entry.name.endsWith('.egg-info')) return [join(folder, entry.name)];
        return [];
      });
      found.push(...here);
      if (here.length > 0) continue;
      for (const entry of entries)
        if (entry.isDirectory() && !SKIPPED.has(entry.name)) next.push(join(folder, entry.name));
    }
    level = next;
  }
  return found.sort();
}

/**
 * The Python version of the environment, when it can be told without running anything: `pyvenv.cfg` at the
 * root, or a `pythonX.Y` folder that every site-packages folder found sits in. Markers on it are then decided.
 */
async function knownEnvironment(root: string, found: readonly string[]): Promise<KnownEnvironment> {
  const config = await readFile(join(root, 'pyvenv.cfg'), 'utf8').catch(() => undefined);
  const full =
    config === undefined ? undefined : /^\s*version(?:_info)?\s*=\s*(\d+\.\d+\.\d+)/m.exec(config)?.[1];
  if (full !== undefined)
    return { python_full_version: full, python_version: full.split('.').slice(0, 2).join('.') };
  const versions = new Set(
    found.map((file) => /[/\\]python(\d+\.\d+)[/\\](?:site|dist)-packages[/\\]/.exec(file)?.[1] ?? ''),
  );
  const [only] = versions;
  return versions.size === 1 && only !== undefined && only !== '' ? { python_version: only } : {};
}
