import { returnValues } from './returns.js';
import type { Node } from 'web-tree-sitter';
import { qualifiedNames } from './resolve.js';
import type { Binding, Scope } from './scopes.js';
import {
  HANDLER_DECORATOR_SUFFIXES,
  isSanitizer,
  LLM_DECORATORS,
  sourceOfCall,
  sourceOfReference,
  TAINTED_PARAMETER_NAMES,
  type TaintSource,
} from './taint-sources.js';

export type { TaintKind, TaintSource } from './taint-sources.js';

/** Flows are followed this many steps (assignments, calls, returns), which also bounds the cost per sink. */
const MAX_DEPTH = 24;

/** Node types whose value is built from their children: strings with interpolations, operators, containers. */
const COMBINING = new Set([
  'binary_operator',
  'boolean_operator',
  'conditional_expression',
  'concatenated_string',
  'string',
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
  'argument_list',
  'keyword_argument',
  'format_expression',
  'not_operator',
  'unary_operator',
]);

/**
 * Intra-procedural taint, computed on demand from a sink backwards and cached per file: does untrusted data
 * reach this expression through assignments, string building (f-strings, `%`, `format`, `+`, `join`), calls
 * and the returns of functions defined in the same file? Sources are request objects and the parameters of
 * web handlers, `sys.argv`, `input()`, the environment, file, socket and HTTP reads, and LLM outputs
 * (`taint-sources.ts`). Sanitizers (`shlex.quote`, `int`, `os.path.basename`, …) stop a flow. A call to an
 * unknown function carries the taint of its arguments: without summaries of other files, assuming it
 * launders its input would hide real flows.
 */
export class TaintAnalysis {
  private readonly cache = new Map<number, TaintSource | null>();
  /** Whether reads of files with non-literal paths count as sources (see `TaintKind`). */
  private readonly fileReads: boolean;

  constructor(options: { readonly fileReads: boolean }) {
    this.fileReads = options.fileReads;
  }

  /** The first source found to reach `node`, or undefined when none does. */
  taintOf(node: Node, scope: Scope): TaintSource | undefined {
    return this.visit(node, scope, 0) ?? undefined;
  }

  private visit(node: Node, scope: Scope, depth: number): TaintSource | null {
    if (depth > MAX_DEPTH) return null;
    const cached = this.cache.get(node.id);
    if (cached !== undefined) return cached;
    // Cycles (`x = x + y` in a loop) meet this marker and stop.
    this.cache.set(node.id, null);
    const result = this.compute(node, scope, depth);
    this.cache.set(node.id, result);
    return result;
  }

  private compute(node: Node, scope: Scope, depth: number): TaintSource | null {
    switch (node.type) {
      case 'identifier':
        return this.identifier(node, scope, depth);
      case 'attribute': {
        const source = referenceSource(node, scope);
        if (source !== null) return source;
        const object = node.childForFieldName('object');
        return object === null ? null : this.visit(object, scope, depth + 1);
      }
      case 'subscript': {
        const value = node.childForFieldName('value');
        return value === null ? null : this.visit(value, scope, depth + 1);
      }
      case 'call':
        return this.call(node, scope, depth);
      default:
        if (!COMBINING.has(node.type)) return null;
        return this.anyOf(node.namedChildren, scope, depth);
    }
  }

  private anyOf(nodes: readonly (Node | null)[], scope: Scope, depth: number): TaintSource | null {
    for (const child of nodes) {
      if (child === null || child.type === 'comment') continue;
      const source = this.visit(child, scope, depth + 1);
      if (source !== null) return source;
    }
    return null;
  }

  private identifier(node: Node, scope: Scope, depth: number): TaintSource | null {
    const found = scope.lookup(node.text, node.startIndex);
    if (found === undefined) return null;
    for (const binding of found.bindings) {
      const source = this.binding(binding, node, depth);
      if (source !== null) return source;
    }
    return null;
  }

  private binding(binding: Binding, use: Node, depth: number): TaintSource | null {
    switch (binding.kind) {
      case 'import':
        return sourceOfReference(binding.qualifiedName, lineOf(use));
      case 'value':
        return this.visit(binding.value, binding.scope, depth + 1);
      case 'derived':
        return this.anyOf(binding.from, binding.scope, depth);
      case 'parameter':
        return parameterSource(binding.function, binding.name);
      default:
        return null;
    }
  }

  private call(node: Node, scope: Scope, depth: number): TaintSource | null {
    const callee = node.childForFieldName('function');
    if (callee === null) return null;
    const names = qualifiedNames(callee, scope, 0, true);
    for (const name of names) {
      const source = sourceOfCall(name, node, scope, lineOf(node));
      if (source !== null && (source.kind !== 'file' || this.fileReads)) return source;
    }
    if (names.some(isSanitizer)) return null;
    const arguments_ = node.childForFieldName('arguments');
    const fromArguments = arguments_ === null ? null : this.visit(arguments_, scope, depth + 1);
    if (fromArguments !== null) return fromArguments;
    // A method of tainted data returns tainted data: `request.args.get("q")`, `text.strip()`.
    if (callee.type === 'attribute') {
      const object = callee.childForFieldName('object');
      if (object !== null) {
        const fromObject = this.visit(object, scope, depth + 1);
        if (fromObject !== null) return fromObject;
      }
    }
    return this.returnsOf(callee, scope, depth);
  }

  /** A function defined in this file returns tainted data when one of its `return` values is tainted. */
  private returnsOf(callee: Node, scope: Scope, depth: number): TaintSource | null {
    if (callee.type !== 'identifier') return null;
    const found = scope.lookup(callee.text, callee.startIndex);
    for (const binding of found?.bindings ?? []) {
      if (binding.kind !== 'function') continue;
      const body = binding.node.childForFieldName('body');
      if (body === null) continue;
      for (const value of returnValues(body)) {
        const source = this.visit(value, binding.body, depth + 1);
        if (source !== null) return source;
      }
    }
    return null;
  }
}

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

function referenceSource(node: Node, scope: Scope): TaintSource | null {
  for (const name of qualifiedNames(node, scope)) {
    const source = sourceOfReference(name, lineOf(node));
    if (source !== null) return source;
  }
  return null;
}

/**
 * The parameters of functions the outside world calls are sources: web and CLI handlers (`@app.route`,
 * `@router.post`, `@click.command`), LLM tools (`@tool`, whose arguments the model writes), and parameters
 * named like a request (`request`, Django views; `event`, serverless handlers).
 */
function parameterSource(definition: Node, name: string): TaintSource | null {
  const line = lineOf(definition);
  if (TAINTED_PARAMETER_NAMES.has(name)) return { kind: 'user', label: `parameter "${name}"`, line };
  const decorated = definition.parent;
  if (decorated?.type !== 'decorated_definition') return null;
  for (const decorator of decorated.namedChildren) {
    if (decorator?.type !== 'decorator') continue;
    const expression = decorator.firstNamedChild;
    const callee = expression?.type === 'call' ? expression.childForFieldName('function') : expression;
    const text = callee?.text ?? '';
    const last = text.split('.').at(-1) ?? '';
    if (LLM_DECORATORS.has(last))
      return { kind: 'llm', label: `parameter "${name}" of an LLM tool (@${text})`, line: lineOf(decorator) };
    if (text.includes('.') && HANDLER_DECORATOR_SUFFIXES.has(last))
      return { kind: 'user', label: `parameter "${name}" of a handler (@${text})`, line: lineOf(decorator) };
  }
  return null;
}
