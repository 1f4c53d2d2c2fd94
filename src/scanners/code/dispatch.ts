import type { Node } from 'web-tree-sitter';
import type { CodeRule } from './call-site.js';
import type { NodeRule } from './node-site.js';
import { UNKNOWN_OBJECT } from './resolve.js';
import { CODE_CHECKS, NODE_CHECKS } from './rules.js';

interface Subscription {
  readonly check: CodeRule;
  /** For `?.` subscriptions, the attribute path the name must end with (`.cursor.execute`). */
  readonly suffix?: string;
  /** For `*` subscriptions, the compiled pattern. */
  readonly pattern?: RegExp;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** `*` segments of a subscription as a pattern. A `*` never matches the unknown-object root. */
function patternOf(name: string): RegExp {
  const source = name
    .split('.')
    .map((segment) => (segment === '*' ? '(?!\\?)[^.]+(?:\\.[^.]+)*' : segment.replace(/[^\w]/g, '\\$&')))
    .join('\\.');
  return new RegExp(`^${source}$`);
}

/**
 * The checks of the enabled rules, indexed so that each resolved call name costs one map lookup (exact names;
 * `?.` and `*` subscriptions by their last segment, which is always literal), and the node types to collect.
 * Rules a scan does not report are left out entirely: their node types are not even collected.
 */
export class Dispatch {
  private readonly exact = new Map<string, CodeRule[]>();
  private readonly byLastSegment = new Map<string, Subscription[]>();
  /** Method names that `?.` subscriptions end with. */
  private readonly unknownObjectMethods = new Set<string>();
  private readonly nodes: readonly NodeRule[];
  /** Node checks by type for each combination of text hints a file matches, built on first use. */
  private readonly nodeChecksByHints = new Map<string, NodeChecks>();

  constructor(calls: readonly CodeRule[], nodes: readonly NodeRule[]) {
    this.nodes = nodes;
    for (const check of calls) {
      for (const name of check.calls) {
        if (name.startsWith(`${UNKNOWN_OBJECT}.`)) {
          this.addByLastSegment(name, { check, suffix: name.slice(UNKNOWN_OBJECT.length) });
          this.unknownObjectMethods.add(name.slice(name.lastIndexOf('.') + 1));
        } else if (name.includes('*')) this.addByLastSegment(name, { check, pattern: patternOf(name) });
        else push(this.exact, name, check);
      }
    }
  }

  private addByLastSegment(name: string, subscription: Subscription): void {
    const last = name.slice(name.lastIndexOf('.') + 1);
    if (last === '*') throw new Error(`subscription ${name} must end with a literal segment`);
    push(this.byLastSegment, last, subscription);
  }

  /** Whether some rule subscribes to this method (`callee` is an attribute) on objects of unknown type. */
  watchesMethod(callee: Node): boolean {
    const method = callee.childForFieldName('attribute')?.text;
    return method !== undefined && this.unknownObjectMethods.has(method);
  }

  /** The call checks subscribed to a qualified name. */
  callChecks(name: string): readonly CodeRule[] {
    const exact = this.exact.get(name) ?? [];
    const candidates = this.byLastSegment.get(name.slice(name.lastIndexOf('.') + 1));
    if (candidates === undefined) return exact;
    const unknownObject = name.startsWith(`${UNKNOWN_OBJECT}.`);
    const matched = candidates
      .filter(({ suffix, pattern }) =>
        suffix !== undefined ? unknownObject && name.endsWith(suffix) : (pattern?.test(name) ?? false),
      )
      .map(({ check }) => check);
    return matched.length === 0 ? exact : [...exact, ...matched];
  }

  /** The node checks that can fire in a file with this text: those without a text hint, or whose hint it has. */
  nodeChecksFor(text: string): NodeChecks {
    // One lower-cased copy makes every hint a case-sensitive search, several times faster than `/i` on long text.
    const lower = text.toLowerCase();
    const tested = new Map<RegExp, boolean>();
    const matches = (hint: RegExp): boolean => {
      let found = tested.get(hint);
      if (found === undefined) {
        found = hint.test(lower);
        tested.set(hint, found);
      }
      return found;
    };
    const active = this.nodes.map((check) => check.textHint === undefined || matches(check.textHint));
    const key = active.map((on) => (on ? '1' : '0')).join('');
    let checks = this.nodeChecksByHints.get(key);
    if (checks === undefined) {
      checks = new NodeChecks(this.nodes.filter((_, index) => active[index]));
      this.nodeChecksByHints.set(key, checks);
    }
    return checks;
  }
}

/** Node checks by the node type they subscribe to, and the set of those types for the collector. */
export class NodeChecks {
  private readonly byType = new Map<string, NodeRule[]>();
  readonly types: ReadonlySet<string>;

  constructor(checks: readonly NodeRule[]) {
    for (const check of checks) for (const type of check.nodes) push(this.byType, type, check);
    this.types = new Set(this.byType.keys());
  }

  for(type: string): readonly NodeRule[] {
    return this.byType.get(type) ?? [];
  }
}

/** One dispatch per set of enabled rules: a scan has one set, so each worker builds it once. */
const dispatches = new WeakMap<ReadonlySet<string>, Dispatch>();
const everyRule = new Dispatch(CODE_CHECKS, NODE_CHECKS);

/** The dispatch for the rules in `enabled`, or for every code rule when it is undefined. */
export function dispatchFor(enabled: ReadonlySet<string> | undefined): Dispatch {
  if (enabled === undefined) return everyRule;
  let dispatch = dispatches.get(enabled);
  if (dispatch === undefined) {
    const isOn = (check: { readonly rule: { readonly id: string } }): boolean => enabled.has(check.rule.id);
    dispatch = new Dispatch(CODE_CHECKS.filter(isOn), NODE_CHECKS.filter(isOn));
    dispatches.set(enabled, dispatch);
  }
  return dispatch;
}

/** The enabled rules of a scan as a set, made once per settings object (each worker keeps one). */
const enabledSets = new WeakMap<readonly string[], ReadonlySet<string>>();

export function enabledRuleSet(enabledRules: readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (enabledRules === undefined) return undefined;
  let set = enabledSets.get(enabledRules);
  if (set === undefined) {
    set = new Set(enabledRules);
    enabledSets.set(enabledRules, set);
  }
  return set;
}
