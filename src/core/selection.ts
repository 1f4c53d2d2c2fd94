import { UsageError } from './errors.js';
import type { Rule } from './rule.js';

/**
 * Which rules a scan reports, chosen the way ruff chooses lint rules. A selector is a rule id, a prefix of one
 * (`PY-DES`, `PY-DES-00`, `MODEL`) or `ALL`.
 */
export interface RuleSelection {
  /** Replaces the rules enabled so far (the default set, or what an earlier layer chose). */
  readonly select?: readonly string[];
  /** Adds to the rules enabled so far, or to `select` when both are given. */
  readonly extendSelect?: readonly string[];
  /** Removes rules. */
  readonly ignore?: readonly string[];
}

export const SELECT_ALL = 'ALL';

/** Where the selectors came from, named in error messages. */
export interface SelectionLayer extends RuleSelection {
  readonly source: string;
}

/**
 * Unscannable findings (SCAN-001/002/003) are what fail-closed rests on: a file that could not be read must never
 * pass as clean, so no selection can turn them off. A single finding can still be suppressed, with a reason.
 */
function isAlwaysOn(rule: Rule): boolean {
  return rule.domain === 'scan';
}

export function isEnabledByDefault(rule: Rule): boolean {
  return rule.enabledByDefault !== false;
}

function matches(selector: string, rule: Rule): boolean {
  return (
    selector === SELECT_ALL ||
    rule.id.startsWith(selector) ||
    (rule.aliases?.some((alias) => alias.startsWith(selector)) ?? false)
  );
}

/** A longer prefix says more about what is meant, so it wins over a shorter one; `ALL` is the least specific. */
function specificity(selector: string): number {
  return selector === SELECT_ALL ? 0 : selector.length;
}

/** The most specific of `selectors` that matches `rule`, as its specificity, or -1 when none matches. */
function bestMatch(selectors: readonly string[], rule: Rule): number {
  let best = -1;
  for (const selector of selectors) {
    if (matches(selector, rule)) best = Math.max(best, specificity(selector));
  }
  return best;
}

function checkSelectors(rules: readonly Rule[], layer: SelectionLayer): void {
  const all = [...(layer.select ?? []), ...(layer.extendSelect ?? []), ...(layer.ignore ?? [])];
  for (const selector of all) {
    if (!rules.some((rule) => matches(selector, rule))) {
      throw new UsageError('USAGE_BAD_OPTION', `unknown rule selector "${selector}" in ${layer.source}`);
    }
  }
  for (const selector of layer.ignore ?? []) {
    const matched = rules.filter((rule) => matches(selector, rule));
    if (matched.every(isAlwaysOn)) {
      throw new UsageError(
        'USAGE_BAD_OPTION',
        `cannot ignore "${selector}" in ${layer.source}: unscannable files are always reported ` +
          '(suppress a single finding with an [[ignore]] entry and a reason instead)',
      );
    }
  }
}

/**
 * Resolves selection layers (the configuration file, then the command line) into the ids of the enabled rules.
 * Each layer starts from what the previous one enabled, or from nothing when it has `select`. Within a layer, the
 * most specific matching selector decides a rule; at equal specificity `ignore` wins, as in ruff.
 */
export function resolveSelection(rules: readonly Rule[], layers: readonly SelectionLayer[]): Set<string> {
  let enabled = new Set(rules.filter(isEnabledByDefault).map((rule) => rule.id));
  for (const layer of layers) {
    checkSelectors(rules, layer);
    const selecting = [...(layer.select ?? []), ...(layer.extendSelect ?? [])];
    const ignoring = layer.ignore ?? [];
    const next = new Set<string>();
    for (const rule of rules) {
      const selected = bestMatch(selecting, rule);
      const ignored = bestMatch(ignoring, rule);
      const before = layer.select === undefined && enabled.has(rule.id);
      const on = ignored >= 0 && ignored >= selected ? false : selected >= 0 || before;
      if (on) next.add(rule.id);
    }
    enabled = next;
  }
  for (const rule of rules) if (isAlwaysOn(rule)) enabled.add(rule.id);
  return enabled;
}
