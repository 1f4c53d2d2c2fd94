/**
 * How a path written inside a model bundle (an archive member name, a link target, a file named by MLmodel or
 * by a sharded-weights index) can leave the folder it is meant to stay in. Both separators count: Python's
 * `zipfile` and Windows extractors treat `\` as a separator, and MLflow joins paths with `os.path.join`.
 */
export type Escape = 'absolute' | 'parent';

/** `/x`, `\x`, `C:\x`, `C:x` and `\\server\share` are absolute somewhere a model is extracted or loaded. */
function isAbsolutePath(path: string): boolean {
  return /^[/\\]/.test(path) || /^[A-Za-z]:/.test(path);
}

/**
 * Whether `path`, taken relative to the folder `base` (itself relative to the root, `/`-separated, '' for the
 * root), leaves the root: absolute, or more `..` segments than folders above it at some point.
 */
export function escapeOf(path: string, base = ''): Escape | undefined {
  if (isAbsolutePath(path)) return 'absolute';
  const segments = [...base.split('/'), ...path.split(/[/\\]/)].filter(
    (segment) => segment !== '' && segment !== '.',
  );
  let depth = 0;
  for (const segment of segments) {
    depth += segment === '..' ? -1 : 1;
    if (depth < 0) return 'parent';
  }
  return undefined;
}

/** The folder part of a `/`-separated member name ('' at the root). */
export function folderOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

export function describeEscape(escape: Escape): string {
  return escape === 'absolute' ? 'an absolute path' : 'a path that climbs out with `..`';
}
