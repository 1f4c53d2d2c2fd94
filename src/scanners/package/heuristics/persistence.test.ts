import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../../core/finding.js';
import { analyseModule } from './analyse-module.js';
import { PKG_PERS_001 } from './persistence.js';

async function persistence(source: string, path = 'pkg/module.py'): Promise<readonly RawFinding[]> {
  const { findings } = await analyseModule(source, {
    path,
    role: path === 'setup.py' ? 'install' : path === 'pkg/__init__.py' ? 'import' : 'library',
    enabledRules: new Set([PKG_PERS_001.id]),
    checkDeadline: () => undefined,
  });
  return findings;
}

const PTH_DROP = [
  'import os, site',
  'p = os.path.join(site.getsitepackages()[0], "boot.pth")',
  'open(p, "w").write("import boot")',
].join('\n');

describe('PKG-PERS-001', () => {
  it('is high in a library module and critical in setup.py and a top-level __init__.py', async () => {
    expect((await persistence(PTH_DROP)).map((f) => f.severity)).toEqual([undefined]);
    expect(PKG_PERS_001.severity).toBe('high');
    expect((await persistence(PTH_DROP, 'setup.py')).map((f) => f.severity)).toEqual(['critical']);
    const [imported] = await persistence(PTH_DROP, 'pkg/__init__.py');
    expect(imported?.severity).toBe('critical');
    expect(imported?.message).toContain('when the package is imported');
  });

  it('does not report .pth or sitecustomize files written outside site-packages', async () => {
    const findings = await persistence(
      [
        'import os',
        'def build(env_dir, target):',
        '    open(os.path.join(env_dir, "sitecustomize.py"), "w").write("")',
        '    open(os.path.join(target, "__editable__.x.pth"), "w").write("/src")',
      ].join('\n'),
    );
    expect(findings).toEqual([]);
  });

  it('tells installing a crontab from listing it', async () => {
    const findings = await persistence(
      [
        'import subprocess, os',
        'subprocess.run(["crontab", "-l"])',
        'subprocess.run("crontab -l | grep backup", shell=True)',
        'os.system("echo \'@reboot x\' | crontab -")',
        'subprocess.run(["crontab", "-u", "root", "/tmp/jobs"])',
      ].join('\n'),
    );
    expect(findings.map((f) => f.line)).toEqual([4, 5]);
  });

  it('reports only writes, not reads, of shell start-up files', async () => {
    const findings = await persistence(
      [
        'import os',
        'from pathlib import Path',
        'open(os.path.expanduser("~/.zshrc")).read()',
        'open(os.path.expanduser("~/.zshrc"), mode="a").write("x")',
        'Path.home().joinpath(".profile").open("a").write("x")',
      ].join('\n'),
    );
    expect(findings.map((f) => f.line)).toEqual([4, 5]);
  });

  it('reports the Run key through the handle returned by winreg.CreateKey', async () => {
    const findings = await persistence(
      [
        'import winreg as w',
        'k = w.CreateKey(w.HKEY_CURRENT_USER, "Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\RunOnce")',
        'w.SetValueEx(k, "x", 0, w.REG_SZ, "cmd /c echo pwned")',
        'j = w.CreateKey(w.HKEY_CURRENT_USER, "Software\\\\Example\\\\Settings")',
        'w.SetValueEx(j, "theme", 0, w.REG_SZ, "dark")',
      ].join('\n'),
    );
    expect(findings.map((f) => f.line)).toEqual([3]);
  });
});
