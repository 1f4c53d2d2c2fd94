import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CodeRule, DATA_SINK, everyCall } from '../call-site.js';

/** What bandit's B301 and ruff's S301 cover: loaders that unpickle whatever the data names. */
export const PICKLE_FAMILY = {
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
  bandit: ['B301'],
  ruff: ['S301'],
} as const;

export const PY_DES_001 = defineRule({
  id: 'PY-DES-001',
  domain: 'code',
  title: 'pickle deserialisation',
  description:
    'Loading a pickle (`pickle.load`, `pickle.loads`, `pickle.Unpickler`, and the same in `cPickle` and ' +
    '`_pickle`) runs whatever callables the data names. A pickle from a download, an upload, a cache another ' +
    'process writes or a shared model store is code, not data.',
  fix: 'Store data in a format without code execution: `json`, `safetensors` (`safetensors.torch.load_file`) for tensors, `numpy.load(..., allow_pickle=False)` for arrays, `skops.io` for scikit-learn models. Only unpickle data you produced and protected yourself.',
  ...PICKLE_FAMILY,
});

const PICKLE_MODULES = ['pickle', 'cPickle', '_pickle'];

export const pickleCheck = everyCall(
  PY_DES_001,
  PICKLE_MODULES.flatMap((module) => [`${module}.load`, `${module}.loads`, `${module}.Unpickler`]),
  'deserialises a pickle, which can run arbitrary code',
  DATA_SINK,
);

export const PY_DES_002 = defineRule({
  id: 'PY-DES-002',
  domain: 'code',
  title: 'dill or cloudpickle deserialisation',
  description:
    '`dill` and `cloudpickle` extend pickle to functions, lambdas and whole sessions, and loading them ' +
    '(`dill.load`, `dill.loads`, `dill.Unpickler`, `dill.load_session`, `cloudpickle.load`, `cloudpickle.loads`) ' +
    'runs whatever callables the data names, exactly as `pickle.load` does.',
  fix: 'Send data, not code: exchange `json`, safetensors or Parquet between processes, and refer to functions by a registered name. Only load dill or cloudpickle payloads that your own process wrote over a channel nobody else can write to.',
  ...PICKLE_FAMILY,
});

export const dillCheck = everyCall(
  PY_DES_002,
  [
    'dill.load',
    'dill.loads',
    'dill.Unpickler',
    'dill.load_session',
    'dill.load_module',
    'cloudpickle.load',
    'cloudpickle.loads',
  ],
  'deserialises a pickle, which can run arbitrary code',
  DATA_SINK,
);

export const PY_DES_003 = defineRule({
  id: 'PY-DES-003',
  domain: 'code',
  title: 'shelve.open',
  description:
    'A shelf is a dbm file whose values are pickles: every value read from a shelf opened with `shelve.open` ' +
    '(or `shelve.DbfilenameShelf`) is unpickled, so whoever can write the file runs code in the reader.',
  fix: 'Keep caches and experiment state in `sqlite3` or a dbm file with `json`-encoded values, or in files written as `json`/safetensors. Open a shelf only on a path your own process created.',
  ...PICKLE_FAMILY,
});

export const shelveCheck = everyCall(
  PY_DES_003,
  ['shelve.open', 'shelve.DbfilenameShelf'],
  'opens a shelf whose values are unpickled when read',
  DATA_SINK,
);

export const PY_DES_004 = defineRule({
  id: 'PY-DES-004',
  domain: 'code',
  title: 'jsonpickle.decode',
  description:
    '`jsonpickle.decode` rebuilds arbitrary Python objects from `py/object`, `py/reduce` and `py/function` ' +
    'tags in the JSON: it imports modules and calls the callables the text names, so decoding untrusted ' +
    'JSON runs code even with `safe=True`.',
  fix: 'Decode with `json.loads` and build your own objects from the plain data (a dataclass, `pydantic.BaseModel.model_validate_json`).',
  ...PICKLE_FAMILY,
});

export const jsonpickleCheck = everyCall(
  PY_DES_004,
  [
    'jsonpickle.decode',
    'jsonpickle.unpickler.decode',
    'jsonpickle.Unpickler',
    'jsonpickle.unpickler.Unpickler',
  ],
  'rebuilds arbitrary Python objects named in the JSON',
  DATA_SINK,
);

export const PY_DES_005 = defineRule({
  id: 'PY-DES-005',
  domain: 'code',
  title: 'marshal deserialisation',
  description:
    '`marshal.load` and `marshal.loads` are not secure against crafted data (the Python documentation says ' +
    'so): they build code objects, which callers go on to run, and malformed input can crash the interpreter.',
  fix: 'Use `json` for data. For code, import it from a reviewed module instead of loading marshalled code objects.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
  bandit: ['B302'],
  ruff: ['S302'],
});

export const marshalCheck: CodeRule = {
  rule: PY_DES_005,
  calls: ['marshal.load', 'marshal.loads'],
  sink: DATA_SINK,
  check(call) {
    return {
      message: `${call.name} loads marshalled data, which may hold code objects and is unsafe on crafted input`,
    };
  },
};

export const PY_DES_006 = defineRule({
  id: 'PY-DES-006',
  domain: 'code',
  title: 'yaml.load without a safe Loader',
  description:
    'PyYAML builds arbitrary Python objects (and so runs code) from tags such as `!!python/object/apply` ' +
    'unless it is given a safe loader. `yaml.unsafe_load`, `Loader=yaml.Loader`/`UnsafeLoader`/`CLoader`, ' +
    '`FullLoader` before PyYAML 5.4, and `yaml.load` without a Loader on PyYAML before 5.1 all do.',
  fix: 'Use `yaml.safe_load(stream)` or `yaml.load(stream, Loader=yaml.SafeLoader)` (or `yaml.CSafeLoader`).',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
  bandit: ['B506'],
  ruff: ['S506'],
});

const SAFE_LOADERS = new Set(['SafeLoader', 'CSafeLoader', 'BaseLoader', 'CBaseLoader']);
const UNSAFE_LOADERS = new Set(['Loader', 'UnsafeLoader', 'CLoader', 'CUnsafeLoader']);

export const yamlCheck: CodeRule = {
  rule: PY_DES_006,
  calls: ['yaml.load', 'yaml.load_all', 'yaml.unsafe_load', 'yaml.unsafe_load_all'],
  check(call) {
    if (call.name.startsWith('yaml.unsafe_load'))
      return { message: `${call.name} constructs arbitrary Python objects from YAML tags` };
    const loader = argumentOf(call, 'Loader', 1);
    if (loader === undefined) {
      if (call.hasUnpacking) return undefined;
      return {
        message: `${call.name} without a Loader uses the unsafe loader on PyYAML before 5.1 (and fails on 6.0)`,
        severity: 'medium',
      };
    }
    const names = loader.constant?.kind === 'reference' ? loader.constant.names : [];
    const lastSegments = names.map((name) => name.slice(name.lastIndexOf('.') + 1));
    if (lastSegments.length > 0 && lastSegments.every((segment) => SAFE_LOADERS.has(segment)))
      return undefined;
    if (lastSegments.some((segment) => UNSAFE_LOADERS.has(segment)))
      return { message: `${call.name} with ${loader.node.text} constructs arbitrary Python objects` };
    if (lastSegments.includes('FullLoader'))
      return {
        message: `${call.name} with FullLoader constructs arbitrary objects on PyYAML before 5.4`,
        severity: 'medium',
      };
    return {
      message: `${call.name} with a Loader that is not known to be safe (${loader.node.text})`,
      severity: 'medium',
      confidence: 'low',
    };
  },
};
