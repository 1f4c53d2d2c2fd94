import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildZip } from '../../src/targets/test-archives.js';
import { mlsec, REPO } from './run-cli.js';

/** End-to-end: `mlsec db update` and `mlsec scan --db` on the built CLI. No test reaches the network. */

interface Finding {
  ruleId: string;
  severity: string;
  message: string;
  location: { path: string; line?: number; package?: string };
  package?: { name: string; version: string };
  advisory?: { id: string; aliases: string[] };
}

function temporary(): string {
  return mkdtempSync(join(tmpdir(), 'mlsec-db-'));
}

/** The CLI as a child process, without blocking the event loop (the test serves the download itself). */
function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn('node', [join(REPO, 'bin/mlsec.js'), ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => {
      done({ status, stdout, stderr });
    });
  });
}

function record(id: string, name: string, events: object[], extra: object = {}): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      id,
      modified: '2026-11-20T00:00:00Z',
      affected: [{ package: { ecosystem: 'PyPI', name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
      ...extra,
    }),
  );
}

describe('mlsec db update', () => {
  it('fails with a clear message when the download cannot be reached', () => {
    const dir = temporary();
    const offline = mlsec([
      'db',
      'update',
      '--dir',
      dir,
      '--url',
      'http://mlsec-offline.invalid/PyPI/all.zip',
    ]);
    expect(offline.status).toBe(2);
    expect(offline.stderr).toMatch(
      /^mlsec: cannot download http:\/\/mlsec-offline\.invalid\/PyPI\/all\.zip: fetch failed: .+\. Without network access, copy all\.zip from a connected machine and pass it with --db\n$/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stores a served all.zip that --db then audits with, and refuses a download that is not a database', async () => {
    const zip = buildZip({
      members: [
        {
          name: 'GHSA-1111-2222-3333.json',
          data: record('GHSA-1111-2222-3333', 'Pillow', [{ introduced: '0' }, { fixed: '10.3.0' }], {
            aliases: ['CVE-2024-28219'],
            severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
          }),
          method: 8,
        },
        { name: 'MAL-2022-7426.json', data: record('MAL-2022-7426', 'torchtriton', [{ introduced: '0' }]) },
      ],
    });
    const server = createServer((request, response) => {
      if (request.url === '/all.zip') response.end(Buffer.from(zip));
      else response.end('<html>not a zip</html>');
    });
    await new Promise<void>((listening) =>
      server.listen(0, '127.0.0.1', () => {
        listening();
      }),
    );
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const dir = temporary();
      const cache = { MLSEC_CACHE_DIR: join(dir, 'cache') };
      const update = await run(['db', 'update', '--dir', dir], {
        ...cache,
        MLSEC_OSV_URL: `${base}/all.zip`,
      });
      expect(update.stderr).toBe('');
      expect(update.status).toBe(0);
      expect(update.stdout).toContain(
        `${join(dir, 'PyPI-all.zip')}: ${zip.length} bytes, 2 records, newest 2026-11-20`,
      );

      const bad = await run(['db', 'update', '--dir', dir, '--url', `${base}/broken`], cache);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('is not an OSV database');
      expect(readFileSync(join(dir, 'PyPI-all.zip')).length).toBe(zip.length);

      const project = temporary();
      writeFileSync(
        join(project, 'requirements.txt'),
        'pillow==10.2.0\ntorchtriton==2.0.0\npillow-heif>=0.10\n',
      );
      const scan = await run(['scan', project, '--db', join(dir, 'PyPI-all.zip'), '--format', 'json'], cache);
      const findings = (JSON.parse(scan.stdout) as { findings: Finding[] }).findings.filter((finding) =>
        /^DEP-(VULN|MAL)-/.test(finding.ruleId),
      );
      expect(
        findings.map((finding) => [
          finding.ruleId,
          finding.severity,
          finding.location.line,
          finding.package,
          finding.advisory,
        ]),
      ).toEqual([
        [
          'DEP-VULN-001',
          'high',
          1,
          { name: 'pillow', version: '10.2.0' },
          { id: 'GHSA-1111-2222-3333', aliases: ['CVE-2024-28219'] },
        ],
        [
          'DEP-MAL-001',
          'critical',
          2,
          { name: 'torchtriton', version: '2.0.0' },
          { id: 'MAL-2022-7426', aliases: [] },
        ],
      ]);
      expect(findings[0]?.location.package).toBe('pillow==10.2.0');
      expect(findings[0]?.message).toContain('smallest upgrade fixing the 1 advisory for pillow: 10.3.0');
    } finally {
      server.close();
    }
  });
});
