import { readFile, stat } from 'node:fs/promises';
import { ConfigError, messageOf } from '../../../core/errors.js';
import { normalizeName } from '../pep508/parse.js';

/** hugovk's top-15000 file is under 1 MB; anything far larger is not that file. */
const MAX_POPULAR_BYTES = 64 * 1024 * 1024;
const NAME = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/i;

/** Popular PyPI project names, PEP 503-normalised, most downloaded first (rank = position + 1). */
export interface PopularList {
  readonly names: readonly string[];
  readonly rankOf: ReadonlyMap<string, number>;
}

/**
 * Parses hugovk's `top-pypi-packages` JSON (`{"rows": [{"project": "boto3", "download_count": …}, …]}`, rows
 * most downloaded first). Throws a `ConfigError` naming the file and the first problem.
 */
export function parsePopularList(text: string, path: string): PopularList {
  const fail = (problem: string): never => {
    throw new ConfigError('CONFIG_INVALID', `popular-package list ${path}: ${problem}`);
  };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${messageOf(error)})`);
  }
  const rows =
    typeof document === 'object' && document !== null && 'rows' in document ? document.rows : undefined;
  if (!Array.isArray(rows))
    return fail('expected an object with a "rows" array (hugovk/top-pypi-packages format)');
  const names: string[] = [];
  const rankOf = new Map<string, number>();
  rows.forEach((row: unknown, index) => {
    const project = typeof row === 'object' && row !== null && 'project' in row ? row.project : undefined;
    if (typeof project !== 'string' || !NAME.test(project))
      fail(`row ${index + 1} has no valid "project" name`);
    const name = normalizeName(String(project));
    if (!rankOf.has(name)) {
      rankOf.set(name, names.length + 1);
      names.push(name);
    }
  });
  if (names.length === 0) fail('the "rows" array is empty');
  return { names, rankOf };
}

/** Reads and parses the list; `ConfigError` when the file is missing, too large or malformed. */
export async function readPopularList(path: string): Promise<PopularList> {
  let text: string;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_POPULAR_BYTES)
      throw new ConfigError(
        'CONFIG_INVALID',
        `popular-package list ${path}: ${size} bytes, over the 64 MiB limit`,
      );
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      'CONFIG_NOT_FOUND',
      `cannot read popular-package list ${path}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  return parsePopularList(text, path);
}

/** One parsed list per file and process: every manifest of a scan measures against the same list. */
const LISTS = new Map<string, Promise<PopularList>>();

export function popularListFor(path: string): Promise<PopularList> {
  let list = LISTS.get(path);
  if (list === undefined) {
    list = readPopularList(path);
    LISTS.set(path, list);
  }
  return list;
}
