import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { runScan } from '../../src/core/engine.js';
import type { Finding } from '../../src/core/finding.js';
import type { ScanReport } from '../../src/core/report-model.js';

/**
 * A real environment: `/usr/bin/python3 -m venv` (Debian's python3-venv), an editable install of a tiny local
 * project made offline by the venv's own pip, then a malicious `.pth` dropped into its site-packages. The venv's
 * Python never runs after that file is written; the scan only reads it.
 */
const PYTHON = '/usr/bin/python3';

function run(command: string, args: readonly string[], cwd?: string): { ok: boolean; output: string } {
  // pip must not see this machine's index, find-links or cache settings: the install is offline and hermetic.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('PIP_') && !key.startsWith('PYTHON')),
  );
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...env,
      PIP_CONFIG_FILE: devNull,
      PIP_NO_INDEX: '1',
      PIP_NO_CACHE_DIR: '1',
      PIP_NO_INPUT: '1',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
    },
  });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** `python3 -m venv` needs the venv module and ensurepip's bundled wheels (Debian: python3-venv). */
const venvAvailable = existsSync(PYTHON) && run(PYTHON, ['-c', 'import venv, ensurepip']).ok;
const pythonVersion = venvAvailable
  ? run(PYTHON, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).output.trim()
  : '';

const MALICIOUS = 'zz_pwned.pth';

describe.skipIf(!venvAvailable)(
  `a venv built with ${PYTHON} -m venv (skipped when python3-venv is not installed)`,
  () => {
    let root = '';
    let site = '';
    /** PEP 660 when setuptools can build an editable wheel (it needs `wheel`), else `setup.py develop`. */
    let editable: 'pep660' | 'legacy' = 'legacy';
    let report: ScanReport;

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'mlsec-real-venv-'));
      const venv = join(root, 'venv');
      // System site packages let the build see Debian's python3-wheel (setuptools 66 needs it for PEP 660).
      const created = run(PYTHON, ['-m', 'venv', '--system-site-packages', venv]);
      if (!created.ok) throw new Error(`python3 -m venv failed:\n${created.output}`);
      const python = join(venv, 'bin', 'python');
      const project = join(root, 'tinyproj');
      mkdirSync(join(project, 'tinyproj'), { recursive: true });
      writeFileSync(join(project, 'tinyproj', '__init__.py'), 'def hello():\n    return "hi"\n');
      editable = run(python, ['-c', 'import wheel.bdist_wheel']).ok ? 'pep660' : 'legacy';
      if (editable === 'pep660') {
        writeFileSync(
          join(project, 'pyproject.toml'),
          '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n' +
            '[project]\nname = "tinyproj"\nversion = "0.1.0"\n',
        );
      } else {
        writeFileSync(
          join(project, 'setup.py'),
          'from setuptools import setup\n\nsetup(name="tinyproj", version="0.1.0", packages=["tinyproj"])\n',
        );
      }
      const args = ['-m', 'pip', 'install', '--no-index', '--no-build-isolation'];
      if (editable === 'legacy') args.push('--no-use-pep517');
      const installed = run(python, [...args, '-e', project]);
      if (!installed.ok) throw new Error(`editable install failed:\n${installed.output}`);

      const lib = join(venv, 'lib');
      site = join(lib, readdirSync(lib).find((name) => name.startsWith('python')) ?? '', 'site-packages');
      // What virtualenv and uv add to the environments they create (neither is installed here): the
      // `_virtualenv.pth` hook, its module, and the creator recorded in pyvenv.cfg.
      writeFileSync(join(site, '_virtualenv.pth'), 'import _virtualenv');
      writeFileSync(
        join(site, '_virtualenv.py'),
        '"""Patches distutils so that it installs into the virtual environment."""\n' +
          'VIRTUALENV_PATCH_FILE = __file__\n',
      );
      appendFileSync(join(venv, 'pyvenv.cfg'), 'virtualenv = 20.26.6\n');
      // Last: from here on nothing may start this venv's Python.
      writeFileSync(join(site, MALICIOUS), "import os; os.system('echo pwned')\n");

      report = await runScan({ paths: [venv], config: await loadConfig(venv), workers: 0 });
    }, 300_000);

    afterAll(() => {
      rmSync(root, { recursive: true, force: true });
    });

    const active = (): Finding[] => report.findings.filter((finding) => finding.suppressed === undefined);
    const at = (name: string): Finding[] =>
      active().filter((finding) => finding.location.path.endsWith(`/${name}`));

    it('rates the malicious .pth critical', () => {
      const pwned = at(MALICIOUS);
      expect(pwned.map((finding) => [finding.ruleId, finding.severity])).toContainEqual([
        'ENV-PTH-001',
        'critical',
      ]);
      expect(pwned.find((finding) => finding.ruleId === 'ENV-PTH-001')?.message).toContain(
        'os.system (starts a process)',
      );
    });

    it('says nothing about the editable install, setuptools and virtualenv hooks', () => {
      const pths = readdirSync(site).filter((name) => name.endsWith('.pth') && name !== MALICIOUS);
      expect(pths).toContain('distutils-precedence.pth');
      expect(pths).toContain('_virtualenv.pth');
      if (editable === 'pep660') {
        expect(pths).toContain('__editable__.tinyproj-0.1.0.pth');
        for (const name of pths) expect(at(name), name).toEqual([]);
      } else {
        // setup.py develop lists the project folder in easy-install.pth; in a temporary folder that is a
        // world-writable location, the only note it may get.
        expect(pths).toContain('easy-install.pth');
        for (const name of pths)
          expect(
            at(name).filter(
              (finding) => !(finding.ruleId === 'ENV-PTH-002' && /world-writable/.test(finding.message)),
            ),
            name,
          ).toEqual([]);
      }
    });

    it('has no other high or critical finding, and every RECORD matches the installed files', () => {
      const serious = active().filter(
        (finding) =>
          (finding.severity === 'high' || finding.severity === 'critical') &&
          !finding.location.path.endsWith(`/${MALICIOUS}`),
      );
      expect(serious).toEqual([]);
      expect(active().filter((finding) => finding.ruleId.startsWith('ENV-INT-'))).toEqual([]);
      expect(active().filter((finding) => finding.ruleId.startsWith('SCAN-'))).toEqual([]);
      const records = report.files.filter((file) => file.path.endsWith('.dist-info/RECORD'));
      expect(records.length).toBeGreaterThanOrEqual(editable === 'pep660' ? 3 : 2);
    });

    it('reports the venv as one environment with its Python, distributions and startup hooks', () => {
      expect(report.environments).toHaveLength(1);
      const [environment] = report.environments;
      expect(environment).toMatchObject({ kind: 'venv', python: pythonVersion });
      expect(environment?.siteFolders).toEqual([`${root}/venv/lib/python${pythonVersion}/site-packages`]);
      // pip, setuptools and tinyproj (an egg-info in the project folder for setup.py develop).
      expect(environment?.distributions).toBe(editable === 'pep660' ? 3 : 2);
      // distutils-precedence, _virtualenv, the malicious file, and the PEP 660 finder hook.
      expect(environment?.startupHooks).toBe(editable === 'pep660' ? 4 : 3);
    });
  },
);

