import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildIndex, INDEX_FORMAT, type OsvIndex } from './index.js';
import { loadRecords, recordFiles, sourceKindOf } from './load.js';

/**
 * mlsec's cache folder: `MLSEC_CACHE_DIR`, else `$XDG_CACHE_HOME/mlsec`, else `~/.cache/mlsec`. The index cache
 * and `mlsec db update` downloads live here.
 */
export function cacheDirectory(): string {
  const explicit = process.env.MLSEC_CACHE_DIR;
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'mlsec');
}

/**
 * What identifies a source's content cheaply: the index format, the file's size and mtime, or for a folder the
 * names, sizes and mtimes of its record files (a record edited in place changes its file's mtime, not the folder's).
 */
function fingerprintOf(path: string): string {
  const hash = createHash('sha256');
  hash.update(`${INDEX_FORMAT}\0`);
  const stat = statSync(path);
  if (sourceKindOf(path) === 'folder') {
    for (const file of recordFiles(path)) {
      const entry = statSync(file);
      hash.update(`${file}\0${entry.size}\0${entry.mtimeMs}\0`);
    }
  } else hash.update(`${stat.size}\0${stat.mtimeMs}\0`);
  return hash.digest('hex').slice(0, 32);
}

function isIndex(value: unknown, source: string): value is OsvIndex {
  if (typeof value !== 'object' || value === null) return false;
  const index = value as Record<string, unknown>;
  return (
    index.format === INDEX_FORMAT &&
    index.source === source &&
    typeof index.newestModified === 'string' &&
    typeof index.packages === 'object' &&
    index.packages !== null
  );
}

function readCache(file: string, source: string): OsvIndex | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isIndex(value, source) ? value : undefined;
  } catch {
    // Missing, truncated or corrupt: rebuilt from the source.
    return undefined;
  }
}

/**
 * Writes beside and renames, so that a concurrent reader (another worker) never sees half a file, then removes
 * the source's older caches (same path prefix, other content).
 */
function writeCache(directory: string, prefix: string, file: string, index: OsvIndex): void {
  try {
    mkdirSync(directory, { recursive: true });
    const temporary = join(directory, `${file}.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(temporary, JSON.stringify(index));
    renameSync(temporary, join(directory, file));
    for (const name of readdirSync(directory)) {
      if (name.startsWith(prefix) && name !== file && name.endsWith('.json'))
        rmSync(join(directory, name), { force: true });
    }
  } catch {
    // A read-only or full cache folder only costs the next run a rebuild.
  }
}

export interface LoadOptions {
  /** Overrides {@link cacheDirectory}; `false` builds without reading or writing a cache. */
  readonly cacheDir?: string | false;
}

async function loadUncached(source: string, options: LoadOptions): Promise<OsvIndex> {
  const cacheDir = options.cacheDir ?? cacheDirectory();
  if (cacheDir === false) return buildIndex(await loadRecords(source), source);
  // One cache per source path: `osv-<path hash>-<content fingerprint>.json`.
  const prefix = `osv-${createHash('sha256').update(source).digest('hex').slice(0, 16)}-`;
  const file = `${prefix}${fingerprintOf(source)}.json`;
  const cached = readCache(join(cacheDir, file), source);
  if (cached !== undefined) return cached;
  const index = buildIndex(await loadRecords(source), source);
  writeCache(cacheDir, prefix, file, index);
  return index;
}

/** Per process (and so per worker thread): the source's stat line and the index loaded for it. */
const memo = new Map<string, { stamp: string; index: Promise<OsvIndex> }>();

/**
 * The index of an OSV database (folder, JSONL, JSON or all.zip), from the on-disk cache when the source has not
 * changed, built and cached otherwise. Loaded once per process while the source's own size and mtime stay the same.
 */
export function loadIndex(path: string, options: LoadOptions = {}): Promise<OsvIndex> {
  const source = resolve(path);
  const stat = statSync(source);
  const stamp = `${stat.size}:${stat.mtimeMs}:${String(options.cacheDir)}`;
  const known = memo.get(source);
  if (known?.stamp === stamp) return known.index;
  const index = loadUncached(source, options);
  memo.set(source, { stamp, index });
  // A failed load is not memoised: the next file retries, and reports the same error if it persists.
  void index.catch(() => {
    memo.delete(source);
  });
  return index;
}
