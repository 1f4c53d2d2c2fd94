import type { Rule } from '../../core/rule.js';
import type { CodeRule } from './call-site.js';
import type { NodeRule, RuleFamily } from './node-site.js';
import { EXECUTION_FAMILY } from './rules/execution.js';
import { FILES_FAMILY } from './rules/files.js';
import { INJECTION_FAMILY } from './rules/injection.js';
import { LOADING_FAMILY } from './rules/loading.js';
import { PROCESS_FAMILY } from './rules/process.js';
import { SECRETS_FAMILY } from './rules/secrets.js';
import { TRANSPORT_FAMILY } from './rules/transport.js';
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

/** The rule families added after the first slice, one module each, by theme of the catalogue. */
const FAMILIES: readonly RuleFamily[] = [
  EXECUTION_FAMILY,
  PROCESS_FAMILY,
  LOADING_FAMILY,
  FILES_FAMILY,
  TRANSPORT_FAMILY,
  INJECTION_FAMILY,
  SECRETS_FAMILY,
];

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
  ...FAMILIES.flatMap((family) => family.calls),
];

/** The checks dispatched the nodes of the types they subscribe to. */
export const NODE_CHECKS: readonly NodeRule[] = FAMILIES.flatMap((family) => family.nodes);

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
  ...FAMILIES.flatMap((family) => family.rules),
];
