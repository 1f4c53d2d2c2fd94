import type { RuleFamily } from '../node-site.js';
import { PY_EXE_003, PY_EXE_004, PY_EXE_005, PY_EXE_007, PY_EXE_009 } from './exe-dynamic.js';
import { dynamicImportCheck, f2pyCompileCheck, interactiveCodeCheck } from './exe-dynamic.js';
import { loggingListenCheck, pandasEvalCheck } from './exe-dynamic.js';
import { PY_EXE_010, PY_EXE_011, llmCodeExecutionCheck, obfuscatedExecutionCheck } from './exe-llm.js';
import { PY_EXE_006, PY_MDL_014, customOpsCheck, nativeLibraryCheck } from './exe-native.js';

/** Code execution (EXE) and native libraries loaded by ML frameworks (PY-MDL-014). */
export const EXECUTION_FAMILY: RuleFamily = {
  rules: [
    PY_EXE_003,
    PY_EXE_004,
    PY_EXE_005,
    PY_EXE_006,
    PY_EXE_007,
    PY_EXE_009,
    PY_EXE_010,
    PY_EXE_011,
    PY_MDL_014,
  ],
  calls: [
    interactiveCodeCheck,
    dynamicImportCheck,
    pandasEvalCheck,
    nativeLibraryCheck,
    f2pyCompileCheck,
    loggingListenCheck,
    llmCodeExecutionCheck,
    obfuscatedExecutionCheck,
    customOpsCheck,
  ],
  nodes: [],
};
