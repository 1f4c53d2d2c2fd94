import type { RawFinding } from '../../core/finding.js';
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

/** `rule@line` for each unsuppressed finding, in line order: compact to assert on. */
export async function activeFindings(source: string, path?: string): Promise<string[]> {
  const findings = await analyseSource(source, path);
  return findings.filter((finding) => finding.suppressed === undefined).map((f) => `${f.ruleId}@${f.line}`);
}
