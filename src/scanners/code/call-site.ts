import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../core/rule.js';
import type { Confidence, Severity } from '../../core/severity.js';
import { constantOf, type Constant } from './resolve.js';
import type { Scope } from './scopes.js';
import type { TaintSource } from './taint.js';

/** What rules may know about the file being analysed. */
export interface FileContext {
  /** The file's path as scanned, with `/` separators (for rules that treat tests differently). */
  readonly path: string;
  /** The file uses Python 2 statements (`print "x"`), so builtins have their Python 2 meaning. */
  readonly python2: boolean;
  /** The code comes from a Jupyter notebook's cells. */
  readonly notebook: boolean;
}

/** What a rule can ask about any expression in the file it is checking. */
export interface Site {
  readonly scope: Scope;
  readonly file: FileContext;
  /**
   * The first untrusted source that reaches `node` (see `taint.ts`). File reads count only with `fileReads`,
   * for rules where running or trusting a file's content is itself the risk.
   */
  taint(node: Node, options?: { readonly fileReads?: boolean }): TaintSource | undefined;
}

/** One argument of a call, with its statically known value when there is one. */
export interface Argument {
  readonly node: Node;
  readonly constant: Constant | undefined;
}

/** What a code rule sees of a call to one of the names it subscribes to. */
export interface CallSite extends Site {
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
  /** The node the finding is about, when it is not the one the rule was given (its line and evidence). */
  readonly node?: Node;
  /** Evidence to show instead of the node's text, when that text holds a secret the report must not repeat. */
  readonly evidence?: string;
}

/**
 * For rules marked `taint` in the catalogue: the arguments that carry the data the sink trusts. When one is
 * tainted, the finding is reported at high confidence and names the source; otherwise at the rule's (audit)
 * confidence. `fileReads` counts files read from non-literal paths as sources.
 */
export interface TaintSink {
  arguments(call: CallSite): readonly (Argument | undefined)[];
  readonly fileReads?: boolean;
}

/**
 * A code rule: its metadata, the qualified names of the callables it subscribes to, and a check on each
 * matching call site. In a subscription:
 * - a `*` segment matches one or more name segments, for `transformers.*.from_pretrained`;
 * - `()` is the result of a call, for methods of objects made by a constructor: `flask.Flask().run`;
 * - a leading `?.` matches a method on an object of unknown type, reached by any attribute path: `?.execute`
 *   matches `cursor.execute` and `self.db.execute` when the receiver cannot be resolved.
 */
export interface CodeRule {
  readonly rule: Rule;
  readonly calls: readonly string[];
  readonly sink?: TaintSink;
  check(call: CallSite): CodeMatch | undefined;
}

/**
 * A rule for which every call to one of `calls` is a finding, whatever its arguments: most deserialisers, where
 * the danger is in the data the call reads, not in how it is called.
 */
export function everyCall(rule: Rule, calls: readonly string[], what: string, sink?: TaintSink): CodeRule {
  return {
    rule,
    calls,
    ...(sink !== undefined && { sink }),
    check: (call) => ({ message: `${call.name} ${what}` }),
  };
}

/** The first argument, positional or by keyword: the data a deserialiser reads, the command a shell runs. */
function firstArgument(call: CallSite): readonly (Argument | undefined)[] {
  return [call.positional[0] ?? call.keywords.values().next().value];
}

/** Sinks whose risk is the data they read: a file's bytes count only when its path is untrusted. */
export const DATA_SINK: TaintSink = { arguments: firstArgument };

/** Sinks that run their argument as code: a file read from a path that is not fixed counts as untrusted. */
export const CODE_SINK: TaintSink = { arguments: firstArgument, fileReads: true };

export function callSite(name: string, node: Node, site: Site): CallSite {
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
        keywords.set(key.text, { node: value, constant: constantOf(value, site.scope) });
    } else {
      positional.push({ node: argument, constant: constantOf(argument, site.scope) });
    }
  }
  return {
    name,
    node,
    positional,
    keywords,
    hasUnpacking,
    scope: site.scope,
    file: site.file,
    taint: (expression, options) => site.taint(expression, options),
  };
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
