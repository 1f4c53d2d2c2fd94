import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../core/finding.js';
import { analyseCells } from './notebook/analyse.js';
import { translateCell } from './notebook/ipython.js';
import { readNotebook } from './notebook/read.js';
import { analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code');
const lines = (...source: string[]): string => `${source.join('\n')}\n`;

/** `rule@line` of the unsuppressed findings of the rules whose id starts with `prefix`. */
async function findingsOf(prefix: string, source: string): Promise<string[]> {
  return only(prefix, await analyseSource(source));
}

function only(prefix: string, findings: readonly RawFinding[]): string[] {
  return findings
    .filter((finding) => finding.suppressed === undefined && finding.ruleId.startsWith(prefix))
    .map(
      (finding) =>
        `${finding.ruleId}@${finding.member === undefined ? '' : `${finding.member}:`}${finding.line}`,
    );
}

async function fixture(name: string): Promise<RawFinding[]> {
  const text = await readFile(join(FIXTURES, name), 'utf8');
  if (!name.endsWith('.ipynb')) return analyseSource(text);
  const cells = readNotebook(text).cells.filter((cell) => cell.type === 'code');
  return analyseCells(cells, name, () => undefined);
}

/** A notebook cell as the scanner sees it, analysed on its own. */
function cell(...source: string[]): Promise<RawFinding[]> {
  return analyseSource(translateCell(source.join('\n')));
}

async function one(prefix: string, source: string): Promise<RawFinding> {
  const [finding, ...rest] = (await analyseSource(source)).filter((f) => f.ruleId.startsWith(prefix));
  expect(rest).toEqual([]);
  expect(finding).toBeDefined();
  return finding as RawFinding;
}

describe('PY-PROC-002 subprocess without a shell', () => {
  it('reports absent and false shell flags, bandit-style, and follows aliases', async () => {
    expect(
      await findingsOf(
        'PY-PROC-002',
        lines(
          'from subprocess import Popen as P',
          'import subprocess as sp',
          'P(["ls"])',
          'sp.run(cmd, shell=False)',
          'sp.call(cmd, shell=[])',
          'sp.call(cmd, shell=None)',
          'sp.call(cmd, shell=True)',
        ),
      ),
    ).toEqual(['PY-PROC-002@3', 'PY-PROC-002@4', 'PY-PROC-002@5', 'PY-PROC-002@6']);
  });

  it('does not report a parameter that shadows the module', async () => {
    expect(
      await findingsOf(
        'PY-PROC-002',
        lines('import subprocess', 'def go(subprocess):', '    subprocess.run(["ls"])'),
      ),
    ).toEqual([]);
  });

  it('raises the confidence when a command-line argument reaches the command', async () => {
    const tainted = await one(
      'PY-PROC-002',
      lines('import subprocess, sys', 'subprocess.run(["git", "clone", sys.argv[1]])'),
    );
    expect(tainted.confidence).toBe('high');
    const fixed = await one(
      'PY-PROC-002',
      lines('import subprocess', 'subprocess.run(["/usr/bin/git", "pull"])'),
    );
    expect(fixed.confidence).toBeUndefined();
  });
});

describe('PY-PROC-003 shell=True outside subprocess', () => {
  it('reports wrappers and local functions called with a true shell flag, not subprocess itself', async () => {
    expect(only('PY-PROC-003', await fixture('proc/remote_gpu_jobs.py'))).toEqual(['PY-PROC-003@32']);
    expect(
      await findingsOf(
        'PY-PROC-003',
        lines(
          'import subprocess',
          'from subprocess import run as sh',
          'def run_command(cmd, shell=False):',
          '    return cmd',
          'run_command(cmd, shell=True)',
          'sh(cmd, shell=True)',
          'subprocess.Popen(cmd, shell=True)',
          'run_command(cmd, shell=False)',
          'run_command(cmd, shell=flag)',
          'ctx.run(',
          '    cmd,',
          '    shell=1,',
          ')',
        ),
      ),
    ).toEqual(['PY-PROC-003@5', 'PY-PROC-003@10']);
  });

  it('does not report the safe twin', async () => {
    expect(only('PY-PROC-003', await fixture('proc/remote_gpu_jobs_safe.py'))).toEqual([]);
  });
});

describe('PY-PROC-005 os.exec*, os.spawn*, os.startfile', () => {
  it('reports every variant by any import spelling', async () => {
    expect(
      await findingsOf(
        'PY-PROC-005',
        lines(
          'import os',
          'from os import execvp as replace',
          'import pty',
          'os.spawnvp(os.P_WAIT, "tar", ["tar", "xf", f])',
          'replace(prog, args)',
          'os.startfile(path)',
          'pty.spawn(["/bin/bash"])',
          'def launch(os):',
          '    os.execv(p, a)',
        ),
      ),
    ).toEqual(['PY-PROC-005@4', 'PY-PROC-005@5', 'PY-PROC-005@6', 'PY-PROC-005@7']);
  });

  it('is high confidence when the program comes from sys.argv, audit otherwise', async () => {
    const [tainted] = (await fixture('proc/async_tool_server.py')).filter((f) => f.ruleId === 'PY-PROC-005');
    expect(tainted?.confidence).toBe('high');
    const fixed = await one(
      'PY-PROC-005',
      lines('import os', 'os.execv("/usr/bin/python3", ["python3", "-V"])'),
    );
    expect(fixed.confidence).toBeUndefined();
  });
});

describe('PY-PROC-007 wildcards in shell commands', () => {
  it('reports tar/chmod/chown/rsync with * through a shell only', async () => {
    expect(
      await findingsOf(
        'PY-PROC-007',
        lines(
          'import os as o',
          'import subprocess as sp',
          'o.system("tar czf ckpt.tgz *")',
          'sp.run("chmod 640 *.pt", shell=True)',
          'sp.run("chmod 640 *.pt")',
          'sp.run(["rsync", "-a", "*", "dest/"])',
          'o.system("ls *")',
          'o.system("tar czf ckpt.tgz ckpt/")',
        ),
      ),
    ).toEqual(['PY-PROC-007@3', 'PY-PROC-007@4']);
  });
});

describe('PY-PROC-008 paramiko exec_command', () => {
  it('reports clients made in the file and clients of unknown type', async () => {
    expect(only('PY-PROC-008', await fixture('proc/remote_gpu_jobs.py'))).toEqual([
      'PY-PROC-008@20',
      'PY-PROC-008@25',
    ]);
    expect(
      await findingsOf(
        'PY-PROC-008',
        lines(
          'from paramiko import SSHClient as C',
          'c = C()',
          'c.exec_command("uptime")',
          'def f(paramiko):',
          '    paramiko.run(x)',
        ),
      ),
    ).toEqual(['PY-PROC-008@3']);
    expect(only('PY-PROC-008', await fixture('proc/remote_gpu_jobs_safe.py'))).toEqual([]);
  });

  it('lowers a literal command to low severity and raises a tainted one to high confidence', async () => {
    const literal = await one(
      'PY-PROC-008',
      lines('import paramiko', 'c = paramiko.SSHClient()', 'c.exec_command("uptime")'),
    );
    expect(literal.severity).toBe('low');
    const tainted = await one(
      'PY-PROC-008',
      lines('import paramiko, sys', 'c = paramiko.SSHClient()', 'c.exec_command("tail " + sys.argv[1])'),
    );
    expect(tainted.confidence).toBe('high');
  });
});

describe('PY-PROC-009 asyncio processes', () => {
  it('reports shell and exec variants on asyncio and on event loops', async () => {
    expect(only('PY-PROC-009', await fixture('proc/async_tool_server.py'))).toEqual([
      'PY-PROC-009@14',
      'PY-PROC-009@24',
    ]);
    expect(only('PY-PROC-009', await fixture('proc/async_tool_server_safe.py'))).toEqual([]);
    expect(
      await findingsOf(
        'PY-PROC-009',
        lines(
          'import asyncio',
          'from asyncio import create_subprocess_shell as shell',
          'loop = asyncio.get_running_loop()',
          'loop.subprocess_shell(Proto, cmd)',
          'shell("ls -l")',
          'loop.subprocess_exec(Proto, "/usr/bin/du", "-sh", path)',
          'loop.subprocess_exec(Proto, "/usr/bin/du", "-sh", "/data")',
          'def f(asyncio):',
          '    asyncio.create_subprocess_exec(cmd)',
        ),
      ),
    ).toEqual(['PY-PROC-009@4', 'PY-PROC-009@5', 'PY-PROC-009@6']);
  });

  it('is high confidence when a handler parameter reaches the command', async () => {
    const findings = (await fixture('proc/async_tool_server.py')).filter((f) => f.ruleId === 'PY-PROC-009');
    expect(findings.map((f) => f.confidence)).toEqual(['high', 'high']);
    const literal = await one(
      'PY-PROC-009',
      lines('import asyncio', 'asyncio.create_subprocess_shell("nvidia-smi")'),
    );
    expect([literal.severity, literal.confidence]).toEqual(['low', undefined]);
  });
});

describe('PY-PROC-010 notebook shell escapes with interpolation', () => {
  it('reports !, !!, x = !, %sx and %%bash arguments that interpolate notebook names', async () => {
    expect(only('PY-PROC-010', await fixture('proc/explore_dataset.ipynb'))).toEqual([
      'PY-PROC-010@cell 3:1',
      'PY-PROC-010@cell 3:2',
      'PY-PROC-010@cell 3:3',
      'PY-PROC-010@cell 4:1',
      'PY-PROC-010@cell 5:1',
    ]);
    expect(only('PY-PROC-010', await fixture('proc/explore_dataset_safe.ipynb'))).toEqual([]);
  });

  it('ignores placeholders IPython leaves alone and a %%bash body, which IPython does not expand', async () => {
    expect(
      only(
        'PY-PROC-010',
        await cell('path = "data"', '!echo $HOME $$path {{path}}', "!awk '{print $1}' f.csv", '!ls $path'),
      ),
    ).toEqual(['PY-PROC-010@4']);
    expect(only('PY-PROC-010', await cell('%%bash', 'ls {path}'))).toEqual([]);
  });

  it('is high severity and confidence when the interpolated value is untrusted', async () => {
    const [finding] = await cell('url = input("dataset url: ")', '!wget {url}');
    expect([finding?.ruleId, finding?.severity, finding?.confidence]).toEqual([
      'PY-PROC-010',
      'high',
      'high',
    ]);
  });

  it('matches get_ipython() in exported scripts, also through IPython.get_ipython', async () => {
    expect(
      await findingsOf(
        'PY-PROC-010',
        lines(
          'from IPython import get_ipython as ip',
          'name = "x"',
          'ip().system(f"ls {name}")',
          'ip().system("ls {name}")',
        ),
      ),
    ).toEqual(['PY-PROC-010@4']);
  });
});

describe('PY-SUP-001 package installs', () => {
  it('reports unpinned, extra index, git without commit, lookalike names and curl | sh in a notebook', async () => {
    const findings = (await fixture('sup/setup_colab.ipynb')).filter((f) => f.ruleId === 'PY-SUP-001');
    expect(findings.map((f) => `${f.member}:${f.line} ${f.severity}`)).toEqual([
      'cell 2:1 medium',
      'cell 2:2 high',
      'cell 2:3 medium',
      'cell 2:4 medium',
      'cell 3:1 high',
      'cell 3:2 medium',
    ]);
    expect(findings[3]?.message).toContain('tranformers (like transformers)');
    expect(only('PY-SUP-001', await fixture('sup/setup_colab_safe.ipynb'))).toEqual([]);
  });

  it('reads subprocess argument lists, os.system strings and pip.main, by any spelling', async () => {
    expect(
      await findingsOf(
        'PY-SUP-001',
        lines(
          'import sys',
          'from subprocess import check_call as cc',
          'from os import system',
          'import pip',
          'cc([sys.executable, "-m", "pip", "install", "torch>=2.0"])',
          'system("pip3 install --trusted-host pypi.corp.example transformers==4.44.2")',
          'pip.main(["install", "numpy"])',
          'cc([sys.executable, "-m", "pip", "install", "-r", "requirements.txt", "-U", "pip"])',
          'cc([sys.executable, "-m", "pip", "install", f"{pkg}", "torchx", "numba==0.60.0"])',
          'def setup(pip):',
          '    pip.main(["install", "numpy"])',
        ),
      ),
    ).toEqual(['PY-SUP-001@5', 'PY-SUP-001@6', 'PY-SUP-001@7', 'PY-SUP-001@9']);
  });

  it('accepts conda pins, git commits and local paths', async () => {
    expect(
      only(
        'PY-SUP-001',
        await cell(
          '%conda install -c conda-forge faiss-gpu=1.8.0',
          '!pip install -e . ./wheels/tok-0.1-py3-none-any.whl',
          '!pip install "peft @ git+https://github.com/huggingface/peft@4e32679f"',
          '!pip install git+https://github.com/huggingface/peft@4e32679f37ba9c0f1ae4cb1c3ba0a6d1f7a4b5e2',
        ),
      ),
    ).toEqual([]);
  });

  it('reads every command of a %%bash cell', async () => {
    const findings = await cell(
      '%%bash',
      'set -e',
      'wget -qO- https://get.example.sh | bash',
      'pip install xformers',
    );
    expect(only('PY-SUP-001', findings)).toEqual(['PY-SUP-001@1']);
    expect(findings[0]?.message).toContain('pipes a download into a shell');
    expect(findings[0]?.message).toContain('installs unpinned: xformers');
  });
});

describe('PY-SUP-005 downloaded code executed', () => {
  it('reports HTTP responses reaching exec and a .pth file in site-packages', async () => {
    const findings = (await fixture('sup/bootstrap_plugins.py')).filter((f) => f.ruleId === 'PY-SUP-005');
    expect(findings.map((f) => `${f.line} ${f.confidence ?? '-'}`)).toEqual(['28 -', '35 -']);
    expect(only('PY-SUP-005', await fixture('sup/bootstrap_plugins_safe.py'))).toEqual([]);
  });

  it('needs network data: other sources and literals are other rules', async () => {
    expect(
      await findingsOf(
        'PY-SUP-005',
        lines(
          'import subprocess, sys, urllib.request as ur',
          'from requests import get as fetch',
          'script = ur.urlopen(u).read().decode()',
          'subprocess.run(script, shell=True)',
          'exec(sys.argv[1])',
          'exec("print(1)")',
          'eval(fetch(u).text)',
          'with open("/home/me/notes.txt", "w") as fh:',
          '    fh.write(fetch(u).text)',
          'def run(exec, u):',
          '    exec(fetch(u).text)',
        ),
      ),
    ).toEqual(['PY-SUP-005@4', 'PY-SUP-005@7']);
  });
});

describe('PY-SUP-006 notebook magics loading URLs', () => {
  it('reports %load and %run of a URL, not of a local file', async () => {
    expect(only('PY-SUP-006', await fixture('sup/setup_colab.ipynb'))).toEqual(['PY-SUP-006@cell 4:1']);
    expect(only('PY-SUP-006', await fixture('sup/setup_colab_safe.ipynb'))).toEqual([]);
    expect(
      only(
        'PY-SUP-006',
        await cell(
          '%run https://example.org/prep.py',
          '%load ./helpers.py',
          '%install_ext http://example.org/ext.py',
        ),
      ),
    ).toEqual(['PY-SUP-006@1', 'PY-SUP-006@3']);
  });
});

describe('PY-SUP-007 import path manipulation', () => {
  it('reports relative, working and shared directories, and PYTHONPATH', async () => {
    expect(only('PY-SUP-007', await fixture('sup/bootstrap_plugins.py'))).toEqual([
      'PY-SUP-007@12',
      'PY-SUP-007@13',
      'PY-SUP-007@14',
    ]);
    expect(
      await findingsOf(
        'PY-SUP-007',
        lines(
          'import os, site, sys',
          'from os import environ as env',
          'sys.path.insert(0, os.getcwd())',
          'sys.path.append(os.path.abspath(os.path.join("..", "src")))',
          'site.addsitedir("/dev/shm/pkgs")',
          'env["PYTHONPATH"] = "."',
          'os.environ.setdefault("PYTHONPATH", "src")',
          'sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))',
          'sys.path.append("/opt/project/src")',
          'os.environ["PYTHONPATH"] = "/opt/project/src"',
          'os.environ["HOME"] = "."',
        ),
      ),
    ).toEqual(['PY-SUP-007@3', 'PY-SUP-007@4', 'PY-SUP-007@5', 'PY-SUP-007@6', 'PY-SUP-007@7']);
  });

  it('does not report the safe twin or a shadowed sys', async () => {
    expect(only('PY-SUP-007', await fixture('sup/bootstrap_plugins_safe.py'))).toEqual([]);
    expect(await findingsOf('PY-SUP-007', lines('def f(sys):', '    sys.path.insert(0, ".")'))).toEqual([]);
  });
});
