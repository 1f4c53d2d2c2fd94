import { returnValues } from '../../code/returns.js';
import type { Node, Tree } from 'web-tree-sitter';
import { collectFacts, type CollectedCall } from '../../code/collect.js';
import type { Argument } from '../../code/call-site.js';
import { qualifiedNames } from '../../code/resolve.js';
import type { Scope } from '../../code/scopes.js';

/**
 * A fact about the data a value is built from: "read from ~/.ssh", "the whole environment", "a site-packages
 * folder", "names a .pth file". Heuristics define their own kinds.
 */
export interface Mark {
  readonly kind: string;
  /** What the data is, for messages: `SSH keys (~/.ssh)`. */
  readonly label: string;
  /** 1-based line where the marked value appears. */
  readonly line: number;
}

/**
 * Says what a node is for one heuristic: marks (the node is a source; its inside is not followed), an empty
 * array (a barrier: nothing flows through it, `len(x)`), or undefined (follow what it is built from).
 */
export type MarkFinder = (node: Node, scope: Scope) => readonly Mark[] | undefined;

/** Flows are followed this many steps (assignments, calls, returns, parameters), which also bounds the cost. */
const MAX_DEPTH = 24;
/** A query stops after this many visited nodes. */
const MAX_VISITS = 4000;
const MAX_MARKS = 16;

/** Node types whose value is built from their named children. */
const COMBINING = new Set([
  'binary_operator',
  'boolean_operator',
  'conditional_expression',
  'concatenated_string',
  'interpolation',
  'parenthesized_expression',
  'list',
  'tuple',
  'set',
  'dictionary',
  'pair',
  'expression_list',
  'await',
  'list_splat',
  'dictionary_splat',
  'list_comprehension',
  'set_comprehension',
  'dictionary_comprehension',
  'generator_expression',
  'for_in_clause',
  'argument_list',
  'format_expression',
  'unary_operator',
]);

/** Methods that put their arguments into the object they are called on: `parts.append(x)`, `zf.write(p)`. */
const MUTATORS = new Set([
  'append',
  'extend',
  'insert',
  'update',
  'add',
  'write',
  'writelines',
  'writestr',
  'setdefault',
]);

/** Constructors of objects that write what they are given into the file object passed to them. */
const WRITERS = new Set([
  'zipfile.ZipFile',
  'tarfile.open',
  'tarfile.TarFile',
  'gzip.GzipFile',
  'gzip.open',
  'bz2.open',
  'lzma.open',
  'io.TextIOWrapper',
  'io.BufferedWriter',
  'csv.writer',
  'csv.DictWriter',
]);

interface Mutation {
  readonly value: Node;
  readonly scope: Scope;
  /** The innermost function the mutation happens in (node id), -1 at module level. */
  readonly owner: number;
}

/** What the flow queries need to know about a whole file, built once per parse tree when first asked. */
export interface FileIndex {
  readonly calls: readonly CollectedCall[];
  /** Values put into a name by mutation (`x.append(v)`, `x[k] = v`), by the name. */
  readonly mutations: ReadonlyMap<string, readonly Mutation[]>;
  /**
   * Objects that write into another (`z` for `buf` after `z = zipfile.ZipFile(buf, "w")` or `with … as z`), by the
   * name of the one written into: what is put into `z` ends up in `buf`.
   */
  readonly wrappers: ReadonlyMap<string, readonly { readonly name: string; readonly owner: number }[]>;
  /** Values assigned, appended or stored into `self.x`, by {@link memberKey}. */
  readonly members: ReadonlyMap<string, readonly Mutation[]>;
  /** Calls by the last name of their callee (`send` for `self.send(...)` and `send(...)`). */
  readonly callers: ReadonlyMap<string, readonly CollectedCall[]>;
}

const indexes = new WeakMap<Tree, FileIndex>();

