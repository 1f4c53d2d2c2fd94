import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.js';
import { runScan } from '../../core/engine.js';
import { SCANNERS } from '../index.js';
import { benignTemplate } from './pth-benign.js';
import { readPth } from './pth-lines.js';
import { rateExecLine } from './pth-rate.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/env/pth');
const noDeadline = (): void => undefined;

function claimant(path: string, head: Uint8Array): string | undefined {
  const probe = { path, head, size: head.length };
  return SCANNERS.find((scanner) => scanner.detect(probe) !== undefined)?.rules[0]?.domain;
}

async function scanPaths(path: string): Promise<{ ruleId: string; severity: string; message: string }[]> {
  const config = await loadConfig(path);
  const report = await runScan({ paths: [path], config, workers: 0 });
  return report.findings
    .filter((finding) => finding.ruleId.startsWith('ENV-PTH'))
    .map(({ ruleId, severity, message }) => ({ ruleId, severity, message }));
}

describe('.pth detection', () => {
  it('leaves PyTorch checkpoints named .pth to the model scanner and claims text ones', () => {
    const zip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...new Uint8Array(60)]);
    const pickle = Uint8Array.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);
    expect(claimant('weights/resnet.pth', zip)).toBe('model');
    expect(claimant('weights/resnet.pth', pickle)).toBe('model');
    expect(claimant('site-packages/x.pth', Buffer.from("cos\nsystem\n(S'echo pwned'\ntR."))).toBe('model');
    expect(claimant('site-packages/zz.pth', Buffer.from('import os; os.system("echo pwned")\n'))).toBe('env');
    expect(claimant('site-packages/_plain.pth', Buffer.from('/home/dev/src\n'))).toBe('env');
  });
});

describe('readPth', () => {
  it('runs only lines starting exactly with import and a space or tab', () => {
    const { lines } = readPth(
      Buffer.from('# import os\n import os\nImport os\nimport\tos\nimport os\n\n/opt/x  \n'),
    );
    expect(lines.map((line) => [line.line, line.kind, line.text])).toEqual([
      [2, 'path', ' import os'],
      [3, 'path', 'Import os'],
      [4, 'exec', 'import\tos'],
      [5, 'exec', 'import os'],
      [7, 'path', '/opt/x'],
    ]);
  });

  it('reads a BOM and str.splitlines breaks the way each Python version does', () => {
    const bom = readPth(Buffer.from('\ufeffimport evil\n'));
    expect(bom.lines).toEqual([
      { line: 1, text: 'import evil', kind: 'exec', pythons: '3.13+' },
      { line: 1, text: '\ufeffimport evil', kind: 'path', pythons: 'before-3.13' },
    ]);
    const formFeed = readPth(Buffer.from('# note\fimport evil\n'));
    expect(formFeed.lines.filter((line) => line.kind === 'exec')).toEqual([
      { line: 2, text: 'import evil', kind: 'exec', pythons: '3.13+' },
    ]);
    expect(
      readPth(Uint8Array.from([0x69, 0x6d, 0x70, 0x6f, 0x72, 0x74, 0x20, 0x78, 0xff])).localeFallback,
    ).toBe(true);
  });
});

describe('rateExecLine', () => {
  it('resolves calls through imports, aliases and __import__', async () => {
    const cases: [string, string][] = [
      ['import base64; exec(base64.b64decode("eA=="))', 'builtins.exec'],
      ["import os; __import__('os').system('echo pwned')", 'os.system'],
      ['import os as o; o.popen("id")', 'os.popen'],
      ['import urllib.request; urllib.request.urlopen("http://x")', 'urllib.request.urlopen'],
      ['import os; t = os.environ["AWS_SECRET_ACCESS_KEY"]', 'os.environ'],
      ["import sys; open('/tmp/x', 'w').write('1')", 'builtins.open'],
    ];
    for (const [code, danger] of cases) {
      const rating = await rateExecLine(code, noDeadline);
      expect(rating.dangers.join(' '), code).toContain(danger);
    }
    const bare = await rateExecLine('import zz_hook, other.mod as m', noDeadline);
    expect(bare).toEqual({ dangers: [], modules: ['zz_hook', 'other.mod'], capabilities: [] });
    const reading = await rateExecLine("import sys; open('/etc/hostname').read()", noDeadline);
    expect(reading.dangers).toEqual([]);
    const settings = await rateExecLine("import os; os.getenv('X'); os.environ.get('Y')", noDeadline);
    expect(settings.capabilities).toEqual(['environment']);
    const spawning = await rateExecLine("import os; os.getenv('X'); os.system('echo pwned')", noDeadline);
    expect([...spawning.capabilities].sort()).toEqual(['environment', 'process']);
  });
});

