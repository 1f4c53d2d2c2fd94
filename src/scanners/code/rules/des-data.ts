import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CodeRule, DATA_SINK, everyCall } from '../call-site.js';
import { PICKLE_FAMILY } from './des.js';
import type { Constant } from '../resolve.js';

export const PY_DES_007 = defineRule({
  id: 'PY-DES-007',
  domain: 'code',
  title: 'pandas.read_pickle',
  description:
    '`pandas.read_pickle` unpickles the file (or URL) it is given, so a data set shared as a `.pkl` or ' +
    '`.pkl.gz` runs whatever callables it names when it is read.',
  fix: 'Share data frames as Parquet (`pandas.read_parquet`), Feather (`pandas.read_feather`) or CSV (`pandas.read_csv`); only read pickles your own process wrote.',
  ...PICKLE_FAMILY,
});

export const readPickleCheck = everyCall(
  PY_DES_007,
  ['pandas.read_pickle', 'pandas.io.pickle.read_pickle'],
  'unpickles the data set, which can run arbitrary code',
  DATA_SINK,
);

export const PY_DES_008 = defineRule({
  id: 'PY-DES-008',
  domain: 'code',
  title: 'numpy.load with allow_pickle=True',
  description:
    '`numpy.load(..., allow_pickle=True)` unpickles object arrays stored in `.npy` and `.npz` files, so a ' +
    'crafted array file runs code when it is loaded. The default has been `allow_pickle=False` since ' +
    'numpy 1.16.3.',
  fix: 'Drop `allow_pickle=True`: store numeric arrays (`numpy.save` of a non-object dtype) and keep strings and metadata in `json`. Pass `allow_pickle=True` only for files your own process wrote.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

export const numpyLoadCheck: CodeRule = {
  rule: PY_DES_008,
  calls: ['numpy.load'],
  check(call) {
    // numpy.load(file, mmap_mode=None, allow_pickle=False, ...): an absent argument keeps the safe default.
    const allowPickle = argumentOf(call, 'allow_pickle', 2);
    if (allowPickle === undefined) return undefined;
    const truthy = truthiness(allowPickle.constant);
    if (truthy === false) return undefined;
    if (truthy === true)
      return { message: `${call.name} with allow_pickle=${allowPickle.node.text} unpickles object arrays` };
    return {
      message: `${call.name} with allow_pickle=${allowPickle.node.text}, which may be True`,
      severity: 'medium',
      confidence: 'low',
    };
  },
};

/** Python truthiness of a literal; undefined for a reference or a value not known statically. */
function truthiness(constant: Constant | undefined): boolean | undefined {
  switch (constant?.kind) {
    case 'bool':
      return constant.value;
    case 'none':
      return false;
    case 'number':
      return constant.value !== 0;
    case 'string':
      return constant.value !== '';
    default:
      return undefined;
  }
}
