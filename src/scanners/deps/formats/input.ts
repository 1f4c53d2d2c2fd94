import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { LimitError, ParseError } from '../../../core/errors.js';

/** Dependency files above this size are unscannable: the largest real lock files are a few megabytes. */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

/** A dependency file to parse, and a way to read the files it includes (`-r other.txt`). */
export interface ManifestInput {
  /** The path reported in findings, as the scan reached the file (`/` separators). */
  readonly path: string;
  readonly absolutePath: string;
  readonly text: string;
  /**
   * Reads a file named relative to this one, for `-r`/`-c` includes; bounded like the file itself, and only inside
   * the project (see {@link projectRootOf}).
   */
  readInclude(reference: string): Promise<ManifestInput>;
}

/**
 * The folder includes must stay in: the nearest folder above the manifest that holds `.git` (the repository), else
 * the manifest's own folder. A hostile checkout could otherwise make the scan read `-r ../../../home/u/.ssh/x`
 * and quote it in a parse error; pip follows such paths, mlsec reports the file unscannable instead.
 */
export function projectRootOf(manifestPath: string): string {
  const start = dirname(manifestPath);
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, '.git'))) return folder;
    if (dirname(folder) === folder) return start;
  }
}

function isInside(root: string, path: string): boolean {
  const relation = relative(root, path);
  return relation === '' || (!relation.startsWith('..') && !isAbsolute(relation));
}

/** Reads a dependency file as UTF-8 text with the byte-order mark removed. */
export async function readManifestInput(
  absolutePath: string,
  path: string,
  projectRoot: string = projectRootOf(absolutePath),
): Promise<ManifestInput> {
  const size = (await stat(absolutePath)).size;
  if (size > MAX_MANIFEST_BYTES)
    throw new LimitError('FILE_SIZE', `${path}: ${size} bytes exceeds the ${MAX_MANIFEST_BYTES}-byte limit`);
  const text = (await readFile(absolutePath, 'utf8')).replace(/^\uFEFF/, '');
  return {
    path,
    absolutePath,
    text,
    readInclude: async (reference) => {
      const target = resolve(dirname(absolutePath), reference);
      // Compared after links are resolved, so a symbolic link cannot lead outside either.
      const [realRoot, realTarget] = await Promise.all([realpath(projectRoot), realpath(target)]);
      if (!isInside(realRoot, realTarget))
        throw new ParseError(
          'UNSUPPORTED',
          `${path}: the include ${reference} lies outside the project (${projectRoot}); mlsec does not read it`,
        );
      // The reported path of an include is relative to the including file's reported folder.
      const shown = join(dirname(path), relative(dirname(absolutePath), target))
        .split('\\')
        .join('/');
      return readManifestInput(target, shown, projectRoot);
    },
  };
}
