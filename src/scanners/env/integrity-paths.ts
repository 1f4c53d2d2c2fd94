import { posix, resolve, sep } from 'node:path';

/**
 * Where the files a RECORD lists may live. RECORD paths are relative to the site folder (the `*.dist-info`
 * folder's parent); pip writes scripts and data as `../../../bin/x` from `lib/pythonX.Y/site-packages`, so the
 * environment prefix is taken as the site folder's `../../..` and nothing outside it is ever opened.
 */
export interface InstallRoots {
  /** Absolute site folder (`…/site-packages`). */
  readonly site: string;
  /** Absolute environment prefix: the site folder's `../../..`. */
  readonly prefix: string;
}

export function installRootsOf(recordPath: string): InstallRoots {
  const site = resolve(recordPath, '..', '..');
  return { site, prefix: resolve(site, '..', '..', '..') };
}

export type ResolvedEntry =
  | { readonly inside: true; readonly absolute: string; readonly fromPrefix: string }
  | { readonly inside: false; readonly reason: string };

/** Resolves a RECORD path against the site folder, refusing absolute paths and `..` that leave the prefix. */
export function resolveEntry(roots: InstallRoots, written: string): ResolvedEntry {
  // Backslashes are separators on Windows; read them as such so that `..\..\x` cannot slip past the check.
  const path = written.replaceAll('\\', '/');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path))
    return { inside: false, reason: 'is an absolute path' };
  const absolute = resolve(roots.site, ...path.split('/'));
  if (!isWithin(roots.prefix, absolute))
    return { inside: false, reason: 'climbs out of the environment prefix' };
  return {
    inside: true,
    absolute,
    fromPrefix: absolute
      .slice(roots.prefix.length + 1)
      .split(sep)
      .join('/'),
  };
}

export function isWithin(folder: string, absolute: string): boolean {
  return absolute.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** Modules, compiled modules, `.pth` files and native extensions or libraries. */
const EXECUTABLE_NAME = /\.(?:py|pyw|pyc|pyo|pth|so|pyd|dll|dylib|exe)$|\.so(?:\.\d+)+$/i;

/**
 * Whether Python or the shell may execute the file: by its name, or by where it was installed (`bin/`,
 * `Scripts/` of the prefix, or a wheel's `*.data/scripts/`).
 */
export function canExecute(written: string, fromPrefix: string | undefined): boolean {
  const path = written.replaceAll('\\', '/');
  if (EXECUTABLE_NAME.test(posix.basename(path))) return true;
  if (/(?:^|\/)[^/]+\.data\/scripts\//.test(path)) return true;
  return fromPrefix !== undefined && /^(?:bin|Scripts)\//.test(fromPrefix);
}

/** `name==version` from a `name-version.dist-info` folder name (the name part never holds a `-`). */
export function distributionOf(distInfoFolder: string): string {
  const stem = distInfoFolder.replace(/\.dist-info$/, '');
  const dash = stem.indexOf('-');
  return dash < 0 ? stem : `${stem.slice(0, dash)}==${stem.slice(dash + 1)}`;
}
