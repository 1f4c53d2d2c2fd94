import { docsPath } from '../core/rule.js';

/** Home of the project; SARIF consumers need absolute URIs, so every link is built from this one constant. */
export const PROJECT_URL = 'https://github.com/mlsec/mlsec';

/** Rule documentation on the default branch, e.g. `…/blob/main/docs/rules/SCAN-001.md`. */
export function ruleDocsUrl(ruleId: string): string {
  return `${PROJECT_URL}/blob/main/${docsPath(encodeURIComponent(ruleId))}`;
}
