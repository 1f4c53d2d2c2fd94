import type { Node } from 'web-tree-sitter';
import type { Binding, Scope } from './scopes.js';

/** Alias chains (`a = b; b = c`) and attribute chains are followed this deep, which also breaks cycles. */
const MAX_DEPTH = 24;

/** The root of the names of attributes whose object is unknown: `?.execute` for `cursor.execute`. */
export const UNKNOWN_OBJECT = '?';

/**
 * The qualified names an expression may denote:
 * - `os.path.join` after `import os`, `pickle.loads` for `l` after `l = pickle.loads`, `builtins.eval` for an
 *   unbound `eval`;
 * - the result of a call is its callee's name with `()`: `tarfile.open().extractall` for `tarfile.open(p).
 *   extractall`, and for `t.extractall` after `t = tarfile.open(p)` or `with tarfile.open(p) as t`. This is how
 *   methods of objects made by library constructors are matched (`flask.Flask().run`);
 * - with `unknownObjects`, an attribute of something unknown (a parameter, `self.x`, a local call's result) is
 *   `?.` and the attribute path: `?.cursor.execute`, which rules matching a method on any object subscribe to.
 * Empty when the expression is not a reference (a literal, a shadowed name).
 */
export function qualifiedNames(node: Node, scope: Scope, depth = 0, unknownObjects = false): string[] {
  if (depth > MAX_DEPTH) return [];
  switch (node.type) {
    case 'identifier': {
      const found = scope.lookup(node.text, node.startIndex);
      if (found === undefined) return [`builtins.${node.text}`];
      return unique(found.bindings.flatMap((binding) => namesOfBinding(binding, depth, unknownObjects)));
    }
    case 'attribute': {
      const object = node.childForFieldName('object');
      const attribute = node.childForFieldName('attribute');
      if (object === null || attribute === null) return [];
      const objects = qualifiedNames(object, scope, depth + 1, unknownObjects);
      if (objects.length === 0 && unknownObjects) return [`${UNKNOWN_OBJECT}.${attribute.text}`];
      return objects.map((name) => `${name}.${attribute.text}`);
    }
    case 'call': {
      const callee = node.childForFieldName('function');
      if (callee === null) return [];
      return qualifiedNames(callee, scope, depth + 1, unknownObjects).map((name) => `${name}()`);
    }
    case 'parenthesized_expression': {
      const inner = node.firstNamedChild;
      return inner === null ? [] : qualifiedNames(inner, scope, depth + 1, unknownObjects);
    }
    default:
      return [];
  }
}

function namesOfBinding(binding: Binding, depth: number, unknownObjects: boolean): string[] {
  if (binding.kind === 'import') return [binding.qualifiedName];
  if (binding.kind === 'value')
    return qualifiedNames(binding.value, binding.scope, depth + 1, unknownObjects);
  return [];
}

function unique(names: string[]): string[] {
  return names.length < 2 ? names : [...new Set(names)];
}

/** The statically known value of an expression. References are kept as the qualified names they may denote. */
export type Constant =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'none' }
  | { readonly kind: 'reference'; readonly names: readonly string[] };

/**
 * Folds literals (strings without interpolation, implicit concatenation, numbers, True/False/None), names bound
 * exactly once to such a literal, and references to module members (`yaml.SafeLoader`). Anything else is
 * undefined: not statically known.
 */
export function constantOf(node: Node, scope: Scope, depth = 0): Constant | undefined {
  if (depth > MAX_DEPTH) return undefined;
  switch (node.type) {
    case 'string':
      return stringValue(node);
    case 'concatenated_string': {
      let value = '';
      for (const part of node.namedChildren) {
        const folded = part === null ? undefined : stringValue(part);
        if (folded === undefined) return undefined;
        value += folded.value;
      }
      return { kind: 'string', value };
    }
    case 'integer':
    case 'float': {
      const value = Number(node.text.replace(/_/g, ''));
      return Number.isNaN(value) ? undefined : { kind: 'number', value };
    }
    case 'true':
      return { kind: 'bool', value: true };
    case 'false':
      return { kind: 'bool', value: false };
    case 'none':
      return { kind: 'none' };
    case 'parenthesized_expression': {
      const inner = node.firstNamedChild;
      return inner === null ? undefined : constantOf(inner, scope, depth + 1);
    }
    case 'identifier':
      return identifierConstant(node, scope, depth);
    case 'attribute': {
      const names = qualifiedNames(node, scope, depth);
      return names.length === 0 ? undefined : { kind: 'reference', names };
    }
    default:
      return undefined;
  }
}

function identifierConstant(node: Node, scope: Scope, depth: number): Constant | undefined {
  const found = scope.lookup(node.text, node.startIndex);
  if (found === undefined) {
    // Python 2 spells the constants as builtin names.
    if (node.text === 'True' || node.text === 'False') return { kind: 'bool', value: node.text === 'True' };
    if (node.text === 'None') return { kind: 'none' };
    return { kind: 'reference', names: [`builtins.${node.text}`] };
  }
  const [binding] = found.bindings;
  if (found.bindings.length === 1 && binding?.kind === 'import')
    return { kind: 'reference', names: [binding.qualifiedName] };
  // Only a name bound once holds the same value wherever it is used.
  if (found.total !== 1 || binding?.kind !== 'value') return undefined;
  return constantOf(binding.value, binding.scope, depth + 1);
}

/** A string literal's text: content and escapes as written; f-strings with interpolations are not constant. */
function stringValue(node: Node): { kind: 'string'; value: string } | undefined {
  if (node.type !== 'string') return undefined;
  let value = '';
  for (const part of node.namedChildren) {
    if (part === null) continue;
    if (part.type === 'interpolation') return undefined;
    if (part.type === 'string_content' || part.type === 'escape_sequence') value += part.text;
  }
  return { kind: 'string', value };
}

/** A literal in the sense of `ast.literal_eval`'s inputs: a constant that is not a reference. */
export function isLiteral(constant: Constant | undefined): boolean {
  return constant !== undefined && constant.kind !== 'reference';
}
