import type { RuleFamily } from '../node-site.js';
import { insecureProtocolDefaultCheck } from './net.js';
import { PY_CRY_005, PY_CRY_006, PY_CRY_009 } from './cry-keys.js';
import { hardCodedKeyCheck, pycryptoImportCheck, smallKeyCheck } from './cry-keys.js';
import { PY_CRY_007, PY_CRY_008, insecureRandomCheck, unverifiedJwtCheck } from './cry-tokens.js';
import { CLEARTEXT_CALLS, CLEARTEXT_NODES, PY_NET_007, PY_NET_008, PY_NET_010 } from './net-cleartext.js';
import {
  PY_NET_011,
  PY_NET_012,
  httpoxyCheck,
  snmpCheck,
  ssrfCheck,
  urlSchemeCheck,
} from './net-cleartext.js';
import { PY_NET_004, PY_NET_005, PY_NET_006, allInterfacesCheck } from './net-exposure.js';
import { gradioShareCheck, missingTimeoutCheck, tunnelCheck } from './net-exposure.js';

/** Crypto (CRY), and network and TLS (NET). */
export const TRANSPORT_FAMILY: RuleFamily = {
  rules: [
    PY_CRY_005,
    PY_CRY_006,
    PY_CRY_007,
    PY_CRY_008,
    PY_CRY_009,
    PY_NET_004,
    PY_NET_005,
    PY_NET_006,
    PY_NET_007,
    PY_NET_008,
    PY_NET_010,
    PY_NET_011,
    PY_NET_012,
  ],
  calls: [
    smallKeyCheck,
    insecureRandomCheck,
    unverifiedJwtCheck,
    hardCodedKeyCheck,
    missingTimeoutCheck,
    gradioShareCheck,
    tunnelCheck,
    ...CLEARTEXT_CALLS,
    urlSchemeCheck,
    snmpCheck,
    httpoxyCheck,
    ssrfCheck,
  ],
  nodes: [pycryptoImportCheck, allInterfacesCheck, ...CLEARTEXT_NODES, insecureProtocolDefaultCheck],
};
