import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT_ERROR } from '../../cli/exit-codes.js';
import { main } from '../../cli/main.js';
import { loadConfig } from '../../core/config/load.js';
import type { EnvironmentRecord } from '../../core/environment.js';
import { runScan } from '../../core/engine.js';
import { walk } from '../../targets/walk.js';
import { describeEnvironments } from './environment.js';
import { pythonTargets } from './python-target.js';

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

const EDITABLE = 'import __editable___demo_1_0_finder; __editable___demo_1_0_finder.install()\n';

/** A machine's worth of environments, written as plain files: nothing is installed or run. */
const TREE: Record<string, string> = {
  'project/train.py': 'import json\n',
  'project/.venv/pyvenv.cfg': 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n',
  'project/.venv/lib/python3.11/site-packages/demo-1.0.dist-info/METADATA': 'Name: demo\nVersion: 1.0\n',
  'project/.venv/lib/python3.11/site-packages/__editable__.demo-1.0.pth': EDITABLE,
  'project/.venv/lib/python3.11/site-packages/paths.pth': '/opt/extra\n',
  'project/.venv/lib/python3.11/site-packages/agent.start': 'agent.boot:run\n',
  'project/.venv/lib/python3.11/site-packages/demo/__init__.py': '',
  'miniconda3/conda-meta/python-3.12.1-hab00c5b_0.json': '{}',
  'miniconda3/lib/python3.12/os.py': 'import abc\n',
  'miniconda3/lib/python3.12/site-packages/conda-24.1.0.dist-info/METADATA': 'Name: conda\n',
  'miniconda3/lib/python3.12/site-packages/sitecustomize.py': 'import os\n',
  'miniconda3/pkgs/numpy-1.26.4-py312/lib/python3.12/site-packages/numpy/__init__.py': '',
  'miniconda3/envs/ml/conda-meta/history': '',
  'miniconda3/envs/ml/Lib/site-packages/torch-2.2.0.dist-info/METADATA': 'Name: torch\n',
  'miniconda3/envs/ml/Lib/site-packages/torch-2.2.0.dist-info/RECORD': '',
  'miniconda3/envs/ml/Lib/site-packages/distutils-precedence.pth':
    "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n",
  'miniconda3/envs/ml/Lib/os.py': 'import abc\n',
  'miniconda3/envs/broken/lib/python3.9/site-packages/old-1.0.dist-info/METADATA': 'Name: old\n',
  'home/.local/lib/python3.10/site-packages/rich-13.0.dist-info/METADATA': 'Name: rich\n',
  'home/AppData/Roaming/Python/Python312/site-packages/usercustomize/__init__.py': 'import sys\n',
  'usr/lib/python3/dist-packages/six-1.16.0.egg-info': 'Metadata-Version: 1.1\n',
  'usr/lib/python3/dist-packages/six.py': '',
  'usr/lib/python3/dist-packages/vendored/site-packages/inner-1.0.dist-info/METADATA': 'Name: inner\n',
};

