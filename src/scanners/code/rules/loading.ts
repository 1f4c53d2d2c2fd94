import type { RuleFamily } from '../node-site.js';

/** Deserialisation (DES) and model and artifact loading (MDL). */
export const LOADING_FAMILY: RuleFamily = {
  rules: [],
  calls: [],
  nodes: [],
};
