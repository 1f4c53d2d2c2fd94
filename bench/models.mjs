#!/usr/bin/env node
// Throughput of the model scanner on large realistic files, beside picklescan in the same run.
//
//   node bench/models.mjs [BENCH_DIR]
//
// Makes the files with ../shared/tools/models_bench.py (Debian's /usr/bin/python3 with python3-torch,
// python3-numpy, python3-joblib) unless they exist, plus a folder of 10,000 small pickles. Times each scan with
// /usr/bin/time -v (wall clock and peak RSS). picklescan runs when PICKLESCAN_SRC points at its `src` folder
// (a checkout of mmaitre314/picklescan; default /tmp/anchors/picklescan/src). Needs `npm run build` first.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const benchDir = resolve(process.argv[2] ?? '/tmp/mlsec-bench');
const picklescanSrc = process.env.PICKLESCAN_SRC ?? '/tmp/anchors/picklescan/src';
const python = '/usr/bin/python3';
const timeoutSeconds = Number(process.env.BENCH_TIMEOUT ?? 300);

const LARGE_FILES = [
  ['many_tuples.pkl', '5M-tuple pickle (p4)', '≤ 3 s, ≤ 300 MB'],
  ['big_numpy_dict.pkl', '1 GB pickle of NumPy arrays', '≤ 1 s, ≤ 200 MB'],
  ['big_state_dict.pt', '1.5 GB torch zip', '≤ 0.3 s'],
  ['big_joblib.joblib', '512 MB uncompressed joblib', '≤ 0.5 s'],
  ['big_legacy.pt', '512 MB legacy torch (non-zip)', '—'],
];
const SAFETENSORS_FILE = 'big_sparse.safetensors';
const SMALL_DIR = 'small_pickles';
const SMALL_COUNT = 10_000;

/**
 * A 2 GiB safetensors file: four 512 MiB F32 tensors behind a real header, the data a sparse hole made by
 * truncate, so it costs no time or disk. mlsec reads only the header, so its time must not depend on the data.
 */
function makeSparseSafetensors(path) {
  const tensorBytes = 16384 * 8192 * 4;
  const header = {};
  for (let index = 0; index < 4; index++) {
    header[`layers.${index}.weight`] = {
      dtype: 'F32',
      shape: [16384, 8192],
      data_offsets: [index * tensorBytes, (index + 1) * tensorBytes],
    };
  }
  const json = Buffer.from(JSON.stringify(header));
  const padded = Buffer.concat([json, Buffer.alloc(-json.length & 7, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));
  writeFileSync(path, Buffer.concat([length, padded]));
  truncateSync(path, 8 + padded.length + 4 * tensorBytes);
}

function prepare() {
  mkdirSync(benchDir, { recursive: true });
  if (!existsSync(join(benchDir, SAFETENSORS_FILE))) makeSparseSafetensors(join(benchDir, SAFETENSORS_FILE));
  const missing = LARGE_FILES.some(([name]) => !existsSync(join(benchDir, name)));
  if (missing) {
    console.error(`making large files in ${benchDir} (about two minutes)…`);
    execFileSync(python, [resolve(repo, '../shared/tools/models_bench.py'), benchDir], { stdio: 'inherit' });
  }
  const small = join(benchDir, SMALL_DIR);
  if (!existsSync(small) || readdirSync(small).length < SMALL_COUNT) {
    console.error(`making ${SMALL_COUNT} small pickles…`);
    const script = [
      'import pickle, os, sys, collections',
      'd = sys.argv[1]; os.makedirs(d, exist_ok=True)',
      `for i in range(${SMALL_COUNT}):`,
      '    obj = collections.OrderedDict(step=i, name="run-%d" % i, loss=[0.5 / (i + 1)] * 8)',
      '    open(os.path.join(d, "p%05d.pkl" % i), "wb").write(pickle.dumps(obj, protocol=4))',
    ].join('\n');
    execFileSync(python, ['-c', script, small], { stdio: 'inherit' });
  }
}

/** Runs a command under /usr/bin/time -v; returns wall seconds, peak RSS in MB and the exit code. */
function measure(command, args, env = {}) {
  const timeFile = join(benchDir, '.time');
  const result = spawnSync(
    '/usr/bin/time',
    ['-v', '-o', timeFile, 'timeout', String(timeoutSeconds), command, ...args],
    {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    },
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

function mlsec(target) {
  const run = measure('node', [
    join(repo, 'bin/mlsec.js'),
    'scan',
    target,
    '--format',
    'json',
    '--fail-on',
    'none',
    '--no-progress',
  ]);
  let verdicts;
  try {
    const report = JSON.parse(run.stdout);
    const counts = report.summary.verdicts;
    verdicts = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([v, n]) => `${n} ${v}`)
      .join(', ');
  } catch {
    verdicts = `exit ${run.exit}`;
  }
  return { ...run, verdicts };
}

function picklescan(target) {
  if (!existsSync(picklescanSrc)) return undefined;
  const run = measure(
    python,
    ['-c', 'import sys; from picklescan.cli import main; sys.exit(main())', '-p', target],
    {
      PYTHONPATH: picklescanSrc,
    },
  );
  return { ...run, verdicts: `exit ${run.exit}` };
}

function cat(target) {
  execFileSync('sh', ['-c', `cat "${target}" > /dev/null`]);
  return measure('sh', ['-c', `cat "${target}" > /dev/null`]);
}

const fmt = (run) =>
  run === undefined ? 'n/a' : `${run.seconds.toFixed(2)} s, ${run.rssMb.toFixed(0)} MB (${run.verdicts})`;

prepare();
console.log(`mlsec model benchmark — ${new Date().toISOString()} — ${benchDir}`);
console.log(`| input | target | cat (warm) | mlsec | picklescan | picklescan ÷ mlsec |`);
console.log(`|---|---|---|---|---|---|`);
for (const [name, label, target] of LARGE_FILES) {
  const path = join(benchDir, name);
  const floor = cat(path);
  const ours = mlsec(path);
  const theirs = picklescan(path);
  const ratio = theirs === undefined ? 'n/a' : `${(theirs.seconds / ours.seconds).toFixed(1)}×`;
  console.log(
    `| ${label} | ${target} | ${floor.seconds.toFixed(2)} s | ${fmt(ours)} | ${fmt(theirs)} | ${ratio} |`,
  );
}
{
  // picklescan ignores safetensors, and cat would only read the sparse hole: neither is a useful reference.
  const ours = mlsec(join(benchDir, SAFETENSORS_FILE));
  console.log(`| 2 GiB safetensors (sparse data) | ≤ 0.2 s scanning | — | ${fmt(ours)} | n/a | n/a |`);
}
const small = join(benchDir, SMALL_DIR);
const ours = mlsec(small);
const theirs = picklescan(small);
const rate = (run) => (run === undefined ? 'n/a' : `${Math.round(SMALL_COUNT / run.seconds)} files/s`);
console.log(
  `| ${SMALL_COUNT} small pickles | ≥ 2,000 files/s | — | ${fmt(ours)}, ${rate(ours)} | ${fmt(theirs)}, ${rate(theirs)} | ${
    theirs === undefined ? 'n/a' : `${(theirs.seconds / ours.seconds).toFixed(1)}×`
  } |`,
);
