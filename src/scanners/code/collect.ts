import { Query, type Language, type Node } from 'web-tree-sitter';
import { Scope } from './scopes.js';

/** A call expression and the scope it is evaluated in. */
export interface CollectedCall {
  readonly node: Node;
  readonly scope: Scope;
}

/** A node of a type some rule subscribes to, and the scope it is evaluated in. */
export type CollectedNode = CollectedCall;

export interface FileFacts {
  readonly module: Scope;
  readonly calls: readonly CollectedCall[];
  /** Nodes of the types in `subscribed`, in source order. */
  readonly nodes: readonly CollectedNode[];
  /** Comment text by 1-based line, for suppression comments. */
  readonly comments: ReadonlyMap<number, string>;
  /** The file uses Python 2 statement syntax (`print "x"`, `exec code`), so it is Python 2 code. */
  readonly python2: boolean;
}

/** The node types the collector looks at; the query engine finds them without walking the tree in JavaScript. */
const INTERESTING_TYPES = [
  'function_definition',
  'lambda',
  'class_definition',
  'import_statement',
  'import_from_statement',
  'assignment',
  'augmented_assignment',
  'for_statement',
  'for_in_clause',
  'named_expression',
  'as_pattern',
  'global_statement',
  'nonlocal_statement',
  'call',
  'comment',
  'print_statement',
  'exec_statement',
];

const PYTHON2_STATEMENTS = new Set(['print_statement', 'exec_statement']);

/**
 * One compiled query per grammar and subscription set (one per worker in practice: the rules subscribe to a
 * fixed set of node types). This module loads only with the parser.
 */
const queries = new WeakMap<Language, Map<string, Query>>();

function queryFor(language: Language, subscribed: ReadonlySet<string>): Query {
  const types = [...new Set([...INTERESTING_TYPES, ...subscribed])];
  const key = types.join(' ');
  let byTypes = queries.get(language);
  if (byTypes === undefined) {
    byTypes = new Map();
    queries.set(language, byTypes);
  }
  let query = byTypes.get(key);
  if (query === undefined) {
    query = new Query(language, `[${types.map((type) => `(${type})`).join(' ')}] @node`);
    byTypes.set(key, query);
  }
  return query;
}

/** A function, lambda or class whose body is being read: positions inside `[bodyStart, end)` are in `inner`. */
interface OpenScope {
  readonly inner: Scope;
  readonly outer: Scope;
  readonly bodyStart: number;
  readonly end: number;
}

/**
 * One pass over the nodes of interest, in source order (a `global` statement precedes its uses), that builds the
 * scopes and their bindings and collects every call and comment. Bindings come from imports, assignments,
 * parameters, loop and `with` targets, `def` and `class`. The nodes come from a tree-sitter query, so the
 * traversal runs inside WebAssembly; a stack of open scopes, by byte range, tells which scope each node is in.
 * `checkDeadline` runs every few thousand nodes.
 */
export function collectFacts(
  root: Node,
  checkDeadline: () => void,
  subscribed: ReadonlySet<string> = new Set(),
): FileFacts {
  const module = new Scope('module', undefined);
  const calls: CollectedCall[] = [];
  const nodes: CollectedNode[] = [];
  const comments = new Map<number, string>();
  const open: OpenScope[] = [];
  const captures = queryFor(root.tree.language, subscribed).captures(root);
  let python2 = false;
  let visited = 0;
  for (const { node } of captures) {
    if (++visited % 4096 === 0) checkDeadline();
    const position = node.startIndex;
    while (open.length > 0 && position >= (open[open.length - 1] as OpenScope).end) open.pop();
    const enclosing = open[open.length - 1];
    // Decorators, defaults and base classes sit inside the definition's range but before its body.
    const scope =
      enclosing === undefined ? module : position >= enclosing.bodyStart ? enclosing.inner : enclosing.outer;
    if (subscribed.has(node.type)) nodes.push({ node, scope });
    if (PYTHON2_STATEMENTS.has(node.type)) python2 = true;
    const opened = visit(node, scope, calls, comments);
    if (opened !== undefined) {
      const body = node.childForFieldName('body');
      open.push({
        inner: opened,
        outer: scope,
        bodyStart: body?.startIndex ?? node.endIndex,
        end: node.endIndex,
      });
    }
  }
  return { module, calls, nodes, comments, python2 };
}