describe('environment discovery', () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mlsec-envs-'));
    write(root, TREE);
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  async function environmentsOf(path: string): Promise<EnvironmentRecord[]> {
    const walked = await walk([path], { root, include: [], exclude: [] });
    return (await describeEnvironments(walked.environments, 1 << 20)).map((environment) => ({
      ...environment,
      root: environment.root.replace(`${root}/`, ''),
      siteFolders: environment.siteFolders.map((folder) => folder.replace(`${root}/`, '')),
    }));
  }

  it('reports venvs, conda base and envs, user sites and system folders as one entry each', async () => {
    expect(await environmentsOf(root)).toEqual([
      {
        kind: 'user-site',
        root: 'home/.local',
        python: '3.10',
        siteFolders: ['home/.local/lib/python3.10/site-packages'],
        distributions: 1,
        startupHooks: 0,
      },
      {
        kind: 'user-site',
        root: 'home/AppData/Roaming/Python/Python312',
        python: '3.12',
        siteFolders: ['home/AppData/Roaming/Python/Python312/site-packages'],
        distributions: 0,
        startupHooks: 1,
      },
      {
        kind: 'conda',
        root: 'miniconda3',
        python: '3.12',
        siteFolders: ['miniconda3/lib/python3.12/site-packages'],
        distributions: 1,
        startupHooks: 1,
      },
      {
        // A named environment without conda-meta/ is still its own environment, not part of the base.
        kind: 'conda',
        root: 'miniconda3/envs/broken',
        python: '3.9',
        siteFolders: ['miniconda3/envs/broken/lib/python3.9/site-packages'],
        distributions: 1,
        startupHooks: 0,
      },
      {
        // No python package in its conda-meta and a Windows layout: the version is unknown.
        kind: 'conda',
        root: 'miniconda3/envs/ml',
        siteFolders: ['miniconda3/envs/ml/Lib/site-packages'],
        distributions: 1,
        startupHooks: 1,
      },
      {
        kind: 'venv',
        root: 'project/.venv',
        python: '3.11',
        siteFolders: ['project/.venv/lib/python3.11/site-packages'],
        distributions: 1,
        startupHooks: 2,
      },
      {
        kind: 'dist-packages',
        root: 'usr',
        siteFolders: ['usr/lib/python3/dist-packages'],
        distributions: 1,
        startupHooks: 0,
      },
    ]);
  });

  it("names the venv around a site folder given as the argument, from its prefix's pyvenv.cfg", async () => {
    const site = join(root, 'project/.venv/lib/python3.11/site-packages');
    const [environment] = await environmentsOf(site);
    expect(environment).toMatchObject({
      kind: 'venv',
      root: 'project/.venv',
      python: '3.11',
      distributions: 1,
    });
  });

  it('marks the standard library, conda folders and Windows Lib/site-packages as installed', async () => {
    const walked = await walk([root], { root, include: [], exclude: [] });
    const installed = new Map(
      walked.files.map((file) => [file.displayPath.slice(root.length + 1), file.installed === true]),
    );
    expect(installed.get('project/train.py')).toBe(false);
    expect(installed.get('miniconda3/lib/python3.12/os.py')).toBe(true);
    expect(
      installed.get('miniconda3/pkgs/numpy-1.26.4-py312/lib/python3.12/site-packages/numpy/__init__.py'),
    ).toBe(true);
    expect(installed.get('miniconda3/envs/ml/Lib/os.py')).toBe(true);
    expect(installed.get('miniconda3/envs/ml/Lib/site-packages/distutils-precedence.pth')).toBe(true);
    expect(
      installed.get('home/AppData/Roaming/Python/Python312/site-packages/usercustomize/__init__.py'),
    ).toBe(true);
  });

  it('puts the environments in the scan report', async () => {
    const project = join(root, 'project');
    const report = await runScan({ paths: [project], config: await loadConfig(project), workers: 0 });
    expect(report.environments.map((environment) => [environment.kind, environment.python])).toEqual([
      ['venv', '3.11'],
    ]);
  });
});

describe('the Python stdlib shadowing targets', () => {
  const venv = (python?: string): EnvironmentRecord => ({
    kind: 'venv',
    root: '.venv',
    ...(python !== undefined && { python }),
    siteFolders: [],
    distributions: 0,
    startupHooks: 0,
  });

  it('takes the chosen version, else the one environment found, else every version', () => {
    expect(pythonTargets('3.12', [venv('3.10')])).toEqual({ versions: ['3.12'] });
    expect(pythonTargets(undefined, [venv('3.10')])).toEqual({ versions: ['3.10'] });
    expect(pythonTargets(undefined, [venv('3.10'), venv('3.13')])).toEqual({});
    expect(pythonTargets(undefined, [venv()])).toEqual({});
    expect(pythonTargets(undefined, [])).toEqual({});
    expect(pythonTargets(undefined, [venv('3.8')]).warning).toContain('Python 3.8');
    expect(() => pythonTargets('2.7', [])).toThrow(/not supported/);
  });

  it('refuses a --python-version without a standard-library list', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      errors.push(String(text));
      return true;
    });
    try {
      expect(await main(['node', 'mlsec', 'scan', '--python-version', '3.9', '.'])).toBe(EXIT_ERROR);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('')).toContain('Allowed choices are 3.10, 3.11, 3.12, 3.13');
  });

  it('checks shadowing against the environment version, or the chosen one', async () => {
    const project = mkdtempSync(join(tmpdir(), 'mlsec-shadow-target-'));
    try {
      // tomllib joined the standard library in 3.11; crypt left it in 3.13.
      write(project, {
        'tomllib.py': 'x = 1\n',
        'crypt.py': 'x = 1\n',
        '.venv/pyvenv.cfg': 'version_info = 3.10.12.final.0\n',
        '.venv/lib/python3.10/site-packages/x-1.dist-info/METADATA': 'Name: x\n',
      });
      const shadows = async (pythonVersion?: string): Promise<string[]> => {
        const loaded = await loadConfig(project);
        const settings = { ...loaded.settings, ...(pythonVersion !== undefined && { pythonVersion }) };
        const report = await runScan({ paths: [project], config: { ...loaded, settings }, workers: 0 });
        return report.findings
          .filter((finding) => finding.ruleId === 'ENV-SHADOW-001')
          .map((finding) => finding.location.path.slice(project.length + 1))
          .sort();
      };
      expect(await shadows()).toEqual(['crypt.py']);
      expect(await shadows('3.13')).toEqual(['tomllib.py']);
      expect(await shadows('3.12')).toEqual(['crypt.py', 'tomllib.py']);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