const DPKG_INFO = '/var/lib/dpkg/info';

/** Every file Debian's packages installed under `prefix`, from dpkg's file lists. */
function debianFiles(prefix: string): Set<string> {
  return new Set(
    readdirSync(DPKG_INFO)
      .filter((name) => name.endsWith('.list'))
      .flatMap((name) => readFileSync(join(DPKG_INFO, name), 'utf8').split('\n'))
      .filter((line) => line.startsWith(`${prefix}/`)),
  );
}

describe.runIf(existsSync('/usr/lib/python3/dist-packages') && existsSync(DPKG_INFO))(
  "Debian's /usr/lib/python3 (read-only)",
  () => {
    it('gives no high or critical environment finding on the files Debian ships, and is one environment', async () => {
      const path = '/usr/lib/python3';
      const report = await runScan({ paths: [path], config: await loadConfig(path), workers: 0 });
      // Only what dpkg installed is Debian's: anything else in the folder was added by someone and is judged as such.
      const shipped = debianFiles(path);
      const serious = report.findings.filter(
        (finding) =>
          finding.ruleId.startsWith('ENV-') &&
          shipped.has(finding.location.path) &&
          finding.suppressed === undefined &&
          (finding.severity === 'high' || finding.severity === 'critical'),
      );
      expect(serious).toEqual([]);
      expect(
        report.findings.some(
          (finding) => /^ENV-(PTH|SITE|START)-/.test(finding.ruleId) && shipped.has(finding.location.path),
        ),
      ).toBe(false);
      expect(report.environments.map(({ kind, root, siteFolders }) => ({ kind, root, siteFolders }))).toEqual(
        [{ kind: 'dist-packages', root: '/usr', siteFolders: ['/usr/lib/python3/dist-packages'] }],
      );
    }, 300_000);
  },
);
