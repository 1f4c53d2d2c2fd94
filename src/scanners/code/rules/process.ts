import type { RuleFamily } from '../node-site.js';
import { PY_PROC_002, PY_PROC_003, PY_PROC_005, PY_PROC_007, PY_PROC_008, PY_PROC_009 } from './proc-exec.js';
import { asyncProcessCheck, execSpawnCheck, noShellCheck, otherShellCheck } from './proc-exec.js';
import { paramikoCheck, wildcardCheck } from './proc-exec.js';
import { notebookShellCheck, PY_PROC_010, PY_SUP_006, remoteMagicCheck } from './proc-notebook.js';
import { downloadExecuteCheck, importPathCheck, PY_SUP_005, PY_SUP_007 } from './sup-code.js';
import { pythonPathAssignmentCheck } from './sup-code.js';
import { packageInstallCheck, PY_SUP_001 } from './sup-install.js';

/** Processes and shells (PROC), and supply chain in code (SUP). */
export const PROCESS_FAMILY: RuleFamily = {
  rules: [
    PY_PROC_002,
    PY_PROC_003,
    PY_PROC_005,
    PY_PROC_007,
    PY_PROC_008,
    PY_PROC_009,
    PY_PROC_010,
    PY_SUP_001,
    PY_SUP_005,
    PY_SUP_006,
    PY_SUP_007,
  ],
  calls: [
    noShellCheck,
    execSpawnCheck,
    wildcardCheck,
    paramikoCheck,
    asyncProcessCheck,
    notebookShellCheck,
    packageInstallCheck,
    downloadExecuteCheck,
    remoteMagicCheck,
    importPathCheck,
  ],
  nodes: [otherShellCheck, pythonPathAssignmentCheck],
};