/** Records what `node` binds or is; returns the scope its body opens. */
function visit(
  node: Node,
  scope: Scope,
  calls: CollectedCall[],
  comments: Map<number, string>,
): Scope | undefined {
  switch (node.type) {
    case 'function_definition':
    case 'lambda':
      return enterFunction(node, scope);
    case 'class_definition': {
      const name = node.childForFieldName('name');
      if (name !== null) scope.bind(name.text, { kind: 'opaque', position: node.startIndex });
      return new Scope('class', scope);
    }
    case 'import_statement':
      bindImport(node, scope);
      return undefined;
    case 'import_from_statement':
      bindImportFrom(node, scope);
      return undefined;
    case 'assignment':
      bindAssignment(node, scope);
      return undefined;
    case 'augmented_assignment': {
      // `x += y` derives x from its old value (the target, read where it stands) and y.
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (left?.type === 'identifier' && right !== null)
        scope.bind(left.text, { kind: 'derived', position: node.endIndex, from: [left, right], scope });
      return undefined;
    }
    case 'for_statement':
    case 'for_in_clause': {
      // Loop variables take their values from the iterable. A comprehension's variables are bound in the
      // enclosing scope: an approximation of its own scope that is enough to shadow and to carry taint.
      const iterable = node.childForFieldName('right');
      bindDerived(
        node.childForFieldName('left'),
        iterable === null ? [] : [iterable],
        scope,
        node.startIndex,
      );
      return undefined;
    }
    case 'named_expression': {
      const name = node.childForFieldName('name');
      const value = node.childForFieldName('value');
      if (name !== null && value !== null)
        scope.bind(name.text, { kind: 'value', position: node.endIndex, value, scope });
      return undefined;
    }
    case 'as_pattern':
      bindAs(node, scope);
      return undefined;
    case 'global_statement':
      for (const name of node.namedChildren) if (name?.type === 'identifier') scope.declareGlobal(name.text);
      return undefined;
    case 'nonlocal_statement':
      for (const name of node.namedChildren)
        if (name?.type === 'identifier') scope.declareNonlocal(name.text);
      return undefined;
    case 'call':
      calls.push({ node, scope });
      return undefined;
    case 'comment':
      comments.set(node.startPosition.row + 1, node.text);
      return undefined;
    default:
      return undefined;
  }
}

/** Binds the function's name outside and its parameters inside the scope it opens. */
function enterFunction(node: Node, outer: Scope): Scope {
  const inner = new Scope('function', outer);
  const name = node.childForFieldName('name');
  if (name !== null)
    outer.bind(name.text, { kind: 'function', position: node.startIndex, node, body: inner });
  for (const parameter of node.childForFieldName('parameters')?.namedChildren ?? []) {
    const identifier = parameterName(parameter);
    if (identifier !== undefined)
      inner.bind(identifier, {
        kind: 'parameter',
        position: node.startIndex,
        function: node,
        name: identifier,
      });
  }
  return inner;
}

/**
 * `with tarfile.open(p) as archive` binds `archive` to the call, since context managers almost always return
 * themselves from `__enter__`, so that `archive.extractall()` resolves to `tarfile.open().extractall`.
 * `except E as e` and patterns bind opaquely.
 */
function bindAs(node: Node, scope: Scope): void {
  const alias = node.childForFieldName('alias');
  const value = node.firstNamedChild;
  const target = alias?.type === 'as_pattern_target' ? alias.firstNamedChild : alias;
  if (node.parent?.type === 'with_item' && target?.type === 'identifier' && value !== null && value !== alias)
    scope.bind(target.text, { kind: 'value', position: node.endIndex, value, scope });
  else bindOpaque(alias, scope, node.endIndex);
}

