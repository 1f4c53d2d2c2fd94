#!/usr/bin/env node
// Package scanning speed and false positives on real code: wheels and sdists read without extraction.
//
//   node bench/packages.mjs
//
// Inputs, all real: the pip and setuptools wheels Debian ships (/usr/share/python-wheels), and wheels packed here
// (Python's zipfile, deflate, the way bdist_wheel packs them) from the installed trees of large Debian packages:
// torch, scipy, sklearn, numpy, matplotlib, pandas, onnx, h5py, requests, urllib3, paramiko and others, with their
// extension modules. mlsec scans the folder with one worker and with one per CPU (fastest of three runs). The
// reference is a Python pass that does the least any Python-based package scanner does: open every wheel with
// zipfile and `ast.parse` every module (GuardDog, the anchor, needs semgrep/YARA and cannot be installed offline).
// Prints archives, modules, lines and bytes, wall time, MB/s, lines/s, peak RSS (/usr/bin/time -v), the ratio, and
// every package that got a finding: on these well-known packages any PKG-RISK-001 is a false positive.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measure } from './time.mjs';

const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'bin/mlsec.js');
const site = '/usr/lib/python3/dist-packages';
const packages = [
  'torch',
  'scipy',
  'sklearn',
  'numpy',
  'matplotlib',
  'pandas',
  'onnx',
  'h5py',
  'joblib',
  'requests',
  'urllib3',
  'paramiko',
  'cryptography',
  'yaml',
  'jinja2',
  'setuptools',
  'pip',
  'bandit',
  'dill',
  'cloudpickle',
  'PIL',
  'fontTools',
  'sympy',
  'networkx',
  'git',
  'pygments',
  'docutils',
  'hypothesis',
  '_pytest',
  'bs4',
];
const timeFile = join(tmpdir(), 'mlsec-bench-packages.time');

const PACK = `
import os, sys, zipfile
site, out = sys.argv[1], sys.argv[2]
for name in sys.argv[3:]:
    root = os.path.join(site, name)
    if not os.path.isdir(root):
        continue
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        files += [os.path.join(folder, n) for n in sorted(names) if os.path.isfile(os.path.join(folder, n))]
    platform = any('.so' in f for f in files)
    tag = 'cp311-cp311-linux_x86_64' if platform else 'py3-none-any'
    dist = name.strip('_').lower()
    with zipfile.ZipFile(os.path.join(out, f'{dist}-0.0.1-{tag}.whl'), 'w', zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, os.path.relpath(path, site))
        info = f'{dist}-0.0.1.dist-info'
        archive.writestr(f'{info}/METADATA', f'Metadata-Version: 2.1\\nName: {dist}\\nVersion: 0.0.1\\nSummary: {name} as installed by Debian\\n')
        archive.writestr(f'{info}/WHEEL', f'Wheel-Version: 1.0\\nRoot-Is-Purelib: {str(not platform).lower()}\\nTag: {tag}\\n')
`;

const REFERENCE = `
import ast, os, sys, warnings, zipfile
warnings.simplefilter('ignore')
modules = lines = 0
for name in sorted(os.listdir(sys.argv[1])):
    with zipfile.ZipFile(os.path.join(sys.argv[1], name)) as archive:
        for entry in archive.namelist():
            if entry.endswith('.py'):
                source = archive.read(entry)
                modules += 1
                lines += source.count(b'\\n')
                try:
                    ast.parse(source)
                except (SyntaxError, ValueError):
                    pass
print(modules, lines)
`;

const folder = mkdtempSync(join(tmpdir(), 'mlsec-bench-packages-'));
try {
  spawnSync('/usr/bin/python3', ['-c', PACK, site, folder, ...packages], { stdio: 'inherit' });
  for (const wheel of existsSync('/usr/share/python-wheels') ? readdirSync('/usr/share/python-wheels') : []) {
    spawnSync('cp', [join('/usr/share/python-wheels', wheel), folder]);
  }
  const archives = readdirSync(folder);
  const bytes = archives.reduce((sum, name) => sum + statSync(join(folder, name)).size, 0);
  const reference = measure('/usr/bin/python3', ['-c', REFERENCE, folder], { timeFile, timeoutSeconds: 900 });
  const [modules, lines] = reference.stdout.trim().split(' ').map(Number);
  console.log(
    `${archives.length} archives, ${(bytes / 1e6).toFixed(1)} MB compressed, ${modules} modules, ${lines} lines`,
  );
  console.log(
    `reference (python3 zipfile + ast.parse): ${reference.seconds.toFixed(2)} s, ${reference.rssMb.toFixed(0)} MB peak`,
  );
  for (const workers of [1, availableParallelism()]) {
    const runs = [0, 1, 2].map(() =>
      measure('node', [cli, 'scan', folder, '--workers', String(workers), '--format', 'json'], {
        timeFile,
        timeoutSeconds: 900,
      }),
    );
    const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const ratio = reference.seconds / best.seconds;
    console.log(
      `mlsec, ${workers} worker(s): ${best.seconds.toFixed(2)} s (first run ${runs[0].seconds.toFixed(2)} s), ` +
        `${(bytes / 1e6 / best.seconds).toFixed(1)} MB/s, ${Math.round(lines / best.seconds)} lines/s, ` +
        `${best.rssMb.toFixed(0)} MB peak, ${ratio.toFixed(2)}× the reference`,
    );
    if (workers === 1) {
      const report = JSON.parse(best.stdout);
      for (const file of report.files.filter((entry) => entry.verdict !== 'clean')) {
        const ids = file.findings.map((id) => report.findings.find((finding) => finding.id === id)?.ruleId);
        console.log(`  ${file.path}: ${file.verdict} (${[...new Set(ids)].join(', ')})`);
      }
    }
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
