import type { RuleFamily } from '../node-site.js';
import { PY_DES_009, PY_DES_010, PY_DES_011, PY_PYP_009 } from './des-ipc.js';
import { managerAddressCheck, managerSubclassCheck } from './des-ipc.js';
import { msgpackNumpyCheck, multiprocessingRecvCheck, objectCollectiveCheck } from './des-ipc.js';
import { PY_DES_012, PY_DES_013, lxmlCheck, stdlibXmlCheck } from './des-xml.js';
import { PY_MDL_003, PY_MDL_008, PY_MDL_009, PY_MDL_010, PY_MDL_012, PY_MDL_013 } from './mdl-artifacts.js';
import { downloadIntegrityCheck, mlflowLoadCheck, pickleArtifactCheck } from './mdl-artifacts.js';
import { pickleWeightsCheck, savedModelCheck, torchPackageCheck } from './mdl-artifacts.js';

/** Deserialisation (DES) and model and artifact loading (MDL). */
export const LOADING_FAMILY: RuleFamily = {
  rules: [
    PY_DES_009,
    PY_DES_010,
    PY_DES_011,
    PY_DES_012,
    PY_DES_013,
    PY_MDL_003,
    PY_MDL_008,
    PY_MDL_009,
    PY_MDL_010,
    PY_MDL_012,
    PY_MDL_013,
    PY_PYP_009,
  ],
  calls: [
    multiprocessingRecvCheck,
    objectCollectiveCheck,
    msgpackNumpyCheck,
    stdlibXmlCheck,
    lxmlCheck,
    torchPackageCheck,
    pickleWeightsCheck,
    mlflowLoadCheck,
    savedModelCheck,
    downloadIntegrityCheck,
    pickleArtifactCheck,
    managerAddressCheck,
  ],
  nodes: [managerSubclassCheck],
};