describe('benignTemplate', () => {
  it('knows the setuptools, editable and namespace templates and rejects edited copies', () => {
    const debianNspkg = readFileSync(join(FIXTURES, 'nspkg-line.txt'), 'utf8');
    expect(benignTemplate('matplotlib-3.6.3-nspkg.pth', [debianNspkg])?.owner).toBe('matplotlib');
    expect(
      benignTemplate('matplotlib-3.6.3-nspkg.pth', [`${debianNspkg.trimEnd()};import evil`]),
    ).toBeUndefined();
    const finder = 'import __editable___demo_pkg_1_0_finder; __editable___demo_pkg_1_0_finder.install()';
    expect(benignTemplate('__editable__.demo_pkg-1.0.pth', [finder])?.owner).toBe('demo-pkg');
    expect(benignTemplate('_virtualenv.pth', ['import _virtualenv\n'])?.owner).toBe('virtualenv');
    expect(benignTemplate('evil.pth', ['import coverage; coverage.process_startup()'])?.owner).toBe(
      'coverage',
    );
  });
});

describe('site-packages fixtures', () => {
  it('reports nothing for owned templates and path-only files', async () => {
    expect(await scanPaths(join(FIXTURES, 'benign/site-packages'))).toEqual([]);
  });

  it('accepts _virtualenv.pth when pyvenv.cfg names virtualenv, and not elsewhere', async () => {
    expect(await scanPaths(join(FIXTURES, 'venv'))).toEqual([]);
    const scratch = mkdtempSync(join(tmpdir(), 'mlsec-pth-'));
    try {
      cpSync(join(FIXTURES, 'venv/lib'), join(scratch, 'lib'), { recursive: true });
      const findings = await scanPaths(scratch);
      expect(findings.map((finding) => finding.ruleId).sort()).toEqual(['ENV-PTH-002', 'ENV-PTH-003']);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('reports a hidden .pth at low severity, noting that older Pythons still run it', async () => {
    const findings = await scanPaths(join(FIXTURES, 'hidden/site-packages'));
    expect(findings.map((finding) => [finding.ruleId, finding.severity]).sort()).toEqual([
      ['ENV-PTH-002', 'low'],
      ['ENV-PTH-002', 'low'],
      ['ENV-PTH-003', 'high'],
    ]);
    expect(findings[0]?.message).toContain('3.12 and older still run');
  });

  it('rates the litellm payload critical even when its wheel owns it', async () => {
    const findings = await scanPaths(join(FIXTURES, 'litellm/site-packages'));
    expect(findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([
      ['ENV-PTH-001', 'critical'],
    ]);
    expect(findings[0]?.message).toContain('subprocess.Popen');
  });

  it('reports an unowned bare import with its module file, and a tampered template', async () => {
    const unowned = await scanPaths(join(FIXTURES, 'unowned/site-packages'));
    expect(unowned.map((finding) => finding.ruleId).sort()).toEqual(['ENV-PTH-002', 'ENV-PTH-003']);
    expect(unowned.find((finding) => finding.ruleId === 'ENV-PTH-002')?.message).toContain(
      'zz_telemetry_hook (zz_telemetry_hook.py)',
    );
    const tampered = await scanPaths(join(FIXTURES, 'tampered/site-packages'));
    expect(tampered.find((finding) => finding.ruleId === 'ENV-PTH-003')?.message).toContain('modified');
  });

  // Read-only: the .pth files Debian's own packages ship (dpkg lists them) must all be recognised as benign.
  const debian = '/usr/lib/python3/dist-packages';
  it.runIf(existsSync(debian) && existsSync('/var/lib/dpkg/info'))(
    "finds nothing (not even low or medium) in Debian's dist-packages .pth files",
    async () => {
      const shipped = new Set(
        readdirSync('/var/lib/dpkg/info')
          .filter((name) => name.endsWith('.list'))
          .flatMap((name) => readFileSync(join('/var/lib/dpkg/info', name), 'utf8').split('\n'))
          .filter((line) => line.startsWith(`${debian}/`) && line.endsWith('.pth')),
      );
      expect(shipped.size).toBeGreaterThan(0);
      for (const path of shipped) {
        const findings = await scanPaths(path);
        expect(
          findings.filter((finding) => finding.severity !== 'info'),
          path,
        ).toEqual([]);
      }
    },
  );
});

describe('legacy easy-install.pth', () => {
  it('accepts the easy_install template with no owner, since easy_install never wrote RECORD files', async () => {
    const site = mkdtempSync(join(tmpdir(), 'mlsec-easy-install-'));
    try {
      const lines = [
        'import sys; sys.__plen = len(sys.path)',
        './requests-2.0.0-py3.11.egg',
        "import sys; new = sys.path[sys.__plen:]; del sys.path[sys.__plen:]; p = getattr(sys, '__egginsert', 0); sys.path[p:p] = new; sys.__egginsert = p + len(new)",
      ];
      writeFileSync(join(site, 'easy-install.pth'), `${lines.join('\n')}\n`);
      expect(await scanPaths(site)).toEqual([]);
      // The same name with other code is judged on its content.
      writeFileSync(join(site, 'easy-install.pth'), 'import os; os.system("echo pwned")\n');
      expect((await scanPaths(site)).map((finding) => finding.ruleId)).toEqual([
        'ENV-PTH-001',
        'ENV-PTH-003',
      ]);
    } finally {
      rmSync(site, { recursive: true, force: true });
    }
  });
});
