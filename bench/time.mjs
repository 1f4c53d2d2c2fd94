// Runs a command under `/usr/bin/time -v` and reads back what the benchmarks report: wall time and peak RSS.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Runs `command args` (killed after `timeoutSeconds`) and returns wall seconds, peak RSS in MB, the exit code and
 * standard output. `timeFile` receives time's report; `env` adds to the environment.
 */
export function measure(command, args, { timeFile, timeoutSeconds, env = {} }) {
  const result = spawnSync(
    '/usr/bin/time',
    ['-v', '-o', timeFile, 'timeout', String(timeoutSeconds), command, ...args],
    { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 },
  );
  const text = readFileSync(timeFile, 'utf8');
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(text);
  const seconds = wall === null ? NaN : Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
  return {
    seconds,
    rssMb: rss === null ? NaN : Number(rss[1]) / 1024,
    exit: result.status,
    stdout: result.stdout,
  };
}
