import { opendir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { UsageError, messageOf } from '../core/errors.js';

export interface WalkedFile {
  readonly absolutePath: string;
  /** The path as reached from the argument given: `corpus/a/b.pkl` for argument `corpus`. */
  readonly displayPath: string;
  /**
   * The file lies in a `site-packages` or `dist-packages` folder found below the argument: a library an
   * environment installed, not the project's own code. (A folder named as the argument itself is the user's
   * explicit choice and does not count.)
   */
  readonly installed?: true;
}

/** Folders that hold an environment's installed distributions (venv, conda, Debian, Windows `Lib/`). */
const SITE_FOLDERS = new Set(['site-packages', 'dist-packages']);

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
      await walkDirectory(absolute, toPosix(argument), keep, add, warnings);
    }
  }
  files.sort((a, b) => (a.displayPath < b.displayPath ? -1 : a.displayPath > b.displayPath ? 1 : 0));
  return { files, warnings };
}

async function walkDirectory(
  directory: string,
  display: string,
  keep: (absolutePath: string, isDirectory: boolean) => boolean,
  add: (absolutePath: string, displayPath: string, installed: boolean) => void,
  warnings: string[],
): Promise<void> {
  const pending: [string, string, boolean][] = [[directory, display, false]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [absoluteDirectory, displayDirectory, installed] = next;
    let entries;
    try {
      entries = await opendir(absoluteDirectory);
    } catch (error) {
      warnings.push(`cannot list ${displayDirectory}: ${messageOf(error)}; its files were not scanned`);
      continue;
    }
    for await (const entry of entries) {
      const absolutePath = join(absoluteDirectory, entry.name);
      const displayPath =
        displayDirectory === '.' ? entry.name : `${displayDirectory.replace(/\/$/, '')}/${entry.name}`;
      if (entry.isDirectory()) {
        const below = installed || SITE_FOLDERS.has(entry.name);
        if (keep(absolutePath, true)) pending.push([absolutePath, displayPath, below]);
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
