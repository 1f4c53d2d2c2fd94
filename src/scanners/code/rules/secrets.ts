import type { RuleFamily } from '../node-site.js';

/** Secrets in code and notebooks (SEC). */
export const SECRETS_FAMILY: RuleFamily = {
  rules: [],
  calls: [],
  nodes: [],
};
