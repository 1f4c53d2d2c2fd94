import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { runScan } from '../../src/core/engine.js';

/** The `[pickle]` lists in configuration change verdicts end to end, through the engine. */
const FIXTURES = resolve(import.meta.dirname, '../fixtures/model');

async function scanWithConfig(
  fixture: string,
  config: string,
): Promise<{ verdict: string | undefined; rules: string[] }> {
  const directory = await mkdtemp(join(tmpdir(), 'mlsec-policy-'));
  await writeFile(join(directory, '.mlsec.toml'), config);
  const target = join(directory, 'model.pkl');
  await copyFile(join(FIXTURES, fixture), target);
  const report = await runScan({ paths: [target], config: await loadConfig(directory), workers: 0 });
  return { verdict: report.files[0]?.verdict, rules: report.findings.map((finding) => finding.ruleId) };
}

describe('pickle policy from configuration', () => {
  it('allows a reviewed user class', async () => {
    const before = await scanWithConfig('adversarial/user_class_main_mymodel.pkl', '');
    expect(before).toEqual({ verdict: 'suspicious', rules: ['MODEL-PICKLE-002'] });
    const after = await scanWithConfig(
      'adversarial/user_class_main_mymodel.pkl',
      '[pickle]\nallow-globals = ["__main__.MyModel"]\n',
    );
    expect(after).toEqual({ verdict: 'clean', rules: [] });
  });

  it('denies a global the built-in list allows', async () => {
    const result = await scanWithConfig(
      'benign/pickle/stdlib_types_p4.pkl',
      '[pickle]\ndeny-globals = ["collections.OrderedDict"]\n',
    );
    expect(result.verdict).toBe('malicious');
    expect(result.rules).toContain('MODEL-PICKLE-001');
  });

  it('does not let a wildcard allow override the built-in deny list', async () => {
    const result = await scanWithConfig(
      'malicious/pickle_reduce_posix_system_p4.pkl',
      '[pickle]\nallow-globals = ["posix.*"]\n',
    );
    expect(result.verdict).toBe('malicious');
  });
});
