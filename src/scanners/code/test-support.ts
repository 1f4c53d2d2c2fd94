import type { RawFinding } from '../../core/finding.js';
import { ALL_RULES } from '../../core/registry.js';
import { isEnabledByDefault } from '../../core/selection.js';
import { analyse } from './analyse.js';
import { parsePython } from './parser.js';

/** Parses and analyses Python source held in memory, as the scanner does for a file. */
export async function analyseSource(source: string, path = 'example.py'): Promise<RawFinding[]> {
  const tree = await parsePython(source);
  try {
    return analyse(tree.rootNode, () => undefined, { path, notebook: false });
  } finally {
    tree.delete();
  }
}

const OFF_BY_DEFAULT = new Set(ALL_RULES.filter((rule) => !isEnabledByDefault(rule)).map((rule) => rule.id));

/**
 * `rule@line` for each unsuppressed finding, in line order: compact to assert on. Like a default scan, it leaves
 * out the rules that are off by default (audits such as PY-PROC-002), unless `rules` is `'all'`.
 */
export async function activeFindings(
  source: string,
  path?: string,
  rules: 'default' | 'all' = 'default',
): Promise<string[]> {
  const findings = await analyseSource(source, path);
  return findings
    .filter((finding) => finding.suppressed === undefined)
    .filter((finding) => rules === 'all' || !OFF_BY_DEFAULT.has(finding.ruleId))
    .map((f) => `${f.ruleId}@${f.line}`);
}
