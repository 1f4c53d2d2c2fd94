import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.js';
import { runScan } from '../../core/engine.js';
import { SCANNERS } from '../index.js';
import { benignTemplate } from './pth-benign.js';
import { isStartFile, knownBenignStartup, moduleExists, startupModuleOf } from './startup.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/env/startup');

async function findingsOf(
  path: string,
): Promise<{ ruleId: string; severity: string; message: string; line: number | undefined }[]> {
  const config = await loadConfig(path);
  const report = await runScan({ paths: [path], config, workers: 0 });
  return report.findings
    .filter((finding) => /^(ENV-SITE|ENV-START|SCAN)-/.test(finding.ruleId))
    .map(({ ruleId, severity, message, location }) => ({ ruleId, severity, message, line: location.line }));
}

function claimant(path: string, text: string): string | undefined {
  const head = Buffer.from(text);
  const probe = { path, head, size: head.length };
  return SCANNERS.find((scanner) => scanner.detect(probe) !== undefined)?.rules[0]?.domain;
}

describe('startup file detection', () => {
  it('claims sitecustomize/usercustomize modules and .start files in site folders only', () => {
    expect(startupModuleOf('lib/site-packages/sitecustomize.py')).toBe('sitecustomize');
    expect(startupModuleOf('lib/site-packages/usercustomize/__init__.py')).toBe('usercustomize');
    expect(startupModuleOf('src/mypkg/sitecustomize_helper.py')).toBeUndefined();
    expect(startupModuleOf('src/other/__init__.py')).toBeUndefined();
    expect(isStartFile('venv/lib/python3.15/site-packages/agent.start')).toBe(true);
    expect(isStartFile('/usr/lib/python3/dist-packages/agent.start')).toBe(true);
    expect(isStartFile('docs/agent.start')).toBe(false);
    expect(claimant('site-packages/sitecustomize.py', 'import os\n')).toBe('env');
    expect(claimant('src/app.py', 'import os\n')).toBe('code');
  });

  it('recognises the Debian apport hook whatever the line endings', () => {
    const hook =
      '# install the apport exception handler if available\r\ntry:\r\n    import apport_python_hook\r\n' +
      'except ImportError:\r\n    pass\r\nelse:\r\n    apport_python_hook.install()\r\n';
    expect(knownBenignStartup(hook)).toBe("Debian's apport hook");
    expect(knownBenignStartup(`${hook}import os; os.system('echo pwned')\n`)).toBeUndefined();
  });

  it('finds modules as files, packages, namespace folders and extensions', () => {
    const site = resolve(FIXTURES, 'owned/site-packages');
    expect(moduleExists(site, 'tracekit')).toBe(true);
    expect(moduleExists(site, 'tracekit.boot')).toBe(true);
    expect(moduleExists(site, 'tracekit.missing')).toBe(false);
    expect(moduleExists(site, 'telemetry_boot')).toBe(false);
  });
});

