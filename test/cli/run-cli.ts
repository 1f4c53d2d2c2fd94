import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The repository root; the built CLI (`npm test` builds first) is run from here by default. */
export const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/mlsec.js');

/** Runs the built CLI without colour and returns its exit status and output. */
export function mlsec(args: string[], cwd = REPO): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('node', [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
