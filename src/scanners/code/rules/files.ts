import type { RuleFamily } from '../node-site.js';
import { PY_FS_004, tarExtractCheck } from './fs-archive.js';
import {
  PY_FS_005,
  PY_FS_006,
  pathTraversalCheck,
  sharedCacheCheck,
  sharedCacheVariableCheck,
} from './fs-paths.js';
import { PY_FS_001, PY_FS_002, PY_FS_003, chmodCheck, mktempCheck, sharedTmpCheck } from './fs-temp.js';
import { PY_PYP_003, PY_PYP_004, PY_PYP_005, PY_PYP_008 } from './pyp-syntax.js';
import { assertCheck, python2InputCheck, silencedExceptionCheck, trojanSourceCheck } from './pyp-syntax.js';
import { PY_PYP_006, PY_PYP_007, literalEvalCheck, urlAllowListCheck, urlPrefixCheck } from './pyp-taint.js';

/** Files and temporary files (FS), and CPython pitfalls (PYP). */
export const FILES_FAMILY: RuleFamily = {
  rules: [
    PY_FS_001,
    PY_FS_002,
    PY_FS_003,
    PY_FS_004,
    PY_FS_005,
    PY_FS_006,
    PY_PYP_003,
    PY_PYP_004,
    PY_PYP_005,
    PY_PYP_006,
    PY_PYP_007,
    PY_PYP_008,
  ],
  calls: [
    mktempCheck,
    chmodCheck,
    tarExtractCheck,
    pathTraversalCheck,
    sharedCacheCheck,
    python2InputCheck,
    literalEvalCheck,
    urlPrefixCheck,
  ],
  nodes: [
    sharedTmpCheck,
    sharedCacheVariableCheck,
    assertCheck,
    silencedExceptionCheck,
    trojanSourceCheck,
    urlAllowListCheck,
  ],
};
