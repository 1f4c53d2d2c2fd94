import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { runScan } from '../../src/core/engine.js';
import { ALL_RULES } from '../../src/core/registry.js';
import { SCAN_RULES } from '../../src/core/scan-rules.js';
import { SCANNERS } from '../../src/scanners/index.js';

/**
 * The typescript-eslint pattern: the registry, the docs folder and the fixtures must agree, so that no rule
 * ships without a doc page, a file that triggers it and a file that must not.
 */
const REPO = resolve(import.meta.dirname, '../..');
const FIXTURES = join(REPO, 'test/fixtures');
type FixtureTable = Record<string, { bad: string[]; good: string[] }>;
/**
 * Model and scan rules list their fixtures in `test/fixtures/rules.json`; code and dependency rules in `rules.json`
 * beside their fixtures, one per theme folder (`test/fixtures/code/des/rules.json`, `test/fixtures/deps/vuln/…`).
 * Paths are relative to `test/fixtures`.
 */
const THEMED_DOMAINS = ['code', 'deps', 'env', 'package'];
const FIXTURE_TABLES = [
  join(FIXTURES, 'rules.json'),
  ...THEMED_DOMAINS.filter((domain) => existsSync(join(FIXTURES, domain))).flatMap((domain) =>
    readdirSync(join(FIXTURES, domain), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(FIXTURES, domain, entry.name, 'rules.json')))
      .map((entry) => join(FIXTURES, domain, entry.name, 'rules.json')),
  ),
];
const RULE_FIXTURES: FixtureTable = Object.assign(
  {},
  ...FIXTURE_TABLES.map((path) => JSON.parse(readFileSync(path, 'utf8')) as FixtureTable),
) as FixtureTable;
const REQUIRED_HEADINGS = ['## What it detects', '## Why it matters', '## Examples', '## How to fix'];

describe('rule registry', () => {
  it('holds exactly the rules the engine and the scanners declare, with unique well-formed ids', () => {
    const declared = [...SCAN_RULES, ...SCANNERS.flatMap((scanner) => scanner.rules)].map((rule) => rule.id);
    expect(ALL_RULES.map((rule) => rule.id).sort()).toEqual([...declared].sort());
    expect(new Set(declared).size).toBe(declared.length);
    for (const id of declared) expect(id).toMatch(/^[A-Z]+(-[A-Z]+)?-\d{3}$/);
  });

  it('gives aliases the id format and never reuses a rule id or another alias', () => {
    const aliases = ALL_RULES.flatMap((rule) => rule.aliases ?? []);
    for (const alias of aliases) expect(alias).toMatch(/^[A-Z]+(-[A-Z]+)?-\d{3}$/);
    const ids = [...ALL_RULES.map((rule) => rule.id), ...aliases];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has a doc page for every rule and no page without a rule', () => {
    const pages = readdirSync(join(REPO, 'docs/rules')).filter((name) => name.endsWith('.md'));
    expect(pages.sort()).toEqual(ALL_RULES.map((rule) => `${rule.id}.md`).sort());
  });

  it('has a fixture entry for every rule and none for unknown rules', () => {
    expect(Object.keys(RULE_FIXTURES).sort()).toEqual(ALL_RULES.map((rule) => rule.id).sort());
  });
});

describe.each(ALL_RULES.map((rule) => [rule.id, rule] as const))('%s', (id, rule) => {
  it('documents itself with the title, metadata and required sections', () => {
    const page = readFileSync(join(REPO, 'docs/rules', `${id}.md`), 'utf8');
    expect(page.split('\n')[0]).toBe(`# ${id}: ${rule.title}`);
    expect(page).toContain(
      `| ${rule.severity} | ${rule.confidence} | ${rule.verdict} | ${rule.cwe.join(', ')} | ${rule.owasp.join(', ')} |`,
    );
    for (const heading of REQUIRED_HEADINGS) expect(page).toContain(heading);
  });

  it('is raised by its bad fixtures and not by its good ones', async () => {
    const fixtures = RULE_FIXTURES[id];
    expect(fixtures?.bad.length).toBeGreaterThan(0);
    expect(fixtures?.good.length).toBeGreaterThan(0);
    for (const [kind, paths] of [
      ['bad', fixtures?.bad ?? []],
      ['good', fixtures?.good ?? []],
    ] as const) {
      for (const path of paths) {
        const absolute = join(FIXTURES, path);
        expect(existsSync(absolute), `${path} exists`).toBe(true);
        // The configuration a scan of this fixture would find: test/fixtures/.mlsec.toml, or the fixture folder's own.
        const config = await loadConfig(dirname(absolute));
        // ALL: off-by-default rules need their fixtures checked too.
        const ruleSelection = { source: 'the meta-test', select: ['ALL'] };
        const report = await runScan({ paths: [absolute], config, workers: 0, ruleSelection });
        const raised = report.findings.some((finding) => finding.ruleId === id);
        expect(raised, `${id} ${kind === 'bad' ? 'raised' : 'not raised'} by ${path}`).toBe(kind === 'bad');
      }
    }
  });
});
