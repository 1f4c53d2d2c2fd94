import type { Rule } from '../../core/rule.js';
import { INTEGRITY_RULES } from './integrity-rules.js';
import { PTH_RULES } from './pth-rules.js';
import { SHADOW_RULES } from './shadow-rules.js';
import { STARTUP_RULES } from './startup-rules.js';

/** Every rule the environment scanner raises, in listing order. */
export const ENV_RULES: readonly Rule[] = [
  ...PTH_RULES,
  ...INTEGRITY_RULES,
  ...STARTUP_RULES,
  ...SHADOW_RULES,
];
