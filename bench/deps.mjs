#!/usr/bin/env node
// OSV index and audit speed, beside a Python `packaging` reference matcher run in the same session.
//
//   node bench/deps.mjs [JSONL]
//
// JSONL defaults to the shared PyPA advisory data (../shared/data/pypa-advisory-db.osv.jsonl). A synthetic database
// ten times its size (every record copied nine more times under renamed packages and ids) is written to /tmp. For
// each database it times, for mlsec: the cold index build (parse, index, write the cache), the warm start in a fresh
// process (read the cache) and the audit of a 1,000-package lock; for /usr/bin/python3 with Debian's packaging: the
// load (it has no cache) and the same audit, with test/fixtures/deps/reference/generate_reference.py's matcher.
// Both audits must find the same advisory ids. Needs `npm run build` first. Targets: cold ≤ 500 ms on the shared
// data, warm ≤ 50 ms, audit ≤ 100 ms.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const shared = resolve(process.argv[2] ?? join(repo, '../shared/data/pypa-advisory-db.osv.jsonl'));
const work = mkdtempSync(join(tmpdir(), 'mlsec-bench-deps-'));
const PINS = 1000;

function synthetic(source, copies) {
  const lines = readFileSync(source, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  const out = [];
  for (let copy = 0; copy < copies; copy++) {
    for (const line of lines) {
      if (copy === 0) {
        out.push(line);
        continue;
      }
      const record = JSON.parse(line);
      record.id = `${record.id}-SYN${copy}`;
      for (const affected of record.affected ?? []) {
        if (affected.package !== undefined) affected.package.name = `${affected.package.name}-syn${copy}`;
      }
      out.push(JSON.stringify(record));
    }
  }
  const path = join(work, 'synthetic-10x.osv.jsonl');
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

/**
 * Two 1,000-pin locks. `lock`: 1,000 distinct packages, every advised package of the database once (at an
 * affected version from its first record) and then popular names without advisories — far more vulnerable than a
 * real lock. `stress`: two pins (an affected version and a `.post99` above the last) per record in id order, which
 * piles up on the packages with hundreds of advisories (django, ansible, tensorflow).
 */
function locksOf(source) {
  const records = readFileSync(source, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
  const distinct = new Map();
  const stress = new Map();
  for (const record of records) {
    for (const affected of record.affected ?? []) {
      const name = affected.package?.name;
      const versions = affected.versions ?? [];
      if (name === undefined || versions.length === 0) continue;
      const middle = versions[Math.floor(versions.length / 2)];
      if (!distinct.has(name.toLowerCase())) distinct.set(name.toLowerCase(), [name, middle]);
      for (const version of [middle, `${versions.at(-1)}.post99`]) {
        if (stress.size < PINS) stress.set(`${name}==${version}`, [name, version]);
      }
    }
  }
  const popular = JSON.parse(
    readFileSync(join(repo, '../shared/data/top-pypi-packages/top-pypi-packages.min.json'), 'utf8'),
  );
  for (const { project } of popular.rows) {
    if (distinct.size >= PINS) break;
    if (!distinct.has(project)) distinct.set(project, [project, '1.0.0']);
  }
  const write = (label, pins) => {
    const path = join(work, `${label}.json`);
    writeFileSync(path, JSON.stringify([...pins.values()].slice(0, PINS)));
    return path;
  };
  return { lock: write('lock', distinct), stress: write('stress', stress) };
}

const NODE_PROBE = `
import { loadIndex } from ${JSON.stringify(join(repo, 'dist/scanners/deps/osv/cache.js'))};
import { groupMatches, matchPackage, smallestSafeUpgrade } from ${JSON.stringify(join(repo, 'dist/scanners/deps/osv/match.js'))};
import { normalizeName } from ${JSON.stringify(join(repo, 'dist/scanners/deps/pep508/parse.js'))};
import { readFileSync } from 'node:fs';
const [db, cacheDir, lock] = process.argv.slice(1);
let start = performance.now();
const index = await loadIndex(db, { cacheDir });
const load = performance.now() - start;
const pins = JSON.parse(readFileSync(lock, 'utf8'));
start = performance.now();
let ids = 0;
const results = {};
for (const [name, version] of pins) {
  const normalized = normalizeName(name);
  const matches = matchPackage(index, normalized, version);
  groupMatches(matches);
  smallestSafeUpgrade(index, normalized, matches);
  ids += matches.length;
  results[normalized + '==' + version] = matches.map((match) => match.advisory.id).sort();
}
const audit = performance.now() - start;
process.stdout.write(JSON.stringify({ load, audit, ids, results }));
`;

const PYTHON_PROBE = `
import json, sys, time
sys.path.insert(0, ${JSON.stringify(join(repo, 'test/fixtures/deps/reference'))})
import generate_reference as ref
from packaging.utils import canonicalize_name
db, lock = sys.argv[1:3]
start = time.perf_counter()
records_by_name = {}
with open(db, encoding="utf-8") as handle:
    for line in handle:
        if not line.strip():
            continue
        record = json.loads(line)
        if "withdrawn" in record:
            continue
        for affected in record.get("affected", []):
            package = affected.get("package", {})
            if package.get("ecosystem") == "PyPI":
                records_by_name.setdefault(canonicalize_name(package["name"]), []).append((record, affected))
load = (time.perf_counter() - start) * 1000
pins = json.load(open(lock))
start = time.perf_counter()
results = {}
for name, version in pins:
    results[canonicalize_name(name) + "==" + version] = ref.advisories_for(records_by_name, name, version)
audit = (time.perf_counter() - start) * 1000
print(json.dumps({"load": load, "audit": audit, "ids": sum(len(v) for v in results.values()), "results": results}))
`;

function node(db, cacheDir, lock) {
  const started = performance.now();
  const run = spawnSync('node', ['--input-type=module', '-e', NODE_PROBE, db, cacheDir, lock], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return { ...JSON.parse(run.stdout), wall: performance.now() - started };
}

function python(db, lock) {
  const started = performance.now();
  const run = spawnSync('/usr/bin/python3', ['-c', PYTHON_PROBE, db, lock], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return { ...JSON.parse(run.stdout), wall: performance.now() - started };
}

const ms = (value) => `${value.toFixed(1)} ms`;
console.log(`mlsec deps benchmark — ${new Date().toISOString()} — ${PINS}-pin locks`);
console.log(
  '| database | lock | mlsec cold build | mlsec warm start | mlsec audit | python load | python audit | ids (mlsec / python) | agree |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
const locks = locksOf(shared);
const syntheticDb = synthetic(shared, 10);
for (const [label, db, lockLabel, lock] of [
  ['shared PyPA JSONL', shared, '1,000 packages', locks.lock],
  ['shared PyPA JSONL', shared, 'stress', locks.stress],
  ['synthetic 10×', syntheticDb, '1,000 packages', locks.lock],
  ['synthetic 10×', syntheticDb, 'stress', locks.stress],
]) {
  const cacheDir = mkdtempSync(join(work, 'cache-'));
  const cold = node(db, cacheDir, lock);
  const warm = node(db, cacheDir, lock);
  const reference = python(db, lock);
  const agree =
    JSON.stringify(warm.results) === JSON.stringify(reference.results) &&
    JSON.stringify(cold.results) === JSON.stringify(warm.results);
  const size = `${(readFileSync(db).length / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `| ${label} (${size}) | ${lockLabel} | ${ms(cold.load)} | ${ms(warm.load)} (process ${ms(warm.wall)}) | ${ms(warm.audit)} | ${ms(reference.load)} | ${ms(reference.audit)} | ${warm.ids} / ${reference.ids} | ${agree ? 'yes' : 'NO'} |`,
  );
}
