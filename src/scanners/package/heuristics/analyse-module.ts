import { analyse } from '../../code/analyse.js';
import { capabilityUses } from '../../code/capabilities.js';
import { parsePython } from '../../code/parser.js';
import { PY_PARSE_001 } from '../../code/rules/parse.js';
import type { Node } from 'web-tree-sitter';
import type { CapabilityUse, ModuleAnalysis, ModuleInfo } from '../model.js';
import { heuristicDispatchFor } from './families.js';

const MAX_EVIDENCE_CHARS = 160;

function firstLineOf(text: string): string {
  const line = (text.split('\n')[0] ?? '').trim();
  return line.length > MAX_EVIDENCE_CHARS ? `${line.slice(0, MAX_EVIDENCE_CHARS)}…` : line;
}

/**
 * Runs the threat heuristics over one Python module of a package with the code scanner's engine (so aliases,
 * `__import__` chains and dataflow apply), and lists what the module can do. Syntax errors are not findings
 * here: packages still ship Python 2 files, and tree-sitter keeps whatever parses around an error.
 */
export async function analyseModule(text: string, info: ModuleInfo): Promise<ModuleAnalysis> {
  const tree = await parsePython(text);
  try {
    const root = tree.rootNode;
    const findings = analyse(
      root,
      info.checkDeadline,
      {
        path: info.path,
        notebook: false,
        ...(info.enabledRules !== undefined && { enabledRules: info.enabledRules }),
      },
      heuristicDispatchFor(info.enabledRules),
    ).filter((finding) => finding.ruleId !== PY_PARSE_001.id);
    const capabilities = info.skipCapabilities === true ? [] : usesIn(root, info.path, info.checkDeadline);
    return { findings, capabilities };
  } finally {
    tree.delete();
  }
}

function usesIn(root: Node, path: string, checkDeadline: () => void): CapabilityUse[] {
  return capabilityUses(root, checkDeadline).uses.map((use) => ({
    capability: use.capability,
    path,
    line: use.node.startPosition.row + 1,
    evidence: firstLineOf(use.node.text),
  }));
}

/** What one module can do, without running the heuristics (the risk score's second pass). */
export async function moduleCapabilities(
  text: string,
  path: string,
  checkDeadline: () => void,
): Promise<CapabilityUse[]> {
  const tree = await parsePython(text);
  try {
    return usesIn(tree.rootNode, path, checkDeadline);
  } finally {
    tree.delete();
  }
}