describe('sitecustomize and usercustomize', () => {
  it('rates a process-starting unowned module critical', async () => {
    const findings = await findingsOf(resolve(FIXTURES, 'evil/site-packages'));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.severity).toBe('critical');
    expect(findings[0]?.message).toContain('subprocess.Popen (starts a process)');
    expect(findings[0]?.message).toContain('no RECORD in its folder lists it');
  });

  it('rates an unowned import-only module medium and names what it imports', async () => {
    const findings = await findingsOf(resolve(FIXTURES, 'plain/site-packages'));
    expect(findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([
      ['ENV-SITE-001', 'medium'],
    ]);
    expect(findings[0]?.message).toContain(
      'usercustomize.py runs at every Python start and imports zz_telemetry_hook',
    );
  });

  it('reports a sitecustomize package that no longer matches its RECORD hash', async () => {
    const findings = await findingsOf(resolve(FIXTURES, 'tampered/site-packages'));
    expect(findings.map((finding) => finding.ruleId)).toEqual(['ENV-SITE-001']);
    expect(findings[0]?.message).toContain('sitecustomize/__init__.py');
    expect(findings[0]?.message).toContain('does not match the hash tracekit==1.2.0 recorded');
  });

  it('still runs the code rules on a startup module the code scanner would read', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'mlsec-startup-'));
    try {
      writeFileSync(join(folder, 'sitecustomize.py'), "import os\n\nos.system('echo pwned')\n");
      const config = await loadConfig(folder);
      const report = await runScan({ paths: [folder], config, workers: 0 });
      const rules = report.findings.map((finding) => finding.ruleId);
      expect(rules).toContain('ENV-SITE-001');
      expect(rules.some((rule) => rule.startsWith('PY-'))).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("rates an owned, intact agent's environment reads medium and names the owner", async () => {
    const findings = await findingsOf(resolve(FIXTURES, 'monitor/site-packages'));
    expect(findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([
      ['ENV-SITE-001', 'medium'],
    ]);
    expect(findings[0]?.message).toContain('os.environ.get (reads the environment)');
    expect(findings[0]?.message).toContain('matches the RECORD hash of monitorkit==3.4.1');
  });

  it('keeps an owned, intact module that starts a process critical', async () => {
    const findings = await findingsOf(resolve(FIXTURES, 'spawning/site-packages'));
    expect(findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([
      ['ENV-SITE-001', 'critical'],
    ]);
    expect(findings[0]?.message).toContain('os.system (starts a process)');
    expect(findings[0]?.message).toContain('owned by monitorkit==3.4.1');
  });

  it('keeps an unowned module that only reads the environment critical', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'mlsec-startup-'));
    try {
      const site = join(folder, 'site-packages');
      mkdirSync(site);
      writeFileSync(join(site, 'sitecustomize.py'), "import os\n\nTOKEN = os.environ.get('TOKEN')\n");
      const findings = await findingsOf(site);
      expect(findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([
        ['ENV-SITE-001', 'critical'],
      ]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('stays quiet for an owned, intact module and for the Debian apport hook', async () => {
    const owned = await findingsOf(resolve(FIXTURES, 'owned/site-packages'));
    expect(owned.filter((finding) => finding.ruleId === 'ENV-SITE-001')).toEqual([]);
    expect(await findingsOf(resolve(FIXTURES, 'debian'))).toEqual([]);
  });
});

describe('PEP 829 .start files', () => {
  it('lists each entry point and flags a target missing from the folder', async () => {
    const findings = await findingsOf(resolve(FIXTURES, 'missing/site-packages'));
    expect(findings.map((finding) => [finding.ruleId, finding.severity, finding.line])).toEqual([
      ['ENV-START-001', 'high', 1],
      ['ENV-START-002', 'low', 1],
    ]);
    const owned = await findingsOf(resolve(FIXTURES, 'owned/site-packages'));
    expect(owned.map((finding) => [finding.ruleId, finding.line])).toEqual([['ENV-START-002', 2]]);
  });

  it('makes a file with a line that is not an entry point unscannable', async () => {
    const findings = await findingsOf(resolve(FIXTURES, 'malformed/site-packages'));
    expect(findings.map((finding) => finding.ruleId)).toEqual(['SCAN-001']);
    expect(findings[0]?.message).toContain('line 2 is not a pkg.mod:callable entry point');
  });
});

describe('legacy easy-install.pth', () => {
  it("is setuptools' template when it holds only the easy_install bookkeeping lines", () => {
    const lines = [
      'import sys; sys.__plen = len(sys.path)',
      "import sys; new = sys.path[sys.__plen:]; del sys.path[sys.__plen:]; p = getattr(sys, '__egginsert', 0); sys.path[p:p] = new; sys.__egginsert = p + len(new)",
    ];
    expect(benignTemplate('easy-install.pth', lines)?.owner).toBe('setuptools');
    expect(
      benignTemplate('easy-install.pth', [...lines, "import os; os.system('echo pwned')"]),
    ).toBeUndefined();
    expect(benignTemplate('other.pth', lines)).toBeUndefined();
  });
});
