import type { RuleFamily } from '../node-site.js';

/** Processes and shells (PROC), and supply chain in code (SUP). */
export const PROCESS_FAMILY: RuleFamily = {
  rules: [],
  calls: [],
  nodes: [],
};
