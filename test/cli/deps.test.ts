import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlsec, REPO } from './run-cli.js';

/** End-to-end: the built CLI (`npm test` builds first) on the hand-made fixture environment and lock. */
const VENV = 'test/fixtures/deps/env/venv';
const SHARED_DB = '../shared/data/pypa-advisory-db.osv.jsonl';

describe('mlsec deps tree', () => {
  it('prints the tree on stdout and the problems on stderr', () => {
    const run = mlsec(['deps', 'tree', VENV]);
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('app==1.0');
    expect(run.stdout).toContain('├── charset-normalizer [required: <4,>=2, installed: 4.0.0] (conflict)');
    expect(run.stderr).toContain('* alpha => beta => alpha');
    expect(run.stderr).toContain('* app==1.0 requires gone>=1.0, not installed');
  });

  it('shows who pulls in a package with --reverse --package', () => {
    const run = mlsec(['deps', 'tree', VENV, '--reverse', '--package', 'IDNA']);
    expect(run.stdout).toBe(
      'idna==3.6 [vulnerable: PYSEC-2024-60]\n└── requests==2.31.0 [requires: idna<4,>=2.5]\n    └── app==1.0 [requires: requests>=2.28]\n',
    );
  });

  it.each([
    ['json', (out: string) => (JSON.parse(out) as { packages: unknown[] }).packages.length === 10],
    ['dot', (out: string) => out.startsWith('digraph {')],
    ['mermaid', (out: string) => out.startsWith('flowchart TD')],
  ])('writes --format %s', (format, check) => {
    const run = mlsec(['deps', 'tree', VENV, '--format', format]);
    expect(run.status).toBe(0);
    expect(check(run.stdout)).toBe(true);
  });

  it('reads a lock file', () => {
    const run = mlsec(['deps', 'tree', 'test/fixtures/deps/env/lock/poetry.lock', '-d', '1']);
    expect(run.stdout).toBe(
      'flask==3.0.2\n├── blinker [required: Any, locked: ?] (missing)\n├── click [required: Any, locked: 8.1.7]\n└── werkzeug [required: Any, locked: 3.0.1]\n',
    );
  });

  it.each([
    [['deps', 'tree', 'no/such/folder'], /cannot read no\/such\/folder/],
    [['deps', 'tree', VENV, '-p', 'nosuch'], /not in .*: nosuch/],
    [['deps', 'tree', 'README.md'], /not a lock or dependency file/],
    [['deps', 'tree', VENV, '--format', 'xml'], /xml/],
    [['deps', 'tree', VENV, '--depth', '-1'], /whole number/],
    [['deps', 'tree', VENV, '--db', 'no/such.jsonl'], /cannot load the OSV database .*no\/such\.jsonl/],
  ])('exits 2 on %j', (args, message) => {
    const run = mlsec(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('mlsec deps tree with an OSV database', () => {
  it('marks the vulnerable node and prints the path that pulls it in', () => {
    // The fixtures' .mlsec.toml names the shared database as [deps] db; --db names it again explicitly.
    for (const args of [[], ['--db', SHARED_DB]]) {
      const run = mlsec(['deps', 'tree', VENV, ...args]);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(
        '│   ├── idna [vulnerable: PYSEC-2024-60] [required: <4,>=2.5, installed: 3.6]',
      );
      expect(run.stderr).toContain(
        'Vulnerable dependencies found:\n* idna 3.6 ← requests 2.31.0 ← app 1.0 (direct): PYSEC-2024-60\n',
      );
    }
  });

  it('lists each node’s advisories and path in JSON, and colours DOT and Mermaid nodes', () => {
    const json = JSON.parse(mlsec(['deps', 'tree', VENV, '-f', 'json']).stdout) as {
      packages: { package: { key: string; vulnerabilities: unknown[]; dependency_path?: string[] } }[];
    };
    const idna = json.packages.find((entry) => entry.package.key === 'idna')?.package;
    expect(idna?.vulnerabilities).toEqual([
      { id: 'PYSEC-2024-60', aliases: ['CVE-2024-3651'], fixed: ['3.7'], malicious: false },
    ]);
    expect(idna?.dependency_path).toEqual(['app', 'requests', 'idna']);
    const certifi = json.packages.find((entry) => entry.package.key === 'certifi')?.package;
    expect(certifi?.vulnerabilities).toEqual([]);
    expect(certifi?.dependency_path).toBeUndefined();
    expect(mlsec(['deps', 'tree', VENV, '-f', 'dot']).stdout).toContain(
      '"idna" [label="idna\\n3.6\\nvulnerable: PYSEC-2024-60", color=red];',
    );
    expect(mlsec(['deps', 'tree', VENV, '-f', 'mermaid']).stdout).toContain(
      '["idna<br/>3.6<br/>vulnerable: PYSEC-2024-60"]:::marked',
    );
  });

  it('marks nothing with a configuration that names no database', () => {
    const config = join(mkdtempSync(join(tmpdir(), 'mlsec-')), '.mlsec.toml');
    writeFileSync(config, '[deps]\n');
    const run = mlsec(['deps', 'tree', VENV, '-c', config]);
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain('vulnerable');
    expect(run.stderr).not.toContain('Vulnerable');
  });
});

/** The built CLI run without blocking, so that the fake API in this process can answer it. */
function mlsecAsync(
  args: string[],
  env: Record<string, string>,
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

describe('mlsec scan --online', () => {
  const record = readFileSync(join(REPO, SHARED_DB), 'utf8')
    .split('\n')
    .find((line) => line.startsWith('{"id": "PYSEC-2024-60"'));
  const requests: string[] = [];
  // Answers as OSV.dev does: querybatch lists ids (with `modified`) per query, /v1/vulns/ID gives the record.
  const server = createServer((request, response) => {
    requests.push(`${request.method ?? ''} ${request.url ?? ''}`);
    response.setHeader('content-type', 'application/json');
    if (request.url === '/v1/querybatch') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const { queries } = JSON.parse(body) as { queries: { package: { name: string }; version: string }[] };
        const results = queries.map((query) =>
          query.package.name === 'idna' && query.version === '3.6'
            ? { vulns: [{ id: 'PYSEC-2024-60', modified: '2024-07-11T00:00:00Z' }] }
            : {},
        );
        response.end(JSON.stringify({ results }));
      });
      return;
    }
    response.end(record);
  });
  let api = '';
  let folder = '';
  beforeAll(async () => {
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    folder = mkdtempSync(join(tmpdir(), 'mlsec-online-'));
    writeFileSync(join(folder, 'requirements.txt'), 'idna==3.6\ncertifi==2024.7.4\n');
  });
  afterAll(async () => {
    await new Promise((closed) => server.close(closed));
  });

  it('reports what the API lists for the exact pins', async () => {
    const run = await mlsecAsync(['scan', folder, '--online', '-f', 'json'], { MLSEC_OSV_API: api });
    const report = JSON.parse(run.stdout) as { findings: { ruleId: string; message: string }[] };
    const vulns = report.findings.filter((finding) => finding.ruleId === 'DEP-VULN-001');
    expect(vulns).toHaveLength(1);
    expect(vulns[0]?.message).toMatch(/^idna==3\.6: PYSEC-2024-60 \(aliases CVE-2024-3651\).*Fixed in 3\.7/);
    expect(requests).toEqual(['POST /v1/querybatch', 'GET /v1/vulns/PYSEC-2024-60']);
    expect(run.status).toBe(1);
  });

  it('reports one finding when the local database lists the same advisory', async () => {
    const run = await mlsecAsync(['scan', folder, '--online', '--db', SHARED_DB, '-f', 'json'], {
      MLSEC_OSV_API: api,
    });
    const report = JSON.parse(run.stdout) as { findings: { ruleId: string }[] };
    expect(report.findings.filter((finding) => finding.ruleId === 'DEP-VULN-001')).toHaveLength(1);
  });

  it('makes the file unscannable when the API cannot be reached, never clean', async () => {
    const run = await mlsecAsync(['scan', folder, '--online', '-f', 'json'], {
      MLSEC_OSV_API: 'https://osv.invalid',
    });
    const report = JSON.parse(run.stdout) as {
      files: { verdict: string }[];
      findings: { ruleId: string; message: string }[];
    };
    expect(report.files.map((file) => file.verdict)).toEqual(['unscannable']);
    expect(report.findings.find((finding) => finding.ruleId === 'SCAN-001')?.message).toMatch(
      /could not query https:\/\/osv\.invalid: fetch failed.*not checked against OSV\.dev/,
    );
    expect(run.status).toBe(1);
  });
});
