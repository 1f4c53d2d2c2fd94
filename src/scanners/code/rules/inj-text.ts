import type { Node } from 'web-tree-sitter';
import type { Binding, Scope } from '../scopes.js';

/** Names and expressions are followed this deep: enough for real code, and a bound on cycles. */
const MAX_DEPTH = 24;

/** Longest text gathered from an expression: SQL keywords sit near the start of a query. */
const MAX_TEXT = 4096;

/** String methods whose result is fixed when the receiver and every argument are. */
const STRING_METHODS = new Set([
  'format',
  'format_map',
  'join',
  'replace',
  'strip',
  'lstrip',
  'rstrip',
  'lower',
  'upper',
]);

/** Node types whose value is fixed when all their named children are. */
const CONTAINERS = new Set([
  'concatenated_string',
  'tuple',
  'list',
  'set',
  'expression_list',
  'dictionary',
  'pair',
  'parenthesized_expression',
  'list_splat',
  'dictionary_splat',
  'argument_list',
]);

/** Literal sequences whose repetition by any count is still fixed text: `"?"`, `["%s"]`. */
const isRepeatable = (node: Node): boolean => ['string', 'list', 'tuple'].includes(node.type);

/**
 * Every binding of the name a use at `node` may see: in its own scope all of them, not only the last one
 * before the use, since a branch or a `try` may have run any of them (bandit's B703 reads them the same way).
 */
function bindingsOf(node: Node, scope: Scope): readonly Binding[] | undefined {
  return scope.lookup(node.text, node.startIndex, false)?.bindings;
}

/**
 * Whether an expression always has a value written by the author: literals, containers and string formatting
 * of such values, and names every binding of which is one. A parameter, an import, an attribute or the result
 * of any other call may come from outside. Cycles (`s += " x"`) add nothing new, so a binding met again while
 * it is being checked counts as fixed.
 */
export function isFixedText(node: Node, scope: Scope, seen = new Set<Binding>(), depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const fixed = (child: Node, inScope = scope): boolean => isFixedText(child, inScope, seen, depth + 1);
  switch (node.type) {
    case 'string':
      return node.namedChildren.every(
        (part) => part === null || part.type !== 'interpolation' || fixed(part),
      );
    case 'integer':
    case 'float':
    case 'true':
    case 'false':
    case 'none':
      return true;
    case 'binary_operator': {
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (left === null || right === null) return false;
      // `"?" * len(ids)`: repeating a written sequence only repeats the author's text, whatever the count.
      if (
        node.childForFieldName('operator')?.text === '*' &&
        [left, right].some((side) => isRepeatable(side) && fixed(side))
      )
        return true;
      return fixed(left) && fixed(right);
    }
    case 'list_comprehension':
    case 'generator_expression': {
      // `",".join("?" for _ in ids)`: the items are the body, evaluated once per element.
      const body = node.childForFieldName('body');
      return body !== null && fixed(body);
    }
    case 'call': {
      const callee = node.childForFieldName('function');
      const receiver = callee?.type === 'attribute' ? callee.childForFieldName('object') : null;
      const method = callee?.childForFieldName('attribute')?.text ?? '';
      const args = node.childForFieldName('arguments');
      return (
        receiver !== null && STRING_METHODS.has(method) && fixed(receiver) && (args === null || fixed(args))
      );
    }
    case 'keyword_argument':
    case 'interpolation': {
      const value = node.childForFieldName(node.type === 'interpolation' ? 'expression' : 'value');
      return value !== null && fixed(value);
    }
    case 'identifier': {
      const bindings = bindingsOf(node, scope);
      if (bindings === undefined) return false;
      return bindings.every((binding) => {
        if (seen.has(binding)) return true;
        seen.add(binding);
        try {
          if (binding.kind === 'value') return fixed(binding.value, binding.scope);
          if (binding.kind === 'derived') return binding.from.every((from) => fixed(from, binding.scope));
          return false;
        } finally {
          seen.delete(binding);
        }
      });
    }
    default:
      if (!CONTAINERS.has(node.type)) return false;
      return node.namedChildren.every((child) => child === null || child.type === 'comment' || fixed(child));
  }
}

/**
 * The text an expression builds, with `?` where a value is interpolated: the string literals it contains,
 * followed through formatting, concatenation and the bindings of names. Used to recognise SQL, so only the
 * literal parts matter.
 */
export function templateText(node: Node, scope: Scope, seen = new Set<Binding>(), depth = 0): string {
  if (depth > MAX_DEPTH) return '';
  const text = (child: Node | null, inScope = scope): string =>
    child === null ? '' : templateText(child, inScope, seen, depth + 1);
  switch (node.type) {
    case 'string':
      return node.namedChildren
        .map((part) => {
          if (part?.type === 'string_content' || part?.type === 'escape_sequence') return part.text;
          return part?.type === 'interpolation' ? ' ? ' : '';
        })
        .join('');
    case 'concatenated_string':
    case 'parenthesized_expression':
      return node.namedChildren.map((child) => text(child)).join('');
    case 'binary_operator':
      return `${text(node.childForFieldName('left'))} ${text(node.childForFieldName('right'))}`.slice(
        0,
        MAX_TEXT,
      );
    case 'call': {
      const callee = node.childForFieldName('function');
      return callee?.type === 'attribute' ? text(callee.childForFieldName('object')) : '';
    }
    case 'identifier':
      return (bindingsOf(node, scope) ?? [])
        .map((binding) => {
          if (seen.has(binding)) return '';
          seen.add(binding);
          const found =
            binding.kind === 'value'
              ? text(binding.value, binding.scope)
              : binding.kind === 'derived'
                ? binding.from.map((from) => text(from, binding.scope)).join(' ')
                : '';
          seen.delete(binding);
          return found;
        })
        .join(' ')
        .slice(0, MAX_TEXT);
    default:
      return '';
  }
}

/** SQL statements as bandit's B608 recognises them, plus `WITH` queries and `VALUES(` without a space. */
const SQL_STATEMENT =
  /\bselect\s[\s\S]*\bfrom\b|\bdelete\s+from\b|\binsert\s+into\s[\s\S]*\bvalues\b|\bupdate\s[\s\S]*\bset\s|\bwith\s+\w+\s+as\s*\(/i;

export function looksLikeSql(text: string): boolean {
  return SQL_STATEMENT.test(text);
}
