import { CODE_RULES } from '../scanners/code/rules.js';
import { DEPS_RULES } from '../scanners/deps/rules.js';
import { ENV_RULES } from '../scanners/env/rules.js';
import { MODEL_RULES } from '../scanners/model/rules.js';
import { PACKAGE_RULES } from '../scanners/package/rules.js';
import type { Rule } from './rule.js';
import { SCAN_RULES } from './scan-rules.js';

/** Every rule mlsec can raise, in listing order. A meta-test checks each has docs and fixtures. */
export const ALL_RULES: readonly Rule[] = [
  ...SCAN_RULES,
  ...MODEL_RULES,
  ...CODE_RULES,
  ...DEPS_RULES,
  ...ENV_RULES,
  ...PACKAGE_RULES,
];

const RULES_BY_ID = new Map(ALL_RULES.map((rule) => [rule.id, rule]));

export function ruleById(id: string): Rule | undefined {
  return RULES_BY_ID.get(id);
}
