import type { Rule } from '../../../core/rule.js';
import { Dispatch } from '../../code/dispatch.js';
import type { RuleFamily } from '../../code/node-site.js';
import { OBFUSCATION_FAMILY } from './obfuscation.js';
import { CLIPBOARD_FAMILY } from './clipboard.js';
import { URL_FAMILY } from './urls.js';
import { PROCESS_FAMILY } from './process.js';
import { DOWNLOAD_FAMILY } from './download.js';
import { EXFILTRATION_FAMILY } from './exfiltration.js';
import { ENDPOINTS_FAMILY } from './endpoints.js';
import { REVERSE_SHELL_FAMILY } from './reverse-shell.js';
import { PERSISTENCE_FAMILY } from './persistence.js';

/** The threat heuristics run over every Python module of a package, one family per kind of threat. */
export const HEURISTIC_FAMILIES: readonly RuleFamily[] = [
  OBFUSCATION_FAMILY,
  CLIPBOARD_FAMILY,
  URL_FAMILY,
  PROCESS_FAMILY,
  DOWNLOAD_FAMILY,
  EXFILTRATION_FAMILY,
  ENDPOINTS_FAMILY,
  REVERSE_SHELL_FAMILY,
  PERSISTENCE_FAMILY,
];

export const HEURISTIC_RULES: readonly Rule[] = HEURISTIC_FAMILIES.flatMap((family) => family.rules);

const everyHeuristic = new Dispatch(
  HEURISTIC_FAMILIES.flatMap((family) => family.calls),
  HEURISTIC_FAMILIES.flatMap((family) => family.nodes),
);
const dispatches = new WeakMap<ReadonlySet<string>, Dispatch>();

/** The code engine's dispatch over the heuristics the scan reports (all of them when `enabled` is undefined). */
export function heuristicDispatchFor(enabled: ReadonlySet<string> | undefined): Dispatch {
  if (enabled === undefined) return everyHeuristic;
  let dispatch = dispatches.get(enabled);
  if (dispatch === undefined) {
    const isOn = (check: { readonly rule: Rule }): boolean => enabled.has(check.rule.id);
    dispatch = new Dispatch(
      HEURISTIC_FAMILIES.flatMap((family) => family.calls.filter(isOn)),
      HEURISTIC_FAMILIES.flatMap((family) => family.nodes.filter(isOn)),
    );
    dispatches.set(enabled, dispatch);
  }
  return dispatch;
}
