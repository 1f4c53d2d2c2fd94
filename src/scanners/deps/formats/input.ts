import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { LimitError } from '../../../core/errors.js';

/** Dependency files above this size are unscannable: the largest real lock files are a few megabytes. */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

/** A dependency file to parse, and a way to read the files it includes (`-r other.txt`). */
export interface ManifestInput {
  /** The path reported in findings, as the scan reached the file (`/` separators). */
  readonly path: string;
  readonly absolutePath: string;
  readonly text: string;
  /** Reads a file named relative to this one, for `-r`/`-c` includes; bounded like the file itself. */
  readInclude(reference: string): Promise<ManifestInput>;
}

/** Reads a dependency file as UTF-8 text with the byte-order mark removed. */
export async function readManifestInput(absolutePath: string, path: string): Promise<ManifestInput> {
  const size = (await stat(absolutePath)).size;
  if (size > MAX_MANIFEST_BYTES)
    throw new LimitError('FILE_SIZE', `${path}: ${size} bytes exceeds the ${MAX_MANIFEST_BYTES}-byte limit`);
  const text = (await readFile(absolutePath, 'utf8')).replace(/^\uFEFF/, '');
  return {
    path,
    absolutePath,
    text,
    readInclude: (reference) => {
      const target = resolve(dirname(absolutePath), reference);
      // The reported path of an include is relative to the including file's reported folder.
      const shown = join(dirname(path), relative(dirname(absolutePath), target))
        .split('\\')
        .join('/');
      return readManifestInput(target, shown);
    },
  };
}
