#!/usr/bin/env node
// Throughput of the Python code scanner beside bandit, run in the same session on the same tree.
//
//   node bench/code.mjs [TREE]
//
// TREE defaults to Debian's sympy (/usr/lib/python3/dist-packages/sympy, python3-sympy; about 800k lines), never
// copied into this repository. bandit is Debian's 1.6.2 (`apt-get install bandit`), run with its default profile.
// mlsec runs its default rule set, as bandit runs its default profile (off-by-default audits such as B101 `assert`
// are skipped by mlsec, so it is not timed doing them), once per worker count, so the scaling with threads shows.
// Needs `npm run build` first. Prints wall time, lines per second and peak RSS from /usr/bin/time -v.
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { measure as measureUnderTime } from './time.mjs';

const repo = resolve(import.meta.dirname, '..');
const tree = resolve(process.argv[2] ?? '/usr/lib/python3/dist-packages/sympy');
const timeoutSeconds = Number(process.env.BENCH_TIMEOUT ?? 900);

function pythonLines(directory) {
  let lines = 0;
  let files = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      const inner = pythonLines(path);
      lines += inner.lines;
      files += inner.files;
    } else if (entry.isFile() && entry.name.endsWith('.py')) {
      lines += readFileSync(path, 'utf8').split('\n').length;
      files += 1;
    }
  }
  return { lines, files };
}

function measure(command, args) {
  return measureUnderTime(command, args, { timeFile: '/tmp/mlsec-bench-code.time', timeoutSeconds });
}

const { lines, files } = pythonLines(tree);
console.log(`mlsec code benchmark — ${new Date().toISOString()} — ${tree}: ${files} files, ${lines} lines`);
console.log('| run | wall | lines/s | peak RSS | findings |');
console.log('|---|---|---|---|---|');
const row = (label, run, findings) =>
  console.log(
    `| ${label} | ${run.seconds.toFixed(2)} s | ${Math.round(lines / run.seconds).toLocaleString('en-US')} | ${run.rssMb.toFixed(0)} MB | ${findings} |`,
  );

const bandit = measure('bandit', ['-r', tree, '-f', 'json', '-q']);
let banditFindings = `exit ${bandit.exit}`;
try {
  banditFindings = String(JSON.parse(bandit.stdout).results.length);
} catch {
  // bandit printed no JSON (not installed, or it failed): the exit code says why.
}
row('bandit 1.6.2 (default profile)', bandit, banditFindings);

const workerCounts = [...new Set([1, availableParallelism()])];
for (const workers of workerCounts) {
  const run = measure('node', [
    join(repo, 'bin/mlsec.js'),
    'scan',
    tree,
    '--format',
    'json',
    '--fail-on',
    'none',
    '--no-progress',
    '--workers',
    String(workers),
  ]);
  let findings = `exit ${run.exit}`;
  try {
    findings = String(JSON.parse(run.stdout).summary.findings);
  } catch {
    // as above
  }
  row(`mlsec, ${workers} worker${workers === 1 ? '' : 's'}`, run, findings);
  console.log(
    `|   bandit ÷ mlsec (${workers} worker${workers === 1 ? '' : 's'}) | ${(bandit.seconds / run.seconds).toFixed(1)}× | | | |`,
  );
}