function parameterName(parameter: Node | null): string | undefined {
  if (parameter === null) return undefined;
  if (parameter.type === 'identifier') return parameter.text;
  const named = parameter.childForFieldName('name');
  if (named !== null) return named.text;
  // typed_parameter, list_splat_pattern, dictionary_splat_pattern: the identifier is the first child.
  const first = parameter.namedChildren.find((child) => child?.type === 'identifier');
  return first?.text;
}

/** `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`. */
function bindImport(node: Node, scope: Scope): void {
  for (const imported of node.childrenForFieldName('name')) {
    if (imported === null) continue;
    if (imported.type === 'aliased_import') {
      const target = imported.childForFieldName('name');
      const alias = imported.childForFieldName('alias');
      if (target !== null && alias !== null)
        scope.bind(alias.text, { kind: 'import', position: node.endIndex, qualifiedName: dotted(target) });
    } else {
      const first = dotted(imported).split('.')[0] ?? '';
      scope.bind(first, { kind: 'import', position: node.endIndex, qualifiedName: first });
    }
  }
}

/**
 * `from m import n as k` binds `k` to `m.n`. Relative imports keep their leading dots (`from . import x` binds
 * `.x`), so that a local module named like a dangerous one is never mistaken for it.
 */
function bindImportFrom(node: Node, scope: Scope): void {
  const moduleNode = node.childForFieldName('module_name');
  if (moduleNode === null) return;
  const module = moduleNode.text.replace(/\s+/g, '');
  const prefix = module.endsWith('.') ? module : `${module}.`;
  for (const imported of node.childrenForFieldName('name')) {
    if (imported === null) continue;
    const target = imported.type === 'aliased_import' ? imported.childForFieldName('name') : imported;
    const alias = imported.type === 'aliased_import' ? imported.childForFieldName('alias') : imported;
    if (target === null || alias === null) continue;
    scope.bind(alias.text, {
      kind: 'import',
      position: node.endIndex,
      qualifiedName: `${prefix}${dotted(target)}`,
    });
  }
}

function dotted(node: Node): string {
  return node.text.replace(/\s+/g, '');
}

/**
 * `a = value` binds `a` to the value. In `a = b = value` each nested assignment node binds its own target when
 * the collector reaches it. Names in tuple targets are derived from the value.
 */
function bindAssignment(node: Node, scope: Scope): void {
  let value = node.childForFieldName('right');
  while (value?.type === 'assignment') value = value.childForFieldName('right');
  const left = node.childForFieldName('left');
  if (left?.type === 'identifier' && value !== null)
    scope.bind(left.text, { kind: 'value', position: node.endIndex, value, scope });
  else bindDerived(left, value === null ? [] : [value], scope, node.endIndex);
}

/** Binds every plain name in an unpacking target (`a, (b, *c)`) as derived from `from`. */
function bindDerived(target: Node | null, from: readonly Node[], scope: Scope, position: number): void {
  if (target === null) return;
  if (target.type === 'identifier') {
    scope.bind(target.text, { kind: 'derived', position, from, scope });
    return;
  }
  if (target.type === 'attribute' || target.type === 'subscript') return;
  for (const child of target.namedChildren) bindDerived(child, from, scope, position);
}

/** Binds every plain name in a target (`a, (b, *c)`); attributes and subscripts bind no name. */
function bindOpaque(target: Node | null, scope: Scope, position: number): void {
  if (target === null) return;
  if (target.type === 'identifier') {
    scope.bind(target.text, { kind: 'opaque', position });
    return;
  }
  if (target.type === 'attribute' || target.type === 'subscript') return;
  for (const child of target.namedChildren) bindOpaque(child, scope, position);
}
