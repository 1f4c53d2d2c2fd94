import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { DEFAULT_EXCLUDES, loadConfig } from './load.js';

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'mlsec-config-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), text);
  }
  return root;
}

describe('loadConfig', () => {
  it('reads python-version, and rejects a version without a standard-library list', async () => {
    const root = await project({ '.mlsec.toml': 'python-version = "3.12"\n' });
    expect((await loadConfig(root)).settings.pythonVersion).toBe('3.12');
    const old = await project({ '.mlsec.toml': 'python-version = "2.7"\n' });
    await expect(loadConfig(old)).rejects.toThrow(
      /python-version must be equal to one of the allowed values/,
    );
  });

  it('reads .mlsec.toml found upward from the scan path', async () => {
    const root = await project({
      '.mlsec.toml': [
        'exclude = ["legacy/**"]',
        'fail-on = "medium"',
        '[pickle]',
        'allow-globals = ["mypkg.models.Net"]',
        '[limits]',
        'max-file-size = "2GiB"',
        'timeout = 30',
        '[[ignore]]',
        'rule = "MODEL-PICKLE-002"',
        'path = "models/*.pkl"',
        'reason = "vendor model reviewed"',
        'expires = 2027-01-31',
      ].join('\n'),
      'models/a/.keep': '',
    });
    const config = await loadConfig(join(root, 'models', 'a'));
    expect(config.source).toBe(join(root, '.mlsec.toml'));
    expect(config.root).toBe(root);
    expect(config.exclude).toEqual([...DEFAULT_EXCLUDES, 'legacy/**']);
    expect(config.failOn).toBe('medium');
    expect(config.settings.pickle.allowGlobals).toEqual(['mypkg.models.Net']);
    expect(config.settings.limits.maxFileBytes).toBe(2 * 1024 ** 3);
    expect(config.settings.limits.timeoutMs).toBe(30_000);
    expect(config.settings.limits.maxStackDepth).toBe(DEFAULT_LIMITS.maxStackDepth);
    // The unquoted TOML date is accepted as a YYYY-MM-DD string.
    expect(config.ignores).toEqual([
      {
        rule: 'MODEL-PICKLE-002',
        path: 'models/*.pkl',
        reason: 'vendor model reviewed',
        expires: '2027-01-31',
      },
    ]);
  });

  it('reads [tool.mlsec] from pyproject.toml and ignores a pyproject without it', async () => {
    const root = await project({
      'pyproject.toml':
        '[tool.mlsec]\nfail-on = "critical"\n[tool.mlsec.pickle]\ndeny-globals = ["numpy.load"]\n',
      'sub/pyproject.toml': '[project]\nname = "x"\n',
    });
    const config = await loadConfig(join(root, 'sub'));
    expect(config.source).toBe(join(root, 'pyproject.toml'));
    expect(config.failOn).toBe('critical');
    expect(config.settings.pickle.denyGlobals).toEqual(['numpy.load']);
  });

  it('reads the [rules] selection, naming the file it came from', async () => {
    const root = await project({
      '.mlsec.toml': '[rules]\nselect = ["PY"]\nextend-select = ["MODEL-PICKLE"]\nignore = ["PY-DES"]\n',
    });
    const config = await loadConfig(root);
    expect(config.ruleSelection).toEqual({
      source: join(root, '.mlsec.toml'),
      select: ['PY'],
      extendSelect: ['MODEL-PICKLE'],
      ignore: ['PY-DES'],
    });
  });

  it('falls back to defaults when nothing is found', async () => {
    const root = await project({ 'a.pkl': '' });
    const config = await loadConfig(join(root, 'a.pkl'));
    if (config.source !== undefined) {
      // A configuration above the temporary directory would make this test meaningless.
      expect.fail(`unexpected configuration ${config.source}`);
    }
    expect(config.settings.limits).toEqual(DEFAULT_LIMITS);
    expect(config.ignores).toEqual([]);
  });

  it.each([
    ['an unknown key', 'colour = "red"', 'CONFIG_INVALID'],
    ['an ignore without reason', '[[ignore]]\nrule = "SCAN-001"', 'CONFIG_INVALID'],
    ['an ignore that matches everything', '[[ignore]]\nreason = "x"', 'CONFIG_INVALID'],
    ['a bad severity', 'fail-on = "severe"', 'CONFIG_INVALID'],
    ['a bad size', '[limits]\nmax-file-size = "lots"', 'CONFIG_INVALID'],
    ['a selector that is not a string', '[rules]\nselect = [1]', 'CONFIG_INVALID'],
    ['broken TOML', 'include = [', 'CONFIG_PARSE'],
  ])('rejects %s with a typed error', async (_name, text, code) => {
    const root = await project({ '.mlsec.toml': text });
    const error = await loadConfig(root).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(code);
  });

  it('reports a missing explicit configuration file', async () => {
    const error = await loadConfig('.', '/nonexistent/mlsec.toml').catch((caught: unknown) => caught);
    expect((error as ConfigError).code).toBe('CONFIG_NOT_FOUND');
  });
});
