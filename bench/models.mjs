#!/usr/bin/env node
// Throughput of the model scanner on large realistic files, beside picklescan in the same run.
//
//   node bench/models.mjs [BENCH_DIR]
//
// Makes the files with ../shared/tools/models_bench.py (Debian's /usr/bin/python3 with python3-torch,
// python3-numpy, python3-joblib) unless they exist, plus a folder of 10,000 small pickles. Times each scan with
// /usr/bin/time -v (wall clock and peak RSS). picklescan runs when PICKLESCAN_SRC points at its `src` folder
// (a checkout of mmaitre314/picklescan; default /tmp/anchors/picklescan/src). Needs `npm run build` first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { measure as measureUnderTime } from './time.mjs';

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
const GGUF_FILE = 'big_sparse.gguf';
const HDF5_FILE = 'big_weights.h5';
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

/** GGUF value type ids (ggml's gguf_type) for what the header below uses. */
const GGUF_UINT32 = 4;
const GGUF_STRING = 8;
const GGUF_ARRAY = 9;

function ggufString(text) {
  const bytes = Buffer.from(text);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([length, bytes]);
}

const u32 = (value) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
};
const u64 = (value) => {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
};

/**
 * A 1 GiB GGUF v3 file laid out as llama.cpp writes one: `general.*` keys, a 32,000-token vocabulary array, a
 * normal chat template, and four 256 MiB F32 tensors whose data is a sparse hole. Only the header is read.
 */
function makeSparseGguf(path) {
  const template =
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token }}{% endfor %}";
  const tokens = Array.from({ length: 32_000 }, (_, index) => `tok${index}`);
  const metadata = [
    [ggufString('general.architecture'), u32(GGUF_STRING), ggufString('llama')],
    [ggufString('general.name'), u32(GGUF_STRING), ggufString('bench-llama')],
    [ggufString('llama.context_length'), u32(GGUF_UINT32), u32(4096)],
    [ggufString('tokenizer.chat_template'), u32(GGUF_STRING), ggufString(template)],
    [
      ggufString('tokenizer.ggml.tokens'),
      u32(GGUF_ARRAY),
      u32(GGUF_STRING),
      u64(tokens.length),
      ...tokens.map(ggufString),
    ],
  ];
  const tensorBytes = 8192 * 8192 * 4;
  const tensorInfos = Array.from({ length: 4 }, (_, index) => [
    ggufString(`blk.${index}.ffn.weight`),
    u32(2),
    u64(8192),
    u64(8192),
    u32(0), // F32
    u64(index * tensorBytes),
  ]);
  const header = Buffer.concat([
    Buffer.from('GGUF'),
    u32(3),
    u64(tensorInfos.length),
    u64(metadata.length),
    ...metadata.flat(),
    ...tensorInfos.flat(),
  ]);
  const aligned = Buffer.concat([header, Buffer.alloc(-header.length & 31)]);
  writeFileSync(path, aligned);
  truncateSync(path, aligned.length + 4 * tensorBytes);
}

/** A 1 GiB Keras-2-style weights-only HDF5 file from h5py (real data: HDF5 needs it written). */
function makeKerasWeights(path) {
  const script = [
    'import sys, h5py, numpy as np',
    'with h5py.File(sys.argv[1], "w") as f:',
    '    f.attrs["keras_version"] = b"2.12.0"; f.attrs["backend"] = b"tensorflow"',
    '    names = []',
    '    for i in range(4):',
    '        g = f.create_group("dense_%d/dense_%d" % (i, i)); names.append(b"dense_%d" % i)',
    '        g.create_dataset("kernel:0", data=np.ones((8192, 8192), dtype=np.float32))',
    '    f.attrs["layer_names"] = np.array(names)',
  ].join('\n');
  execFileSync(python, ['-c', script, path], { stdio: 'inherit' });
}

function prepare() {
  mkdirSync(benchDir, { recursive: true });
  if (!existsSync(join(benchDir, SAFETENSORS_FILE))) makeSparseSafetensors(join(benchDir, SAFETENSORS_FILE));
  if (!existsSync(join(benchDir, GGUF_FILE))) makeSparseGguf(join(benchDir, GGUF_FILE));
  if (!existsSync(join(benchDir, HDF5_FILE))) makeKerasWeights(join(benchDir, HDF5_FILE));
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

function measure(command, args, env = {}) {
  return measureUnderTime(command, args, { timeFile: join(benchDir, '.time'), timeoutSeconds, env });
}

function mlsec(target, format = 'json') {
  const run = measure('node', [
    join(repo, 'bin/mlsec.js'),
    'scan',
    target,
    '--format',
    format,
    '--fail-on',
    'none',
    '--no-progress',
  ]);
  let verdicts;
  try {
    const report = JSON.parse(run.stdout);
    const counts =
      format === 'json'
        ? report.summary.verdicts
        : { components: report.components.length, vulnerabilities: report.vulnerabilities.length };
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
  const gguf = mlsec(join(benchDir, GGUF_FILE));
  console.log(`| 1 GiB GGUF, 32k-token vocabulary (sparse data) | ≤ 0.2 s | — | ${fmt(gguf)} | n/a | n/a |`);
  // HDF5 files are walked once for hostile heaps before h5wasm opens them, so this one costs a read.
  const hdf5Path = join(benchDir, HDF5_FILE);
  const hdf5Floor = cat(hdf5Path);
  const hdf5 = mlsec(hdf5Path);
  console.log(
    `| 1 GiB Keras HDF5 weights | — | ${hdf5Floor.seconds.toFixed(2)} s | ${fmt(hdf5)} | n/a (ignores HDF5) | n/a |`,
  );
  // The ML-BOM hashes every file: the cost of --format cyclonedx over json on the 1.5 GB torch zip.
  const bom = mlsec(join(benchDir, 'big_state_dict.pt'), 'cyclonedx');
  console.log(`| 1.5 GB torch zip, --format cyclonedx (SHA-256) | — | — | ${fmt(bom)} | n/a | n/a |`);
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
