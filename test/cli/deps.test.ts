import { describe, expect, it } from 'vitest';
import { mlsec } from './run-cli.js';

/** End-to-end: the built CLI (`npm test` builds first) on the hand-made fixture environment and lock. */
const VENV = 'test/fixtures/deps/env/venv';

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
      'idna==3.6\n└── requests==2.31.0 [requires: idna<4,>=2.5]\n    └── app==1.0 [requires: requests>=2.28]\n',
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
  ])('exits 2 on %j', (args, message) => {
    const run = mlsec(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
