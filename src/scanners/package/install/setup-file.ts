import type { Node } from 'web-tree-sitter';
import { capabilityOfName, capabilityUses, type CapabilityUse } from '../../code/capabilities.js';
import { collectFacts, type CollectedCall } from '../../code/collect.js';
import type { Scope } from '../../code/scopes.js';

const MAX_EVIDENCE_CHARS = 160;

export function firstLine(text: string): string {
  const line = (text.split('\n')[0] ?? '').trim();
  return line.length > MAX_EVIDENCE_CHARS ? `${line.slice(0, MAX_EVIDENCE_CHARS)}…` : line;
}

export function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

export function inside(node: Node, range: Node): boolean {
  return node.startIndex >= range.startIndex && node.endIndex <= range.endIndex;
}

export interface Command {
  readonly program: string;
  readonly argument?: string;
}

/** Everything `setup.py` knows about itself: its scopes, calls, capabilities, classes and functions. */
export interface SetupFile {
  readonly root: Node;
  readonly module: Scope;
  /** In source order, as are {@link uses}. */
  readonly calls: readonly CollectedCall[];
  readonly uses: readonly CapabilityUse[];
  /** The scope of each call, by `start:end`. */
  readonly callScopes: ReadonlyMap<string, Scope>;
  /** `name[key] = value` statements anywhere in setup.py. */
  readonly itemAssignments: readonly Node[];
  /** Commands passed as a function's parameter, by `definition start:parameter`; null while being resolved. */
  readonly parameterCommands: Map<string, readonly Command[] | undefined | null>;
  /** Module-level and nested class definitions by name (the last definition wins). */
  readonly classes: ReadonlyMap<string, Node>;
  readonly checkDeadline: () => void;
}

function definitionsOf(root: Node, type: string): Map<string, Node> {
  const found = new Map<string, Node>();
  for (const node of root.descendantsOfType(type)) {
    const name = node?.childForFieldName('name');
    if (node !== null && name !== null && name !== undefined) found.set(name.text, node);
  }
  return found;
}

/** The innermost function, lambda or class around `node`, if any. */
export function enclosingDefinition(node: Node): Node | undefined {
  for (let parent = node.parent; parent !== null; parent = parent.parent)
    if (['function_definition', 'lambda', 'class_definition'].includes(parent.type)) return parent;
  return undefined;
}

/** The `def` a call's callee names when it is a function of setup.py. */
export function localFunction(call: Node, scope: Scope): Node | undefined {
  const callee = call.childForFieldName('function');
  if (callee?.type !== 'identifier') return undefined;
  const found = scope.lookup(callee.text, callee.startIndex);
  const binding = found?.bindings.find((candidate) => candidate.kind === 'function');
  return binding?.kind === 'function' ? binding.node : undefined;
}

/** The items (sorted by start) whose node lies inside `range`, found by binary search. */
function within<T>(
  items: readonly T[],
  nodeOf: (item: T) => Node,
  range: Node,
  checkDeadline: () => void,
): T[] {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (nodeOf(items[middle] as T).startIndex < range.startIndex) low = middle + 1;
    else high = middle;
  }
  const found: T[] = [];
  for (let index = low; index < items.length; index++) {
    if (index % 4096 === 0) checkDeadline();
    const candidate = items[index] as T;
    const node = nodeOf(candidate);
    if (node.startIndex >= range.endIndex) break;
    if (node.endIndex <= range.endIndex) found.push(candidate);
  }
  return found;
}

export interface ReachedUse {
  readonly use: CapabilityUse;
  /** The call of a setup.py function through which the use is reached, when it is not in the range itself. */
  readonly via?: Node;
}

/**
 * The capability uses inside `ranges`, plus those of setup.py functions called from there (transitively), each
 * with the outermost call that reaches it.
 */
export function usesReachedFrom(
  file: SetupFile,
  ranges: readonly Node[],
  filter: (node: Node) => boolean,
): ReachedUse[] {
  const reached: ReachedUse[] = [];
  const seen = new Set<string>();
  const queue: { range: Node; via: Node | undefined }[] = ranges.map((range) => ({ range, via: undefined }));
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    file.checkDeadline();
    const { range, via } = item;
    const key = `${range.startIndex}:${range.endIndex}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const top = via === undefined;
    for (const use of within(file.uses, (use) => use.node, range, file.checkDeadline))
      if (!top || filter(use.node)) reached.push({ use, ...(via !== undefined && { via }) });
    for (const { node, scope } of within(file.calls, (call) => call.node, range, file.checkDeadline)) {
      if (top && !filter(node)) continue;
      const target = localFunction(node, scope);
      if (target !== undefined && !inside(node, target)) queue.push({ range: target, via: via ?? node });
    }
  }
  return reached;
}

function rangeKey(node: Node): string {
  return `${node.startIndex}:${node.endIndex}`;
}

/** The scope of a call; other nodes are taken to be at module level, where cmdclass dicts are built. */
export function scopeAt(file: SetupFile, node: Node): Scope {
  return file.callScopes.get(rangeKey(node)) ?? file.module;
}

/**
 * `subprocess.check_output([…]).decode().strip()`: the methods called on a capability call's result resolve to
 * names under it (`subprocess.check_output().decode`), which are the same use again, not new ones.
 */
function chainedRepeat(use: CapabilityUse): boolean {
  const cut = use.name.indexOf('()');
  return cut >= 0 && capabilityOfName(use.name.slice(0, cut))?.capability === use.capability;
}

export function parseSetupFile(root: Node, checkDeadline: () => void): SetupFile {
  const facts = collectFacts(root, checkDeadline);
  const calls = [...facts.calls].sort((a, b) => a.node.startIndex - b.node.startIndex);
  const uses = capabilityUses(root, checkDeadline)
    .uses.filter((use) => !chainedRepeat(use))
    .sort((a, b) => a.node.startIndex - b.node.startIndex);
  return {
    root,
    module: facts.module,
    calls,
    uses,
    callScopes: new Map(calls.map((call) => [rangeKey(call.node), call.scope])),
    parameterCommands: new Map(),
    itemAssignments: root
      .descendantsOfType('assignment')
      .filter((node): node is Node => node?.childForFieldName('left')?.type === 'subscript'),
    classes: definitionsOf(root, 'class_definition'),
    checkDeadline,
  };
}
