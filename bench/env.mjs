#!/usr/bin/env node
// Installed-file integrity speed: RECORD verification (ENV-INT) over real and synthetic site folders.
//
//   node bench/env.mjs [SITE]
//
// SITE defaults to Debian's /usr/lib/python3/dist-packages, read in place and never written. A synthetic
// site-packages of 300 distributions and about 1 GiB of installed files (RECORD digests computed here, one file in
// ten thousand left unchanged on disk, nothing tampered) is also written under /tmp and removed afterwards. For
// each site, mlsec is given every `*.dist-info/RECORD` as an explicit path with `--select ENV-INT`, so only the
// integrity check runs; it is run three times and the fastest run is reported (warm page cache; the first run's time is printed too) with one
// worker and with one per CPU. Prints distributions, files with digests, bytes listed, wall time, MB/s and peak RSS
// from /usr/bin/time -v. Needs `npm run build` first. Target: ≤ 5 s per GB.
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measure } from './time.mjs';

const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'bin/mlsec.js');
const timeoutSeconds = Number(process.env.BENCH_TIMEOUT ?? 900);

/** RECORD files of a site folder, and what they list with a digest that exists on disk. */
function inventory(site) {
  const records = readdirSync(site)
    .filter((name) => name.endsWith('.dist-info') && existsSync(join(site, name, 'RECORD')))
    .map((name) => join(site, name, 'RECORD'));
  let files = 0;
  let bytes = 0;
  for (const record of records) {
    for (const row of readFileSync(record, 'utf8').split('\n')) {
      const match = /^"?(.*?)"?,(sha\d+=[^,]+),(\d*)$/.exec(row);
      if (match === null) continue;
      const path = join(site, match[1]);
      if (!existsSync(path)) continue;
      // Only files whose size matches are hashed; a size mismatch is reported without reading.
      const size = statSync(path).size;
      if (match[3] !== '' && Number(match[3]) !== size) continue;
      files += 1;
      bytes += size;
    }
  }
  return { records, files, bytes };
}

/** 300 distributions: a package with modules and a few large data or extension-sized files each, ~1 GiB in all. */
function synthetic(root) {
  const site = join(root, 'lib/python3.11/site-packages');
  const dists = 300;
  const large = Math.floor(1024 ** 3 / dists / 4);
  for (let index = 0; index < dists; index++) {
    const name = `synth${String(index).padStart(3, '0')}`;
    const distInfo = `${name}-1.0.dist-info`;
    mkdirSync(join(site, name), { recursive: true });
    mkdirSync(join(site, distInfo), { recursive: true });
    const files = { [`${name}/__init__.py`]: Buffer.from(`VERSION = "1.0"\n`) };
    for (let module = 0; module < 20; module++)
      files[`${name}/m${module}.py`] = Buffer.from(
        `def f${module}(x):\n    return x * ${module}\n`.repeat(40),
      );
    for (let blob = 0; blob < 4; blob++) files[`${name}/_lib${blob}.so`] = randomBytes(large);
    files[`${distInfo}/METADATA`] = Buffer.from(`Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n`);
    files[`${distInfo}/INSTALLER`] = Buffer.from('pip\n');
    const rows = [];
    for (const [path, data] of Object.entries(files)) {
      writeFileSync(join(site, path), data);
      rows.push(`${path},sha256=${createHash('sha256').update(data).digest('base64url')},${data.length}`);
    }
    rows.push(`${distInfo}/RECORD,,`);
    writeFileSync(join(site, distInfo, 'RECORD'), `${rows.join('\n')}\n`);
  }
  return site;
}

function run(label, site) {
  const { records, files, bytes } = inventory(site);
  console.log(`\n${label}: ${site}`);
  console.log(
    `  ${records.length} distributions with RECORD, ${files} files hashed, ${(bytes / 1e6).toFixed(1)} MB`,
  );
  for (const workers of [1, availableParallelism()]) {
    const args = [
      cli,
      'scan',
      '--select',
      'ENV-INT',
      '--format',
      'json',
      '--workers',
      String(workers),
      ...records,
    ];
    const runs = [1, 2, 3].map(() =>
      measure(process.execPath, args, { timeFile: '/tmp/mlsec-bench-env.time', timeoutSeconds }),
    );
    const result = runs.reduce((best, one) => (one.seconds < best.seconds ? one : best));
    let findings;
    try {
      const report = JSON.parse(result.stdout);
      const counts = {};
      for (const finding of report.findings) counts[finding.ruleId] = (counts[finding.ruleId] ?? 0) + 1;
      findings = JSON.stringify(counts);
    } catch {
      findings = `unreadable output (exit ${result.exit})`;
    }
    const rate = bytes / 1e6 / result.seconds;
    console.log(
      `  ${workers} worker(s): ${result.seconds.toFixed(2)} s, ${rate.toFixed(0)} MB/s ` +
        `(${(result.seconds / (bytes / 1e9)).toFixed(2)} s per GB; first run ${runs[0].seconds.toFixed(2)} s), peak RSS ${result.rssMb.toFixed(0)} MB, exit ${result.exit}, findings ${findings}`,
    );
  }
}

run('site folder', resolve(process.argv[2] ?? '/usr/lib/python3/dist-packages'));
const work = mkdtempSync(join(tmpdir(), 'mlsec-bench-env-'));
try {
  run('synthetic venv (300 distributions)', synthetic(work));
} finally {
  rmSync(work, { recursive: true, force: true });
}
