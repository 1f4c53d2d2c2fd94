import type { RuleFamily } from '../node-site.js';
import { PY_SEC_007, publicPushCheck, publicTrainingPushCheck } from './sec-hub.js';
import { PY_SEC_001, PY_SEC_002, PY_SEC_003 } from './sec-password.js';
import { passwordDefaultCheck, passwordKeywordCheck, passwordLiteralCheck } from './sec-password.js';
import { PY_SEC_005, sdkCredentialAssignmentCheck, sdkCredentialChecks } from './sec-sdk.js';
import { kaggleDictCheck, PY_SEC_004, PY_SEC_006, secretFormatCheck } from './sec-tokens.js';

/** Secrets in code and notebooks (SEC). PY-SEC-006 and part of PY-SEC-004 are raised on notebook outputs. */
export const SECRETS_FAMILY: RuleFamily = {
  rules: [PY_SEC_001, PY_SEC_002, PY_SEC_003, PY_SEC_004, PY_SEC_005, PY_SEC_006, PY_SEC_007],
  calls: [...sdkCredentialChecks, publicPushCheck, publicTrainingPushCheck],
  nodes: [
    passwordLiteralCheck,
    passwordKeywordCheck,
    passwordDefaultCheck,
    secretFormatCheck,
    kaggleDictCheck,
    sdkCredentialAssignmentCheck,
  ],
};