/** The file index of the tree `node` belongs to. */
export function fileIndex(node: Node): FileIndex {
  const tree = node.tree;
  let index = indexes.get(tree);
  if (index === undefined) {
    index = buildIndex(tree.rootNode);
    indexes.set(tree, index);
  }
  return index;
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** `class-id:name` for `self.name` inside a class's methods, the key of {@link FileIndex.members}. */
export function memberKey(node: Node): string | undefined {
  if (node.type !== 'attribute' || node.childForFieldName('object')?.text !== 'self') return undefined;
  const name = node.childForFieldName('attribute')?.text;
  for (let at = node.parent; at !== null; at = at.parent)
    if (at.type === 'class_definition') return name === undefined ? undefined : `${at.id}:${name}`;
  return undefined;
}

function buildIndex(root: Node): FileIndex {
  const facts = collectFacts(
    root,
    () => undefined,
    new Set(['assignment', 'augmented_assignment', 'as_pattern']),
  );
  const mutations = new Map<string, Mutation[]>();
  const wrappers = new Map<string, { name: string; owner: number }[]>();
  const members = new Map<string, Mutation[]>();
  const callers = new Map<string, CollectedCall[]>();
  /** Records `value` as put into `target` (a name, `self.x`, or an item of one of these). */
  const store = (target: Node | null, value: Node, scope: Scope, at: Node): void => {
    if (target?.type === 'subscript') target = target.childForFieldName('value');
    if (target === null) return;
    if (target.type === 'identifier') push(mutations, target.text, { value, scope, owner: ownerOf(at) });
    const key = memberKey(target);
    if (key !== undefined) push(members, key, { value, scope, owner: ownerOf(at) });
  };
  /** `name` wraps the identifiers passed to the call `value` (`ZipFile(buf)`). */
  const wrap = (name: Node | null, value: Node | null, scope: Scope, at: Node): void => {
    if (name?.type !== 'identifier' || value?.type !== 'call') return;
    const callee = value.childForFieldName('function');
    if (callee === null || !qualifiedNames(callee, scope).some((called) => WRITERS.has(called))) return;
    for (const argument of value.childForFieldName('arguments')?.namedChildren ?? []) {
      const inner = argument?.type === 'keyword_argument' ? argument.childForFieldName('value') : argument;
      if (inner?.type === 'identifier') push(wrappers, inner.text, { name: name.text, owner: ownerOf(at) });
    }
  };
  for (const collected of facts.calls) {
    const callee = collected.node.childForFieldName('function');
    if (callee === null) continue;
    if (callee.type === 'identifier') push(callers, callee.text, collected);
    if (callee.type !== 'attribute') continue;
    const method = callee.childForFieldName('attribute')?.text ?? '';
    push(callers, method, collected);
    const args = collected.node.childForFieldName('arguments');
    if (MUTATORS.has(method) && args !== null)
      store(callee.childForFieldName('object'), args, collected.scope, collected.node);
  }
  for (const { node, scope } of facts.nodes) {
    if (node.type === 'as_pattern') {
      const alias = node.childForFieldName('alias');
      wrap(
        alias?.type === 'as_pattern_target' ? alias.firstNamedChild : alias,
        node.firstNamedChild,
        scope,
        node,
      );
      continue;
    }
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (left === null || right === null) continue;
    if (node.type === 'assignment') wrap(left, right, scope, node);
    // Plain assignments to names are bindings already; items and members are not.
    if (node.type === 'assignment' && left.type === 'identifier') continue;
    store(left, right, scope, node);
  }
  return { calls: facts.calls, mutations, wrappers, members, callers };
}

/** The innermost enclosing function or lambda (node id), -1 at module level. */
export function ownerOf(node: Node): number {
  for (let at = node.parent; at !== null; at = at.parent)
    if (at.type === 'function_definition' || at.type === 'lambda') return at.id;
  return -1;
}

/**
 * The top-level definition (`def` or `class` at module level, id of the node) a node is in, or -1 for the
 * module's own statements. Code in one such unit is what runs together.
 */
export function topLevelUnit(node: Node): number {
  let at: Node = node;
  for (let parent = at.parent; parent !== null; parent = at.parent) {
    if (parent.type === 'module')
      return at.type === 'function_definition' ||
        at.type === 'class_definition' ||
        at.type === 'decorated_definition'
        ? at.id
        : -1;
    at = parent;
  }
  return -1;
}

/** The statement a node belongs to (the child of a block or of the module). */
export function statementOf(node: Node): Node {
  let at: Node = node;
  for (let parent = at.parent; parent !== null; parent = at.parent) {
    if (parent.type === 'block' || parent.type === 'module') return at;
    at = parent;
  }
  return at;
}

/**
 * Every mark that reaches `node` backwards through the data it is built from: assignments, string building,
 * containers, calls (their arguments and the object of a method), the returns of functions of the same file,
 * values appended or stored into a name in the same function (or into an object wrapping it, `ZipFile(buf)`),
 * values assigned or appended to `self.x` anywhere in the class, and, for parameters, the arguments of the calls
 * to the function in the same file.
 */
export function marksOf(node: Node, scope: Scope, finder: MarkFinder): Mark[] {
  return new MarkQuery(finder).run(node, scope);
}

class MarkQuery {
  private readonly finder: MarkFinder;
  private readonly visited = new Set<number>();
  private readonly marks: Mark[] = [];
  private visits = 0;

  constructor(finder: MarkFinder) {
    this.finder = finder;
  }

  run(node: Node, scope: Scope): Mark[] {
    this.visit(node, scope, 0);
    return this.marks;
  }

  private full(): boolean {
    return this.marks.length >= MAX_MARKS || this.visits > MAX_VISITS;
  }

  private visit(node: Node | null, scope: Scope, depth: number): void {
    if (node === null || depth > MAX_DEPTH || this.full() || this.visited.has(node.id)) return;
    this.visited.add(node.id);
    this.visits++;
    const found = this.finder(node, scope);
    if (found !== undefined) {
      for (const mark of found)
        if (!this.marks.some((m) => m.kind === mark.kind && m.label === mark.label)) this.marks.push(mark);
      return;
    }
    switch (node.type) {
      case 'identifier':
        this.identifier(node, scope, depth);
        return;
      case 'attribute': {
        const key = memberKey(node);
        for (const member of key === undefined ? [] : (fileIndex(node).members.get(key) ?? []))
          this.visit(member.value, member.scope, depth + 1);
        this.visit(node.childForFieldName('object'), scope, depth + 1);
        return;
      }
      case 'subscript':
        this.visit(node.childForFieldName('value'), scope, depth + 1);
        return;
      case 'keyword_argument':
        this.visit(node.childForFieldName('value'), scope, depth + 1);
        return;
      case 'string':
        for (const part of node.namedChildren)
          if (part?.type === 'interpolation') this.visit(part, scope, depth + 1);
        return;
      case 'call':
        this.call(node, scope, depth);
        return;
      default:
        if (COMBINING.has(node.type))
          for (const child of node.namedChildren)
            if (child !== null && child.type !== 'comment') this.visit(child, scope, depth + 1);
    }
  }

  private identifier(node: Node, scope: Scope, depth: number): void {
    if (node.text === 'self' || node.text === 'cls') return;
    const found = scope.lookup(node.text, node.startIndex);
    for (const binding of found?.bindings ?? []) {
      if (binding.kind === 'value') this.visit(binding.value, binding.scope, depth + 1);
      else if (binding.kind === 'derived')
        for (const from of binding.from) this.visit(from, binding.scope, depth + 1);
      else if (binding.kind === 'parameter') this.parameter(binding.function, binding.name, depth);
    }
    if (found === undefined || this.full()) return;
    const owner = ownerOf(node);
    const index = fileIndex(node);
    const names = [node.text];
    for (const wrapper of index.wrappers.get(node.text) ?? [])
      if (wrapper.owner === owner && !names.includes(wrapper.name)) names.push(wrapper.name);
    for (const name of names)
      for (const mutation of index.mutations.get(name) ?? [])
        if (mutation.owner === owner) this.visit(mutation.value, mutation.scope, depth + 1);
  }

  private call(node: Node, scope: Scope, depth: number): void {
    this.visit(node.childForFieldName('arguments'), scope, depth + 1);
    const callee = node.childForFieldName('function');
    if (callee?.type === 'attribute') this.visit(callee.childForFieldName('object'), scope, depth + 1);
    if (callee?.type !== 'identifier') return;
    for (const binding of scope.lookup(callee.text, callee.startIndex)?.bindings ?? []) {
      if (binding.kind !== 'function') continue;
      for (const value of returnValuesOf(binding.node)) this.visit(value, binding.body, depth + 1);
    }
  }

  /** A parameter carries what the calls to its function in this file pass in its place. */
  private parameter(definition: Node, name: string, depth: number): void {
    const functionName = definition.childForFieldName('name')?.text;
    if (functionName === undefined) return;
    const parameters = (definition.childForFieldName('parameters')?.namedChildren ?? []).filter(
      (parameter): parameter is Node => parameter !== null,
    );
    const position = parameters.findIndex((parameter) => parameterName(parameter) === name);
    if (position < 0) return;
    const first = parameters[0] === undefined ? undefined : parameterName(parameters[0]);
    const method = first === 'self' || first === 'cls';
    for (const caller of fileIndex(definition).callers.get(functionName) ?? []) {
      const callee = caller.node.childForFieldName('function');
      const shift = method && callee?.type === 'attribute' ? 1 : 0;
      const args = (caller.node.childForFieldName('arguments')?.namedChildren ?? []).filter(
        (arg): arg is Node => arg !== null && arg.type !== 'comment',
      );
      const keyword = args.find(
        (arg) => arg.type === 'keyword_argument' && arg.childForFieldName('name')?.text === name,
      );
      const positional = args.filter((arg) => arg.type !== 'keyword_argument')[position - shift];
      this.visit(keyword ?? positional ?? null, caller.scope, depth + 1);
    }
  }
}

function parameterName(parameter: Node): string | undefined {
  if (parameter.type === 'identifier') return parameter.text;
  const named = parameter.childForFieldName('name');
  if (named !== null) return named.text;
  return parameter.namedChildren.find((child) => child?.type === 'identifier')?.text;
}

/** The values a function definition returns. */
function returnValuesOf(definition: Node): Node[] {
  const body = definition.childForFieldName('body');
  return body === null ? [] : returnValues(body);
}

/**
 * The literal text of a string or implicit concatenation, read as a whole: undefined for a part of a
 * concatenation (its whole is read instead) and for texts too long to be worth matching patterns against.
 */
export function wholeStringText(node: Node, maxChars = 20_000): string | undefined {
  if (node.type === 'string' && node.parent?.type === 'concatenated_string') return undefined;
  const text =
    node.type === 'string'
      ? literalText(node)
      : node.namedChildren.map((part) => (part?.type === 'string' ? literalText(part) : '')).join('');
  return text.length > maxChars ? undefined : text;
}

/** The literal text of a string node (its content and escapes as written), interpolations left out. */
export function literalText(node: Node): string {
  let value = '';
  for (const part of node.namedChildren) {
    if (part === null) continue;
    if (part.type === 'string_content' || part.type === 'escape_sequence') value += part.text;
  }
  return value;
}

export function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** A string that is the first statement of a module, class or function body: its docstring. */
export function isDocstring(node: Node): boolean {
  const statement = node.parent;
  if (statement?.type !== 'expression_statement') return false;
  const body = statement.parent;
  if (body === null || (body.type !== 'module' && body.type !== 'block')) return false;
  const first = body.namedChildren.find((child) => child?.type !== 'comment');
  return first?.id === statement.id;
}

/**
 * The command text of a process call: a string's literal parts (an f-string's interpolations left out), or the
 * literal items of an argument list joined by spaces (`?` for the others).
 */
export function commandText(argument: Argument | undefined): string | undefined {
  if (argument === undefined) return undefined;
  if (argument.constant?.kind === 'string') return argument.constant.value;
  const node = argument.node;
  if (node.type === 'string') return literalText(node);
  if (node.type === 'list' || node.type === 'tuple')
    return node.namedChildren.map((item) => (item?.type === 'string' ? literalText(item) : '?')).join(' ');
  return undefined;
}
