import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import { archiveOf, CheckCollector } from '../install/test-support.js';
import { checkMetadata } from './index.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const POPULAR = resolve(REPO, '../shared/data/top-pypi-packages/top-pypi-packages.min.json');
const MAL_DB = resolve(REPO, 'test/fixtures/deps/vuln/db');

function metadataText(fields: Record<string, string | string[]>, body = 'A longer description.'): string {
  const lines = Object.entries(fields).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((item) => `${name}: ${item}`),
  );
  return `Metadata-Version: 2.1\n${lines.join('\n')}\n\n${body}\n`;
}

const GOOD = { Name: 'plainlib', Version: '1.4.2', Summary: 'Small helpers for tabular feature engineering' };

async function check(
  fileName: string,
  files: Record<string, string>,
  deps: { popular?: string; db?: string } = { popular: POPULAR },
): Promise<CheckCollector> {
  const context = new CheckCollector(deps);
  await checkMetadata(archiveOf(fileName, files), context);
  return context;
}

function ruleIds(context: CheckCollector): string[] {
  return context.findings.map((finding) => finding.ruleId).sort();
}

describe('checkMetadata', () => {
  it('is clean for a well-formed sdist and wheel', async () => {
    expect(ruleIds(await check('plainlib-1.4.2.tar.gz', { 'PKG-INFO': metadataText(GOOD) }))).toEqual([]);
    const wheel = await check('plainlib-1.4.2-py3-none-any.whl', {
      'plainlib/__init__.py': '',
      'plainlib-1.4.2.dist-info/METADATA': metadataText({
        ...GOOD,
        'Requires-Dist': ['requests>=2.25', 'numpy'],
      }),
    });
    expect(ruleIds(wheel)).toEqual([]);
    // Legacy sdist names keep their hyphens and case; local versions and `_` in wheel versions compare equal.
    expect(
      ruleIds(
        await check('Plain-Lib-1.4.2.tar.gz', { 'PKG-INFO': metadataText({ ...GOOD, Name: 'plain_lib' }) }),
      ),
    ).toEqual([]);
    expect(
      ruleIds(
        await check('plainlib-1.4.2.post0-py3-none-any.whl', {
          'plainlib-1.4.2.post0.dist-info/METADATA': metadataText({ ...GOOD, Version: '1.4.2-post0' }),
        }),
      ),
    ).toEqual([]);
  });

  it('PKG-META-001: flags a typosquatted own name, high, with the imitated project', async () => {
    const context = await check('reqeusts-2.31.0.tar.gz', {
      'PKG-INFO': metadataText({ ...GOOD, Name: 'reqeusts', Version: '2.31.0' }),
    });
    expect(ruleIds(context)).toEqual(['PKG-META-001']);
    expect(context.findings[0]?.message).toContain('`requests`');
    expect(context.findings[0]?.member).toBe('reqeusts-2.31.0/PKG-INFO');
    expect(context.findings[0]?.line).toBe(2);
    // Without a popular list there is nothing to measure against.
    expect(
      ruleIds(
        await check(
          'reqeusts-2.31.0.tar.gz',
          { 'PKG-INFO': metadataText({ ...GOOD, Name: 'reqeusts', Version: '2.31.0' }) },
          {},
        ),
      ),
    ).toEqual([]);
  });

  it('PKG-META-002: flags missing and placeholder summaries', async () => {
    for (const summary of [
      'UNKNOWN',
      '',
      'plainlib',
      'A short description',
      'Lorem ipsum dolor sit amet',
      'test',
    ]) {
      const context = await check('plainlib-1.4.2.tar.gz', {
        'PKG-INFO': metadataText({ ...GOOD, Summary: summary }),
      });
      expect(ruleIds(context), summary).toEqual(['PKG-META-002']);
    }
    const missing = await check('plainlib-1.4.2.tar.gz', {
      'PKG-INFO': metadataText({ Name: 'plainlib', Version: '1.4.2' }),
    });
    expect(missing.findings[0]?.message).toBe('plainlib 1.4.2 has no summary.');
    expect(
      ruleIds(
        await check('plainlib-1.4.2.tar.gz', {
          'PKG-INFO': metadataText({ ...GOOD, Summary: 'Tests for plainlib' }),
        }),
      ),
    ).toEqual([]);
  });

  it('PKG-META-003: flags version 0 in any spelling', async () => {
    for (const version of ['0', '0.0', '0.0.0', '0.0.0+local']) {
      const context = await check(`plainlib-${version}.tar.gz`, {
        'PKG-INFO': metadataText({ ...GOOD, Version: version }),
      });
      expect(ruleIds(context), version).toEqual(['PKG-META-003']);
    }
    for (const version of ['0.0.1', '0.1', '0.0.0.post1'])
      expect(
        ruleIds(
          await check(`plainlib-${version}.tar.gz`, {
            'PKG-INFO': metadataText({ ...GOOD, Version: version }),
          }),
        ),
      ).toEqual([]);
  });

  it('PKG-META-004: flags names, versions and folders that disagree, and wheels without METADATA', async () => {
    const renamed = await check('plainlib-1.4.2.tar.gz', {
      'PKG-INFO': metadataText({ ...GOOD, Name: 'otherlib' }),
    });
    expect(ruleIds(renamed)).toEqual(['PKG-META-004']);
    expect(renamed.findings[0]?.message).toContain('the file name says `plainlib`, the metadata `otherlib`');
    const version = await check('plainlib-1.4.3-py3-none-any.whl', {
      'plainlib-1.4.3.dist-info/METADATA': metadataText(GOOD),
    });
    expect(version.findings.map((finding) => finding.message).join()).toContain('version 1.4.3');
    const folder = await check('plainlib-1.4.2-py3-none-any.whl', {
      'numpy-1.26.0.dist-info/METADATA': metadataText(GOOD),
    });
    expect(folder.findings[0]?.message).toContain('`numpy-1.26.0.dist-info`');
    const top = new CheckCollector({});
    await checkMetadata(
      { ...archiveOf('plainlib-1.4.2.tar.gz', { 'PKG-INFO': metadataText(GOOD) }), root: 'evil-0.1/' },
      top,
    );
    expect(top.findings[0]?.message).toContain('its top folder is `evil-0.1/`');
    const none = await check('plainlib-1.4.2-py3-none-any.whl', { 'plainlib/__init__.py': '' });
    expect(ruleIds(none)).toEqual(['PKG-META-004']);
    expect(none.findings[0]?.member).toBeUndefined();
  });

  it('PKG-META-005: flags Requires-Dist on a typosquat and on a known malicious package', async () => {
    const context = await check(
      'plainlib-1.4.2-py3-none-any.whl',
      {
        'plainlib-1.4.2.dist-info/METADATA': metadataText({
          ...GOOD,
          'Requires-Dist': [
            'numpy>=1.21',
            'reqeusts>=2.0',
            'torchtriton==2.0.0',
            'local-thing @ https://example.org/x.whl',
          ],
        }),
      },
      { popular: POPULAR, db: MAL_DB },
    );
    expect(context.findings.map((finding) => [finding.ruleId, finding.line])).toEqual([
      ['PKG-META-005', 6],
      ['PKG-META-005', 7],
    ]);
    expect(context.findings[1]?.message).toContain('MAL-2022-0001');
  });

  it('fails closed on metadata it cannot read', async () => {
    const broken = check('plainlib-1.4.2.tar.gz', { 'PKG-INFO': 'Name plainlib\n' });
    await expect(broken).rejects.toBeInstanceOf(ParseError);
  });
});
