import { messageOf, ParseError } from '../../../core/errors.js';
import { buildIndex, type OsvIndex } from './index.js';
import { recordOf, type OsvRecord } from './schema.js';

/** OSV.dev's API; `MLSEC_OSV_API` points at a mirror or a test server. */
export const OSV_API = 'https://api.osv.dev';
/** OSV.dev accepts at most 1000 queries per `querybatch` request. */
const BATCH_SIZE = 1000;
/** Per request: a hung server must fail the audit, not stall the scan until the file's time limit. */
const TIMEOUT_MS = 30_000;
/** Record downloads in flight at once. */
const CONCURRENCY = 8;
/** Follow-up rounds for results the API splits into pages; a server that never stops paging fails the audit. */
const MAX_PAGES = 50;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface Pin {
  readonly name: string;
  readonly version: string;
}

interface Query {
  readonly pin: Pin;
  readonly pageToken?: string;
}

export function apiBase(): string {
  const configured = process.env.MLSEC_OSV_API;
  return (configured !== undefined && configured !== '' ? configured : OSV_API).replace(/\/+$/, '');
}

function failure(base: string, reason: string): ParseError {
  return new ParseError(
    'UNSUPPORTED',
    `the online audit (--online) could not query ${base}: ${reason}. The dependencies were not checked against ` +
      'OSV.dev; without network access use --db with a local database (mlsec db update)',
  );
}

async function requestJson(base: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
      ...(body === undefined
        ? {}
        : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? `: ${messageOf(error.cause)}` : '';
    throw failure(base, `${messageOf(error)}${cause}`);
  }
  if (!response.ok) throw failure(base, `${path} answered HTTP ${response.status} ${response.statusText}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_RESPONSE_BYTES)
    throw failure(base, `${path} answered more than ${MAX_RESPONSE_BYTES} bytes`);
  const text = await response.text().catch((error: unknown) => {
    throw failure(base, `${path}: ${messageOf(error)}`);
  });
  if (text.length > MAX_RESPONSE_BYTES)
    throw failure(base, `${path} answered more than ${MAX_RESPONSE_BYTES} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw failure(base, `${path} did not answer JSON`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One `querybatch` round: the ids listed for each query, and the queries to ask again for their next page. */
async function queryRound(
  base: string,
  queries: readonly Query[],
): Promise<{ ids: Set<string>; next: Query[] }> {
  const ids = new Set<string>();
  const next: Query[] = [];
  for (let start = 0; start < queries.length; start += BATCH_SIZE) {
    const batch = queries.slice(start, start + BATCH_SIZE);
    const answer = await requestJson(base, '/v1/querybatch', {
      queries: batch.map(({ pin, pageToken }) => ({
        package: { name: pin.name, ecosystem: 'PyPI' },
        version: pin.version,
        ...(pageToken !== undefined && { page_token: pageToken }),
      })),
    });
    const results = isObject(answer) ? answer.results : undefined;
    // One result per query, in order: anything else could pair a pin with another pin's answer.
    if (!Array.isArray(results) || results.length !== batch.length)
      throw failure(
        base,
        `/v1/querybatch answered ${Array.isArray(results) ? results.length : 'no'} results for ${batch.length} queries`,
      );
    results.forEach((result: unknown, position) => {
      if (!isObject(result)) throw failure(base, '/v1/querybatch answered a result that is not an object');
      const vulns = result.vulns ?? [];
      if (!Array.isArray(vulns)) throw failure(base, '/v1/querybatch answered `vulns` that is not a list');
      for (const vuln of vulns) {
        if (!isObject(vuln) || typeof vuln.id !== 'string' || !/^[\w.:-]+$/.test(vuln.id))
          throw failure(base, '/v1/querybatch answered a vulnerability without a valid id');
        ids.add(vuln.id);
      }
      const token = result.next_page_token;
      const query = batch[position];
      if (typeof token === 'string' && token !== '' && query !== undefined)
        next.push({ pin: query.pin, pageToken: token });
    });
  }
  return { ids, next };
}

async function recordsOf(base: string, ids: readonly string[]): Promise<OsvRecord[]> {
  const records: OsvRecord[] = [];
  let position = 0;
  const worker = async (): Promise<void> => {
    while (position < ids.length) {
      const id = ids[position++] as string;
      const value = await requestJson(base, `/v1/vulns/${encodeURIComponent(id)}`);
      try {
        records.push(recordOf(value));
      } catch (error) {
        throw failure(base, `/v1/vulns/${id} is not an OSV record: ${messageOf(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  return records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Asks OSV.dev which advisories affect each exact pin (`querybatch`, which lists ids only), downloads each listed
 * record once (`/v1/vulns/ID`) and indexes them like a local database, so matching, alias grouping and fix
 * suggestions are the same as with `--db`. Any failure (no network, timeout, HTTP error, malformed answer) throws
 * a `ParseError`: the manifest becomes unscannable, never clean.
 */
export async function onlineIndex(pins: readonly Pin[]): Promise<OsvIndex> {
  const base = apiBase();
  const ids = new Set<string>();
  let queries: Query[] = pins.map((pin) => ({ pin }));
  for (let page = 0; queries.length > 0; page++) {
    if (page === MAX_PAGES) throw failure(base, `/v1/querybatch kept paging after ${MAX_PAGES} rounds`);
    const round = await queryRound(base, queries);
    for (const id of round.ids) ids.add(id);
    queries = round.next;
  }
  return buildIndex(await recordsOf(base, [...ids].sort()), base);
}
