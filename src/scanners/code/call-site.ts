import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../core/rule.js';
import type { Confidence, Severity } from '../../core/severity.js';
import { constantOf, type Constant } from './resolve.js';
import type { Scope } from './scopes.js';

/** One argument of a call, with its statically known value when there is one. */
export interface Argument {
  readonly node: Node;
  readonly constant: Constant | undefined;
}

/** What a code rule sees of a call to one of the names it subscribes to. */
export interface CallSite {
  /** The qualified name that matched the subscription, e.g. `torch.load`. */
  readonly name: string;
  readonly node: Node;
  readonly positional: readonly Argument[];
  readonly keywords: ReadonlyMap<string, Argument>;
  /** `*args` or `**kwargs` at the call: arguments the rule cannot see may be present. */
  readonly hasUnpacking: boolean;
}

export interface CodeMatch {
  readonly message: string;
  readonly severity?: Severity;
  readonly confidence?: Confidence;
}

/**
 * A code rule: its metadata, the qualified names of the callables it subscribes to (a `*` segment matches one
 * or more name segments, for `transformers.*.from_pretrained`), and a check on each matching call site.
 */
export interface CodeRule {
  readonly rule: Rule;
  readonly calls: readonly string[];
  check(call: CallSite): CodeMatch | undefined;
}

/**
 * A rule for which every call to one of `calls` is a finding, whatever its arguments: most deserialisers, where
 * the danger is in the data the call reads, not in how it is called.
 */
export function everyCall(rule: Rule, calls: readonly string[], what: string): CodeRule {
  return { rule, calls, check: (call) => ({ message: `${call.name} ${what}` }) };
}

export function callSite(name: string, node: Node, scope: Scope): CallSite {
  const positional: Argument[] = [];
  const keywords = new Map<string, Argument>();
  let hasUnpacking = false;
  for (const argument of node.childForFieldName('arguments')?.namedChildren ?? []) {
    if (argument === null || argument.type === 'comment') continue;
    if (argument.type === 'list_splat' || argument.type === 'dictionary_splat') {
      hasUnpacking = true;
    } else if (argument.type === 'keyword_argument') {
      const key = argument.childForFieldName('name');
      const value = argument.childForFieldName('value');
      if (key !== null && value !== null)
        keywords.set(key.text, { node: value, constant: constantOf(value, scope) });
    } else {
      positional.push({ node: argument, constant: constantOf(argument, scope) });
    }
  }
  return { name, node, positional, keywords, hasUnpacking };
}

/**
 * A safety switch that must be literally True (`weights_only=True`, `safe_mode=True`): nothing when it is; the
 * `unsafe` message when it is False; a medium, low-confidence finding otherwise. None counts as not known: both
 * libraries read it as "the default", which depends on their version.
 */
export function unlessTrue(
  call: CallSite,
  keyword: string,
  argument: Argument,
  unsafe: string,
): CodeMatch | undefined {
  const value = argument.constant;
  if (value?.kind === 'bool' && value.value) return undefined;
  if (value?.kind === 'bool') return { message: unsafe };
  return {
    message: `${call.name} with ${keyword}=${argument.node.text}, not known to be True`,
    severity: 'medium',
    confidence: 'low',
  };
}

/** The argument passed by keyword `keyword` or else at `position`. */
export function argumentOf(call: CallSite, keyword: string, position?: number): Argument | undefined {
  return call.keywords.get(keyword) ?? (position === undefined ? undefined : call.positional[position]);
}
