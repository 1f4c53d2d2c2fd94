import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import { matchPackage } from './match.js';
import { apiBase, onlineIndex, OSV_API } from './online.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const SHARED_DB = join(REPO, '../shared/data/pypa-advisory-db.osv.jsonl');

/** The real records the fake API serves from `/v1/vulns/ID`, taken from the shared PyPA snapshot. */
const RECORDS = new Map(
  readFileSync(SHARED_DB, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { id: string })
    .filter((record) => ['PYSEC-2024-60', 'PYSEC-2023-74'].includes(record.id))
    .map((record) => [record.id, record]),
);

/** Which ids OSV.dev lists for a pin, as `querybatch` answers: `{id, modified}` only, `{}` for none. */
const AFFECTED: Record<string, string[]> = {
  'idna==3.6': ['PYSEC-2024-60'],
  'requests==2.25.0': ['PYSEC-2023-74'],
};

interface Behaviour {
  /** Answer querybatch with this status instead. */
  status?: number;
  /** Split requests==2.25.0's answer into two pages. */
  paged?: boolean;
  /** Answer this many results, whatever was asked. */
  results?: number;
}

let behaviour: Behaviour = {};
const seen: string[] = [];

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const server: Server = createServer((request, response) => {
  void (async () => {
    const url = request.url ?? '';
    seen.push(`${request.method ?? ''} ${url}`);
    response.setHeader('content-type', 'application/json');
    if (request.method === 'POST' && url === '/v1/querybatch') {
      if (behaviour.status !== undefined) {
        response.statusCode = behaviour.status;
        response.end('{"code":8,"message":"Too many requests."}');
        return;
      }
      const { queries } = JSON.parse(await bodyOf(request)) as {
        queries: { package: { name: string; ecosystem: string }; version: string; page_token?: string }[];
      };
      const results = queries.map((query) => {
        const ids = AFFECTED[`${query.package.name}==${query.version}`] ?? [];
        const vulns = ids.map((id) => ({ id, modified: '2024-10-10T00:00:00Z' }));
        if (behaviour.paged === true && query.package.name === 'requests' && query.page_token === undefined)
          return { vulns: [], next_page_token: 'page-2' };
        return vulns.length === 0 ? {} : { vulns };
      });
      response.end(JSON.stringify({ results: results.slice(0, behaviour.results ?? results.length) }));
      return;
    }
    const record = RECORDS.get(decodeURIComponent(url.replace('/v1/vulns/', '')));
    response.statusCode = record === undefined ? 404 : 200;
    response.end(JSON.stringify(record ?? { code: 5, message: 'Bug not found.' }));
  })();
});

beforeAll(async () => {
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  process.env.MLSEC_OSV_API = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  delete process.env.MLSEC_OSV_API;
  await new Promise((closed) => server.close(closed));
});
afterEach(() => {
  behaviour = {};
  seen.length = 0;
});

describe('the OSV.dev online index', () => {
  it('defaults to api.osv.dev and takes MLSEC_OSV_API without its trailing slash', () => {
    expect(apiBase()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const saved = process.env.MLSEC_OSV_API;
    delete process.env.MLSEC_OSV_API;
    expect(apiBase()).toBe(OSV_API);
    process.env.MLSEC_OSV_API = saved;
  });

  it('asks one batch, fetches each listed record once, and matches like a local database', async () => {
    const index = await onlineIndex([
      { name: 'idna', version: '3.6' },
      { name: 'requests', version: '2.25.0' },
      { name: 'numpy', version: '2.0.0' },
    ]);
    expect(seen).toEqual([
      'POST /v1/querybatch',
      'GET /v1/vulns/PYSEC-2023-74',
      'GET /v1/vulns/PYSEC-2024-60',
    ]);
    expect(index.records).toBe(2);
    expect(matchPackage(index, 'idna', '3.6').map((match) => [match.advisory.id, match.fixedIn])).toEqual([
      ['PYSEC-2024-60', '3.7'],
    ]);
    expect(matchPackage(index, 'requests', '2.25.0')[0]?.advisory.aliases).toContain('CVE-2023-32681');
    expect(matchPackage(index, 'numpy', '2.0.0')).toEqual([]);
  });

  it('follows next_page_token', async () => {
    behaviour = { paged: true };
    const index = await onlineIndex([{ name: 'requests', version: '2.25.0' }]);
    expect(seen).toEqual(['POST /v1/querybatch', 'POST /v1/querybatch', 'GET /v1/vulns/PYSEC-2023-74']);
    expect(matchPackage(index, 'requests', '2.25.0')).toHaveLength(1);
  });

  it.each([
    [{ status: 429 }, /HTTP 429/],
    [{ results: 1 }, /answered 1 results for 2 queries/],
  ])('fails closed on a bad answer (%j)', async (bad, message) => {
    behaviour = bad;
    const pins = [
      { name: 'idna', version: '3.6' },
      { name: 'requests', version: '2.25.0' },
    ];
    await expect(onlineIndex(pins)).rejects.toThrow(message);
    await expect(onlineIndex(pins)).rejects.toBeInstanceOf(ParseError);
  });

  it('fails closed when a listed record cannot be fetched', async () => {
    AFFECTED['torch==1.0.0'] = ['PYSEC-0000-0'];
    await expect(onlineIndex([{ name: 'torch', version: '1.0.0' }])).rejects.toThrow(
      /\/v1\/vulns\/PYSEC-0000-0 answered HTTP 404/,
    );
  });

  it('fails with a clear error when the API cannot be reached', async () => {
    const saved = process.env.MLSEC_OSV_API;
    process.env.MLSEC_OSV_API = 'https://osv.invalid';
    try {
      await expect(onlineIndex([{ name: 'idna', version: '3.6' }])).rejects.toThrow(
        /the online audit \(--online\) could not query https:\/\/osv\.invalid: fetch failed.*not checked against OSV\.dev/,
      );
    } finally {
      process.env.MLSEC_OSV_API = saved;
    }
  });
});
