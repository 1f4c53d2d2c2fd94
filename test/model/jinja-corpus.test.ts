import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeTemplate } from '../../src/scanners/model/jinja.js';
import { scanFileForTest, verdictOf } from '../../src/scanners/model/test-support.js';
import { configTemplates, templateFileKind } from '../../src/scanners/model/template-scan.js';

/**
 * The modelaudit Jinja2 corpus: tokenizer_config-style JSON, `.j2`/`.jinja`/`.template` files and YAML configs.
 * Files the scanner claims by name (`tokenizer_config.json`, `.j2`, `.jinja`) go through the scanner; the others
 * (`*.json` under other names, `.template`, `.yaml`) through the same analysis directly: their JSON templates as
 * the scanner reads a tokenizer_config.json, the rest as raw text.
 *
 * Expected verdicts come from the names, except where the contents decide:
 * - `edge_cases/multiple_templates.json` has a benign `chat_template` and a payload in `custom_chat_template`:
 *   flagged, since every top-level string holding template tags is analysed;
 * - the other edge cases (empty, malformed `{{ unclosed_bracket`, no template, an oversized plain loop) are clean;
 * - `standalone/suspicious_benign.template` only reads `message.class` (no dunder): clean;
 * - `standalone/malicious_standalone.jinja` and `yaml/malicious_config.yaml` carry payloads: flagged;
 *   `standalone/benign_chat.j2` and `yaml/model_config.yaml` are clean;
 * - the top-level `tokenizer_config.json` holds the CVE-2024-34359 payload: flagged.
 */
const REPO = resolve(import.meta.dirname, '../..');
const CORPUS = resolve(REPO, '../shared/corpora/models-testdata/modelaudit-jinja2');

const FLAGGED_EDGE = new Set([
  'edge_cases/multiple_templates.json',
  'standalone/malicious_standalone.jinja',
  'yaml/malicious_config.yaml',
  'tokenizer_config.json',
]);

function walk(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const FILES = walk(CORPUS)
  .map((path) => relative(CORPUS, path))
  .filter((path) => !path.startsWith('LICENSE'))
  .sort();

function expected(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (path.startsWith('malicious/') || path.startsWith('obfuscated/') || name.startsWith('malicious_'))
    return true;
  return FLAGGED_EDGE.has(path);
}

/** Template rule ids raised for the file, and the verdict they give. */
async function verdictFor(path: string): Promise<{ rules: string[]; verdict: string }> {
  const absolute = join(CORPUS, path);
  if (templateFileKind(path) !== undefined) {
    const { findings } = await scanFileForTest(absolute);
    return { rules: findings.map((finding) => finding.ruleId), verdict: verdictOf(findings) };
  }
  const text = readFileSync(absolute, 'utf8');
  const templates = path.endsWith('.json')
    ? configTemplates(JSON.parse(text)).map(([, template]) => template)
    : [text];
  const issues = templates.flatMap((template) => analyzeTemplate(template));
  const rules = issues.map((issue) =>
    issue.severity === 'escape' ? 'MODEL-TEMPLATE-001' : 'MODEL-TEMPLATE-002',
  );
  const verdict = issues.some((issue) => issue.severity === 'escape')
    ? 'malicious'
    : issues.length > 0
      ? 'suspicious'
      : 'clean';
  return { rules, verdict };
}

describe('modelaudit Jinja2 corpus (shared/corpora/models-testdata/modelaudit-jinja2)', () => {
  it('holds the expected files', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(FILES)('%s', async (path) => {
    const { rules, verdict } = await verdictFor(path);
    if (expected(path)) {
      expect(rules.length).toBeGreaterThan(0);
      // Every payload in this corpus names a dunder attribute or an execution primitive outright.
      expect(verdict).toBe('malicious');
    } else {
      expect(rules).toEqual([]);
      expect(verdict).toBe('clean');
    }
  });
});
