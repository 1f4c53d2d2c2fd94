import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CodeRule } from '../call-site.js';

export const PY_DES_001 = defineRule({
  id: 'PY-DES-001',
  domain: 'code',
  title: 'pickle deserialisation',
  description:
    'Loading a pickle (`pickle.load`, `pickle.loads`, `pickle.Unpickler`, and the same in `cPickle` and ' +
    '`_pickle`) runs whatever callables the data names. A pickle from a download, an upload, a cache another ' +
    'process writes or a shared model store is code, not data.',
  fix: 'Store data in a format without code execution: `json`, `safetensors` (`safetensors.torch.load_file`) for tensors, `numpy.load(..., allow_pickle=False)` for arrays, `skops.io` for scikit-learn models. Only unpickle data you produced and protected yourself.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
  bandit: ['B301'],
  ruff: ['S301'],
});

const PICKLE_MODULES = ['pickle', 'cPickle', '_pickle'];

export const pickleCheck: CodeRule = {
  rule: PY_DES_001,
  calls: PICKLE_MODULES.flatMap((module) => [`${module}.load`, `${module}.loads`, `${module}.Unpickler`]),
  check(call) {
    return { message: `${call.name} deserialises a pickle, which can run arbitrary code` };
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
