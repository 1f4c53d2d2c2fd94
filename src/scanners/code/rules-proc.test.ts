import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code/proc');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

describe('PY-PROC-001 and PY-PROC-004 shell commands', () => {
  it('reports shell=True and os.system/os.popen in a dataset download script', async () => {
    expect(await activeFindings(await fixture('shell_dataset_download.py'))).toEqual([
      'PY-PROC-001@9',
      'PY-PROC-001@10',
      'PY-PROC-001@15',
      'PY-PROC-006@15',
      'PY-PROC-004@19',
      'PY-PROC-004@20',
    ]);
  });

  it('lowers the severity of a literal command only', async () => {
    const findings = await analyseSource(await fixture('shell_dataset_download.py'));
    const shellFindings = findings.filter((finding) => finding.ruleId !== 'PY-PROC-006');
    expect(shellFindings.map((finding) => finding.severity)).toEqual([
      undefined,
      undefined,
      'low',
      undefined,
      undefined,
    ]);
  });

  it('reports only the bare program names of argument lists without a shell', async () => {
    expect(await activeFindings(await fixture('argv_dataset_download.py'))).toEqual([
      'PY-PROC-006@11',
      'PY-PROC-006@17',
    ]);
  });

  it('follows aliases, from-imports and constant shell flags', async () => {
    expect(
      await activeFindings(
        'from subprocess import Popen as P\nfrom os import system\nimport subprocess\nUSE_SHELL = True\n' +
          'P(cmd, shell=1)\nsystem(cmd)\nsh = subprocess.getoutput\nsh(cmd)\nsubprocess.call(args=cmd, shell=USE_SHELL)\n',
      ),
    ).toEqual(['PY-PROC-001@5', 'PY-PROC-004@6', 'PY-PROC-004@8', 'PY-PROC-001@9']);
  });

  it('ignores unknown or false shell flags and shadowed names', async () => {
    expect(
      await activeFindings(
        'import subprocess\nsubprocess.run(cmd, shell=use_shell)\nsubprocess.run(cmd, shell=False)\n' +
          'def system(command):\n    return command\nsystem(cmd)\n' +
          'def launch(os):\n    os.system(cmd)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-PROC-006 partial executable paths', () => {
  it('does not report absolute paths, executable= or programs held in variables', async () => {
    expect(await activeFindings(await fixture('absolute_path_tools.py'))).toEqual([]);
  });

  it('reads the first word of a command string and the first item of a list or tuple', async () => {
    expect(
      await activeFindings(
        'import subprocess as sp\nsp.call(("git", "pull"))\nsp.run(args=["/usr/bin/git", "pull"])\n' +
          'sp.Popen("  tar -xf data.tar")\nsp.run(["C:\\\\Tools\\\\git.exe", "pull"])\nsp.run([f"{tool}", "x"])\n' +
          'def run(command):\n    return command\nrun(["git", "pull"])\n',
      ),
    ).toEqual(['PY-PROC-006@2', 'PY-PROC-006@4']);
  });
});
