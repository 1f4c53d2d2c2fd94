import type { RuleFamily } from '../node-site.js';

/** Crypto (CRY), and network and TLS (NET). */
export const TRANSPORT_FAMILY: RuleFamily = {
  rules: [],
  calls: [],
  nodes: [],
};
