import type { RuleFamily } from '../node-site.js';

/** Injection: SQL, templates, markup and other interpreters (INJ). */
export const INJECTION_FAMILY: RuleFamily = {
  rules: [],
  calls: [],
  nodes: [],
};
