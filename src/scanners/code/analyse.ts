import type { Node } from 'web-tree-sitter';
import type { RawFinding } from '../../core/finding.js';
import { callSite, type CodeMatch, type CodeRule, type FileContext, type Site } from './call-site.js';
import { collectFacts } from './collect.js';
import { dispatchFor, type Dispatch } from './dispatch.js';
import type { NodeRule } from './node-site.js';
import { qualifiedNames } from './resolve.js';
import { PY_PARSE_001 } from './rules/parse.js';
import type { Scope } from './scopes.js';
import { inlineSuppression } from './suppressions.js';
import { TaintAnalysis } from './taint.js';

const MAX_EVIDENCE_CHARS = 160;

/** Where the code being analysed comes from. */
export interface SourceInfo {
  readonly path: string;
  readonly notebook: boolean;
  /** The rules the scan reports; the others are not checked. Undefined means every rule. */
  readonly enabledRules?: ReadonlySet<string>;
}

/**
 * One pass over a parsed file: collect scopes, calls, comments and the node types rules subscribe to; resolve
 * each call's callee to qualified names and run the checks subscribed to them; run the node checks. Findings on
 * a line with a matching suppression comment are reported as suppressed. The checks are the code rules enabled
 * for the scan, unless the caller brings its own set (the package scanner's heuristics).
 */
export function analyse(
  root: Node,
  checkDeadline: () => void,
  source: SourceInfo,
  dispatch: Dispatch = dispatchFor(source.enabledRules),
): RawFinding[] {
  const findings: RawFinding[] = [];
  const nodeChecks = dispatch.nodeChecksFor(root.text);
  const facts = collectFacts(root, checkDeadline, nodeChecks.types);
  const file: FileContext = { path: source.path, notebook: source.notebook, python2: facts.python2 };
  const parseProblem = firstParseProblem(root);
  if (parseProblem !== undefined) findings.push(parseProblem);
  const taint = fileTaint();
  const siteIn = (scope: Scope): Site => ({
    scope,
    file,
    taint: (node, options) => taint(options?.fileReads === true).taintOf(node, scope),
  });
  const report = (check: CodeRule | NodeRule, match: CodeMatch, node: Node): void => {
    const at = match.node ?? node;
    const line = at.startPosition.row + 1;
    const suppressed = inlineSuppression(facts.comments.get(line), check.rule);
    findings.push({
      ruleId: check.rule.id,
      message: match.message,
      line,
      evidence: evidenceOf(match.evidence ?? at),
      ...(match.severity !== undefined && { severity: match.severity }),
      ...(match.confidence !== undefined && { confidence: match.confidence }),
      ...(suppressed !== undefined && { suppressed }),
    });
  };
  let visited = 0;
  for (const { node, scope } of facts.calls) {
    if (++visited % 1024 === 0) checkDeadline();
    const callee = node.childForFieldName('function');
    if (callee === null) continue;
    const reported = new Set<CodeRule>();
    let site: Site | undefined;
    // Names on unknown objects (`?.execute`) are only worth building for methods some rule subscribes to.
    const unknownObjects = callee.type === 'attribute' && dispatch.watchesMethod(callee);
    for (const name of qualifiedNames(callee, scope, 0, unknownObjects)) {
      for (const check of dispatch.callChecks(name)) {
        if (reported.has(check)) continue;
        site ??= siteIn(scope);
        const call = callSite(name, node, site);
        const match = check.check(call);
        if (match === undefined) continue;
        reported.add(check);
        report(check, check.sink === undefined ? match : withTaint(match, check.sink, call), node);
      }
    }
  }
  for (const { node, scope } of facts.nodes) {
    if (++visited % 1024 === 0) checkDeadline();
    const site = siteIn(scope);
    for (const check of nodeChecks.for(node.type)) {
      const match = check.check(node, site);
      if (match !== undefined) report(check, match, node);
    }
  }
  // Line order, so that the parse problem (found first) sits where it occurs among the other findings.
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** One taint analysis per file and per source set, created when a rule first asks. */
function fileTaint(): (fileReads: boolean) => TaintAnalysis {
  const analyses = new Map<boolean, TaintAnalysis>();
  return (fileReads) => {
    let analysis = analyses.get(fileReads);
    if (analysis === undefined) {
      analysis = new TaintAnalysis({ fileReads });
      analyses.set(fileReads, analysis);
    }
    return analysis;
  };
}

/** A sink's finding at high confidence, naming the source, when untrusted data reaches one of its arguments. */
function withTaint(
  match: CodeMatch,
  sink: NonNullable<CodeRule['sink']>,
  call: ReturnType<typeof callSite>,
): CodeMatch {
  const options = { fileReads: sink.fileReads === true };
  for (const argument of sink.arguments(call)) {
    if (argument === undefined) continue;
    const source = call.taint(argument.node, options);
    if (source === undefined) continue;
    return {
      ...match,
      message: `${match.message}; it receives ${source.label} from line ${source.line}`,
      confidence: 'high',
    };
  }
  return match;
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
