import type { Rule } from '../../core/rule.js';
import { DEPENDENCY_CHECKS } from './checks/index.js';

/** Every rule the dependency checks raise, in listing order. */
export const DEPS_RULES: readonly Rule[] = DEPENDENCY_CHECKS.flatMap((check) => check.rules);
