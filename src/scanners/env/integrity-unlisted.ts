import { opendir, readFile, readdir, realpath } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { LimitError } from '../../core/errors.js';
import { parseRecord } from '../deps/formats/record.js';
import { isMissing } from './integrity-hash.js';
import { isWithin } from './integrity-paths.js';

/**
 * The distribution's own package folders: for each listed path, the shallowest folder whose `__init__.py` the same
 * RECORD lists. Taking the folder that holds `__init__.py` rather than the first path segment keeps shared
 * namespace folders (`google/`, `zope/`) out: other distributions install beside each other there.
 */
export function ownPackageFolders(listed: ReadonlySet<string>): string[] {
  const roots = new Set<string>();
  for (const path of listed) {
    const segments = path.split('/');
    const first = segments[0] ?? '';
    if (first === '..' || first.endsWith('.dist-info') || first.endsWith('.data')) continue;
    for (let depth = 1; depth < segments.length; depth++) {
      const folder = segments.slice(0, depth).join('/');
      if (listed.has(`${folder}/__init__.py`)) {
        roots.add(folder);
        break;
      }
    }
  }
  return [...roots].sort();
}

/**
 * Files under `folders` (relative to `site`) that `listed` does not hold. `__pycache__` folders are skipped: pip
 * and the interpreter write byte code there that RECORD omits or lists without a digest. Symbolic links inside are
 * reported as files, never followed; a package folder that is itself a link out of `prefix` (resolved) is not listed (its
 * files are reported as leaving the environment when they are hashed).
 */
export async function unlistedFiles(
  site: string,
  prefix: string,
  folders: readonly string[],
  listed: ReadonlySet<string>,
  maxEntries: number,
  checkDeadline: () => void,
): Promise<string[]> {
  const found: string[] = [];
  let seen = 0;
  const pending = [...folders];
  for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) {
    let directory;
    try {
      const absolute = join(site, ...folder.split('/'));
      if (folders.includes(folder) && !isWithin(prefix, await realpath(absolute))) continue;
      directory = await opendir(absolute);
    } catch (error) {
      if (isMissing(error)) continue;
      throw error;
    }
    for await (const entry of directory) {
      if (++seen > maxEntries)
        throw new LimitError('MEMBER_COUNT', `package folders hold more than ${maxEntries} entries`);
      if (seen % 1000 === 0) checkDeadline();
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== '__pycache__') pending.push(path);
      } else if (!listed.has(path)) {
        found.push(path);
      }
    }
  }
  return found.sort();
}

/**
 * Paths other installed distributions of the same site folder claim: their RECORDs, and the
 * `installed-files.txt` of `*.egg-info` folders (paths relative to the egg-info folder). A sibling that cannot be
 * parsed claims nothing, so its files stay reported; its own scan reports it unscannable.
 */
export async function siblingClaims(site: string, ownDistInfo: string): Promise<Set<string>> {
  const claimed = new Set<string>();
  let names: string[];
  try {
    names = await readdir(site);
  } catch {
    return claimed;
  }
  for (const name of names) {
    if (name === ownDistInfo) continue;
    try {
      if (name.endsWith('.dist-info')) {
        const text = await readFile(join(site, name, 'RECORD'), 'utf8');
        for (const entry of parseRecord(text, `${name}/RECORD`)) claimed.add(posix.normalize(entry.path));
      } else if (name.endsWith('.egg-info')) {
        const text = await readFile(join(site, name, 'installed-files.txt'), 'utf8');
        for (const line of text.split(/\r?\n/))
          if (line !== '') claimed.add(posix.normalize(`${name}/${line}`));
      }
    } catch {
      // Unreadable or absent: this sibling claims nothing.
    }
  }
  return claimed;
}
