import { opendir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { UsageError, messageOf } from '../core/errors.js';

export interface WalkedFile {
  readonly absolutePath: string;
  /** The path as reached from the argument given: `corpus/a/b.pkl` for argument `corpus`. */
  readonly displayPath: string;
  /**
   * The file lies in a `site-packages` or `dist-packages` folder found below the argument (any case, for Windows'
   * `Lib/site-packages`), in a `lib/pythonX.Y` standard-library folder, or in the interpreter folders of a venv or
   * conda environment root (`lib/`, `Lib/`, `DLLs/`, `pkgs/`, `envs/`, …): a library an environment installed,
   * not the project's own code. (A folder named as the argument itself is the user's explicit choice and does not
   * count.)
   */
  readonly installed?: true;
}

/** Folders that hold an environment's installed distributions (venv, conda, Debian, Windows `Lib/`). */
const SITE_FOLDERS = new Set(['site-packages', 'dist-packages']);

/** A site folder by name; Windows spells `Lib\\site-packages` in any case. */
export function isSiteFolderName(name: string): boolean {
  return SITE_FOLDERS.has(name.toLowerCase());
}

/** A standard-library folder below `lib/` or `lib64/` (`python3.11`, `python3.13t`, Debian's `python3`). */
function isStdlibFolder(parent: string, name: string): boolean {
  return /^lib(?:64)?$/.test(parent) && /^python\d+(?:\.\d+)?t?$/.test(name);
}

/**
 * What an environment root (a folder with `pyvenv.cfg` or `conda-meta/`) holds besides the user's files: the
 * interpreter's standard library and installed libraries (`lib/`, Windows `Lib/` and `DLLs/`), scripts, headers,
 * conda's package cache (`pkgs/`) and named environments (`envs/`). Files below them are installed, not the
 * project's, even outside `site-packages`.
 */
const ENVIRONMENT_FOLDERS = new Set([
  'bin',
  'DLLs',
  'envs',
  'etc',
  'include',
  'Include',
  'Lib',
  'lib',
  'lib64',
  'libexec',
  'Library',
  'pkgs',
  'Scripts',
  'share',
]);

/** A folder that the environment report looks at: an environment root, or a site folder. */
export interface EnvironmentHint {
  /** `pyvenv.cfg` beside it, `conda-meta/` inside it, or a `site-packages`/`dist-packages` folder. */
  readonly marker: 'pyvenv.cfg' | 'conda-meta' | 'site';
  readonly absolutePath: string;
  readonly displayPath: string;
}

export interface WalkFilter {
  /** Directory the globs are relative to. */
  readonly root: string;
  /** When non-empty, only files matching one of these are kept. */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

export interface WalkResult {
  readonly files: WalkedFile[];
  /** Directories that could not be listed; the scan goes on without them and the report says so. */
  readonly warnings: string[];
  /** Environment roots and site folders met on the way, for the report's environment list. */
  readonly environments: EnvironmentHint[];
}

/**
 * Lists the regular files under the given paths, sorted, without reading them. Symbolic links to files are
 * followed (Hugging Face caches link snapshots to blobs); links to directories are not, so cycles are impossible.
 * An explicitly named file is always kept, whatever the filters say.
 */
export async function walk(paths: readonly string[], filter: WalkFilter): Promise<WalkResult> {
  const included = filter.include.length === 0 ? () => true : picomatch([...filter.include], { dot: true });
  const excluded = filter.exclude.length === 0 ? () => false : picomatch([...filter.exclude], { dot: true });
  const keep = (absolutePath: string, isDirectory: boolean): boolean => {
    const path = toPosix(relative(filter.root, absolutePath));
    // A directory is pruned when the glob for everything beneath it matches.
    if (isDirectory) return !excluded(`${path}/`) && !excluded(`${path}/x`);
    return included(path) && !excluded(path);
  };

  const files: WalkedFile[] = [];
  const warnings: string[] = [];
  const environments: EnvironmentHint[] = [];
  const seen = new Set<string>();
  const add = (absolutePath: string, displayPath: string, installed: boolean): void => {
    if (seen.has(absolutePath)) return;
    seen.add(absolutePath);
    files.push({ absolutePath, displayPath, ...(installed && { installed: true }) });
  };

  for (const argument of paths) {
    const absolute = resolve(argument);
    const info = await stat(absolute).catch((error: unknown) => {
      throw new UsageError('USAGE_PATH_NOT_FOUND', `cannot read ${argument}`, { cause: error });
    });
    if (info.isFile()) {
      add(absolute, toPosix(argument), false);
    } else if (info.isDirectory()) {
      // A site folder named as the argument is still an environment to report, though its files count as named.
      if (isSiteFolderName(basename(absolute)))
        environments.push({ marker: 'site', absolutePath: absolute, displayPath: toPosix(argument) });
      await walkDirectory(absolute, toPosix(argument), keep, add, { warnings, environments });
    }
  }
  files.sort((a, b) => (a.displayPath < b.displayPath ? -1 : a.displayPath > b.displayPath ? 1 : 0));
  environments.sort((a, b) => (a.displayPath < b.displayPath ? -1 : a.displayPath > b.displayPath ? 1 : 0));
  return { files, warnings, environments };
}

async function walkDirectory(
  directory: string,
  display: string,
  keep: (absolutePath: string, isDirectory: boolean) => boolean,
  add: (absolutePath: string, displayPath: string, installed: boolean) => void,
  found: { warnings: string[]; environments: EnvironmentHint[] },
): Promise<void> {
  const pending: [string, string, boolean][] = [[directory, display, false]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [absoluteDirectory, displayDirectory, installed] = next;
    let entries;
    try {
      entries = await opendir(absoluteDirectory);
    } catch (error) {
      found.warnings.push(`cannot list ${displayDirectory}: ${messageOf(error)}; its files were not scanned`);
      continue;
    }
    const listed = [];
    for await (const entry of entries) listed.push(entry);
    const marker = listed.some((entry) => entry.name === 'pyvenv.cfg' && entry.isFile())
      ? 'pyvenv.cfg'
      : listed.some((entry) => entry.name === 'conda-meta' && entry.isDirectory())
        ? 'conda-meta'
        : undefined;
    if (marker !== undefined)
      found.environments.push({ marker, absolutePath: absoluteDirectory, displayPath: displayDirectory });
    const folderName = basename(absoluteDirectory);
    for (const entry of listed) {
      const absolutePath = join(absoluteDirectory, entry.name);
      const displayPath =
        displayDirectory === '.' ? entry.name : `${displayDirectory.replace(/\/$/, '')}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!keep(absolutePath, true)) continue;
        const site = isSiteFolderName(entry.name);
        if (site) found.environments.push({ marker: 'site', absolutePath, displayPath });
        const below =
          installed ||
          site ||
          isStdlibFolder(folderName, entry.name) ||
          (marker !== undefined && ENVIRONMENT_FOLDERS.has(entry.name));
        pending.push([absolutePath, displayPath, below]);
      } else if (entry.isFile() || (entry.isSymbolicLink() && (await isFileTarget(absolutePath)))) {
        if (keep(absolutePath, false)) add(absolutePath, displayPath, installed);
      }
    }
  }
}

async function isFileTarget(link: string): Promise<boolean> {
  try {
    return (await stat(link)).isFile();
  } catch {
    return false;
  }
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}
