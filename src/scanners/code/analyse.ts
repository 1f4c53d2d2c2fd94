import type { Node } from 'web-tree-sitter';
import type { RawFinding } from '../../core/finding.js';
import { callSite, type CodeRule } from './call-site.js';
import { collectFacts } from './collect.js';
import { qualifiedNames } from './resolve.js';
import { CODE_CHECKS } from './rules.js';
import { PY_PARSE_001 } from './rules/parse.js';
import { inlineSuppression } from './suppressions.js';

const MAX_EVIDENCE_CHARS = 160;

/** Subscriptions by exact qualified name, plus the `*` patterns compiled once. */
const EXACT = new Map<string, CodeRule[]>();
const PATTERNS: { pattern: RegExp; check: CodeRule }[] = [];
for (const check of CODE_CHECKS) {
  for (const name of check.calls) {
    if (name.includes('*')) {
      const source = name
        .split('.')
        .map((segment) => (segment === '*' ? '[^.]+(?:\\.[^.]+)*' : segment.replace(/[^\w]/g, '\\$&')))
        .join('\\.');
      PATTERNS.push({ pattern: new RegExp(`^${source}$`), check });
    } else {
      const list = EXACT.get(name);
      if (list === undefined) EXACT.set(name, [check]);
      else list.push(check);
    }
  }
}

function subscribers(name: string): CodeRule[] {
  const exact = EXACT.get(name) ?? [];
  const patterned = PATTERNS.filter(({ pattern }) => pattern.test(name)).map(({ check }) => check);
  return patterned.length === 0 ? exact : [...exact, ...patterned];
}

/**
 * One pass over a parsed file: collect scopes, calls and comments, resolve each call's callee to qualified
 * names, and run the checks subscribed to them. Findings on a line with a matching suppression comment are
 * reported as suppressed.
 */
export function analyse(root: Node, checkDeadline: () => void): RawFinding[] {
  const findings: RawFinding[] = [];
  const facts = collectFacts(root, checkDeadline);
  const parseProblem = firstParseProblem(root);
  if (parseProblem !== undefined) findings.push(parseProblem);
  let visited = 0;
  for (const { node, scope } of facts.calls) {
    if (++visited % 1024 === 0) checkDeadline();
    const callee = node.childForFieldName('function');
    if (callee === null) continue;
    const reported = new Set<CodeRule>();
    for (const name of qualifiedNames(callee, scope)) {
      for (const check of subscribers(name)) {
        if (reported.has(check)) continue;
        const match = check.check(callSite(name, node, scope));
        if (match === undefined) continue;
        reported.add(check);
        const line = node.startPosition.row + 1;
        const suppressed = inlineSuppression(facts.comments.get(line), check.rule);
        findings.push({
          ruleId: check.rule.id,
          message: match.message,
          line,
          evidence: evidenceOf(node),
          ...(match.severity !== undefined && { severity: match.severity }),
          ...(match.confidence !== undefined && { confidence: match.confidence }),
          ...(suppressed !== undefined && { suppressed }),
        });
      }
    }
  }
  // Line order, so that the parse problem (found first) sits where it occurs among the other findings.
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function lineAt(root: Node, row: number): string {
  return root.text.split('\n')[row] ?? '';
}

function evidenceOf(node: Node | string): string {
  const text = typeof node === 'string' ? node : node.text;
  const firstLine = (text.split('\n')[0] ?? '').trim();
  return firstLine.length > MAX_EVIDENCE_CHARS ? `${firstLine.slice(0, MAX_EVIDENCE_CHARS)}…` : firstLine;
}

/** The first ERROR or MISSING node, reported once per file with the number of problems. */
function firstParseProblem(root: Node): RawFinding | undefined {
  if (!root.hasError) return undefined;
  const problems: Node[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (node.type === 'ERROR' || node.isMissing) {
      problems.push(node);
      continue;
    }
    if (!node.hasError) continue;
    for (const child of node.children) if (child !== null) stack.push(child);
  }
  const first = problems.sort((a, b) => a.startIndex - b.startIndex)[0];
  if (first === undefined) return undefined;
  const line = first.startPosition.row + 1;
  const what = first.isMissing ? `missing ${first.type}` : 'unexpected syntax';
  return {
    ruleId: PY_PARSE_001.id,
    message: `${problems.length} syntax error(s); the first at line ${line} (${what}). The rest of the file was scanned.`,
    line,
    // A MISSING node is zero-width; the source line around it is what a reader needs to see.
    evidence: evidenceOf(first.text === '' ? lineAt(root, first.startPosition.row) : first),
  };
}
