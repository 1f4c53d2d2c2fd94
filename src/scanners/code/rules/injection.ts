import type { RuleFamily } from '../node-site.js';
import {
  formatStringCheck,
  PY_INJ_008,
  PY_INJ_009,
  PY_INJ_010,
  secretInLogCheck,
  untrustedPatternCheck,
} from './inj-misc.js';
import {
  djangoRawSqlCheck,
  formattedSqlCheck,
  mongoInjectionCheck,
  PY_INJ_001,
  PY_INJ_002,
  PY_INJ_007,
} from './inj-sql.js';
import {
  jinjaAutoescapeCheck,
  makoCheck,
  markSafeCheck,
  PY_INJ_003,
  PY_INJ_004,
  PY_INJ_005,
  PY_INJ_006,
  templateInjectionCheck,
} from './inj-template.js';

/** Injection: SQL, templates, markup and other interpreters (INJ). */
export const INJECTION_FAMILY: RuleFamily = {
  rules: [
    PY_INJ_001,
    PY_INJ_002,
    PY_INJ_003,
    PY_INJ_004,
    PY_INJ_005,
    PY_INJ_006,
    PY_INJ_007,
    PY_INJ_008,
    PY_INJ_009,
    PY_INJ_010,
  ],
  calls: [
    formattedSqlCheck,
    djangoRawSqlCheck,
    jinjaAutoescapeCheck,
    makoCheck,
    markSafeCheck,
    templateInjectionCheck,
    mongoInjectionCheck,
    untrustedPatternCheck,
    formatStringCheck,
    secretInLogCheck,
  ],
  nodes: [],
};
