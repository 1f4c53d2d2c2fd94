import type { Rule } from '../../core/rule.js';
import type { CodeRule } from './call-site.js';
import { PY_DES_001, PY_DES_006, pickleCheck, yamlCheck } from './rules/des.js';
import { PY_EXE_001, evalCheck } from './rules/exe.js';
import { PY_MDL_001, PY_MDL_006, torchLoadCheck, trustRemoteCodeCheck } from './rules/mdl.js';
import { PY_PARSE_001 } from './rules/parse.js';

/** The checks one pass over a Python file dispatches calls to. */
export const CODE_CHECKS: readonly CodeRule[] = [
  evalCheck,
  pickleCheck,
  yamlCheck,
  torchLoadCheck,
  trustRemoteCodeCheck,
];

/** Every rule the code scanner raises, in listing order. */
export const CODE_RULES: readonly Rule[] = [
  PY_PARSE_001,
  PY_EXE_001,
  PY_DES_001,
  PY_DES_006,
  PY_MDL_001,
  PY_MDL_006,
];
