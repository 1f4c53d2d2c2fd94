import type { Rule } from '../../core/rule.js';
import type { CodeRule } from './call-site.js';
import { PY_DES_001, PY_DES_006, pickleCheck, yamlCheck } from './rules/des.js';
import { PY_DES_002, PY_DES_003, PY_DES_004, PY_DES_005 } from './rules/des.js';
import { dillCheck, jsonpickleCheck, marshalCheck, shelveCheck } from './rules/des.js';
import { PY_DES_007, PY_DES_008, numpyLoadCheck, readPickleCheck } from './rules/des-data.js';
import { PY_EXE_001, PY_EXE_002, evalCheck, execCheck } from './rules/exe.js';
import { PY_MDL_001, PY_MDL_006, torchLoadCheck, trustRemoteCodeCheck } from './rules/mdl.js';
import { PY_MDL_002, PY_MDL_007, hubRevisionCheck, torchHubCheck } from './rules/mdl-hub.js';
import { PY_MDL_004, PY_MDL_005, PY_MDL_011 } from './rules/mdl-load.js';
import { joblibLoadCheck, kerasLoadCheck, langchainLoadCheck } from './rules/mdl-load.js';
import { PY_CRY_001, PY_CRY_002, PY_CRY_003, PY_CRY_004 } from './rules/cry.js';
import { ecbModeCheck, weakCipherCheck, weakHashCheck, weakLibraryHashCheck } from './rules/cry.js';
import { PY_PARSE_001 } from './rules/parse.js';
import { PY_PROC_001, PY_PROC_004, shellTrueCheck, systemCallCheck } from './rules/proc.js';
import { PY_PROC_006, partialPathCheck } from './rules/proc.js';
import { PY_PYP_001, PY_PYP_002, cryptCheck, inetAtonCheck } from './rules/pyp.js';
import { PY_EXE_008, werkzeugDebuggerCheck } from './rules/debugger.js';
import { PY_NET_001, PY_NET_002, PY_NET_009, sshHostKeyCheck } from './rules/net.js';
import { PY_NET_003, insecureProtocolCheck } from './rules/net.js';
import { unverifiedContextCheck, unverifiedRequestCheck } from './rules/net.js';

/** The checks one pass over a Python file dispatches calls to. */
export const CODE_CHECKS: readonly CodeRule[] = [
  evalCheck,
  execCheck,
  pickleCheck,
  yamlCheck,
  dillCheck,
  shelveCheck,
  jsonpickleCheck,
  marshalCheck,
  readPickleCheck,
  numpyLoadCheck,
  torchLoadCheck,
  trustRemoteCodeCheck,
  torchHubCheck,
  joblibLoadCheck,
  kerasLoadCheck,
  hubRevisionCheck,
  langchainLoadCheck,
  shellTrueCheck,
  systemCallCheck,
  partialPathCheck,
  inetAtonCheck,
  cryptCheck,
  werkzeugDebuggerCheck,
  weakHashCheck,
  weakLibraryHashCheck,
  weakCipherCheck,
  ecbModeCheck,
  unverifiedRequestCheck,
  unverifiedContextCheck,
  insecureProtocolCheck,
  sshHostKeyCheck,
];

/** Every rule the code scanner raises, in listing order. */
export const CODE_RULES: readonly Rule[] = [
  PY_PARSE_001,
  PY_EXE_001,
  PY_EXE_002,
  PY_EXE_008,
  PY_DES_001,
  PY_DES_002,
  PY_DES_003,
  PY_DES_004,
  PY_DES_005,
  PY_DES_006,
  PY_DES_007,
  PY_DES_008,
  PY_MDL_001,
  PY_MDL_002,
  PY_MDL_004,
  PY_MDL_005,
  PY_MDL_006,
  PY_MDL_007,
  PY_MDL_011,
  PY_PROC_001,
  PY_PROC_004,
  PY_PROC_006,
  PY_PYP_001,
  PY_PYP_002,
  PY_CRY_001,
  PY_CRY_002,
  PY_CRY_003,
  PY_CRY_004,
  PY_NET_001,
  PY_NET_002,
  PY_NET_003,
  PY_NET_009,
];
