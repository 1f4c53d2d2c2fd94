import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/load.js';
import { DEFAULT_LIMITS } from '../../../core/limits.js';
import { readPackageArchive } from '../archive.js';
import { checkMetadata } from '../metadata/index.js';
import { checkInstallHooks } from './index.js';
import { CheckCollector } from './test-support.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const DIST = resolve(REPO, 'test/fixtures/package/dist');
const FIXTURES = resolve(REPO, 'test/fixtures');
const POPULAR = resolve(REPO, '../shared/data/top-pypi-packages/top-pypi-packages.min.json');

/** The rule ids (with severity overrides) both checks report on one built fixture archive. */
async function findingsOf(
  file: string,
  deps: ConstructorParameters<typeof CheckCollector>[0] = { popular: POPULAR },
): Promise<{ rules: string[]; context: CheckCollector }> {
  const path = resolve(DIST, file);
  const archive = await readPackageArchive(path, basename(path), file.endsWith('.whl') ? 'wheel' : 'sdist', {
    limits: DEFAULT_LIMITS,
    checkDeadline: () => undefined,
    onModule: () => Promise.resolve(),
  });
  const context = new CheckCollector(deps);
  await checkInstallHooks(archive, context);
  await checkMetadata(archive, context);
  const rules = context.findings.map(
    (finding) => `${finding.ruleId}${finding.severity === undefined ? '' : `:${finding.severity}`}`,
  );
  return { rules: rules.sort(), context };
}

describe('install-time and metadata checks on the built fixtures', () => {
  it('keep the benign packages clean', async () => {
    for (const file of [
      'plainlib-1.4.2.tar.gz',
      'plainlib-1.4.2-py3-none-any.whl',
      'fastsum-0.3.1.tar.gz',
      'fastsum-0.3.1-cp311-cp311-linux_x86_64.whl',
      'vecnorm-0.9.0.tar.gz',
      'vecnorm-0.9.0-py3-none-any.whl',
    ])
      expect((await findingsOf(file)).rules, file).toEqual([]);
    // The C extension's build_ext override is still an install hook for the risk score.
    expect((await findingsOf('fastsum-0.3.1.tar.gz')).context.capabilities).toHaveLength(1);
  });

  it('find the cmdclass overrides of evil-cmdclass, but no module-level code', async () => {
    const { rules, context } = await findingsOf('hookinstall_demo-1.2.0.tar.gz');
    expect(rules).toEqual(['PKG-INST-001:high', 'PKG-INST-001:high']);
    expect(context.capabilities.map((use) => use.evidence)).toEqual([
      'cmdclass install: PostInstall',
      'cmdclass develop: PostDevelop',
    ]);
  });

  it('find the module-level beacon of evil-setupcode', async () => {
    const { context } = await findingsOf('setupcode_demo-0.4.1.tar.gz');
    expect(context.findings.map((finding) => [finding.ruleId, finding.severity, finding.evidence])).toEqual([
      ['PKG-INST-002', 'high', '_beacon()'],
      ['PKG-INST-002', 'high', "os.system('echo pwned')"],
    ]);
    expect(context.findings[0]?.message).toContain('reads the whole environment, makes an HTTP request');
  });

  it('find the in-tree backend of evil-backend', async () => {
    const { rules, context } = await findingsOf('treebuild_demo-2.0.1.tar.gz');
    expect(rules).toEqual(['PKG-INST-003']);
    expect(context.capabilities[0]?.path).toBe('_custom_build/backend.py');
  });

  it('find every metadata problem of evil-typosquat', async () => {
    const sdist = await findingsOf('requests-2.31.0.tar.gz');
    expect(sdist.rules).toEqual([
      'PKG-META-001',
      'PKG-META-002',
      'PKG-META-003',
      'PKG-META-004',
      'PKG-META-005',
      'PKG-META-005',
    ]);
    const wheel = await findingsOf('reqeusts-0.0.0-py3-none-any.whl');
    expect(wheel.rules).not.toContain('PKG-META-004');
  });

  it('agree with the rule fixture tables, with the settings test/fixtures/.mlsec.toml gives', async () => {
    for (const theme of ['install', 'metadata']) {
      const table = JSON.parse(
        readFileSync(resolve(FIXTURES, 'package', theme, 'rules.json'), 'utf8'),
      ) as Record<string, { bad: string[]; good: string[] }>;
      for (const [id, { bad, good }] of Object.entries(table))
        for (const [path, expected] of [
          ...bad.map((p) => [p, true] as const),
          ...good.map((p) => [p, false] as const),
        ]) {
          const absolute = resolve(FIXTURES, path);
          const { settings } = await loadConfig(dirname(absolute));
          const { rules } = await findingsOf(basename(absolute), settings.deps);
          expect(
            rules.some((rule) => rule.startsWith(id)),
            `${id} on ${path}`,
          ).toBe(expected);
        }
    }
  });
});
