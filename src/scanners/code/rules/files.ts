import type { RuleFamily } from '../node-site.js';

/** Files and temporary files (FS), and CPython pitfalls (PYP). */
export const FILES_FAMILY: RuleFamily = {
  rules: [],
  calls: [],
  nodes: [],
};
