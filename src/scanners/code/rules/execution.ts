import type { RuleFamily } from '../node-site.js';

/** Code execution (EXE) and native libraries loaded by ML frameworks (PY-MDL-014). */
export const EXECUTION_FAMILY: RuleFamily = {
  rules: [],
  calls: [],
  nodes: [],
};
