import { defineRule } from '../../../core/rule.js';
import { argumentOf, DATA_SINK, unlessTrue, type CodeRule } from '../call-site.js';

export const PY_MDL_004 = defineRule({
  id: 'PY-MDL-004',
  domain: 'code',
  title: 'joblib or trusted skops load of a model file',
  description:
    '`joblib.load` (also `sklearn.externals.joblib.load`) unpickles the file, so a model file from a download, ' +
    'a shared store or a colleague runs whatever callables it names. `skops.io.load(..., trusted=True)` turns ' +
    "off skops' type checks and is as unsafe.",
  fix: 'Save scikit-learn models with `skops.io.dump` and load them with `skops.io.load(path, trusted=[...])` listing only the types `skops.io.get_untrusted_types(file=path)` reports and you reviewed, or export to ONNX. Only joblib-load files you produced and protected yourself.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

export const joblibLoadCheck: CodeRule = {
  rule: PY_MDL_004,
  calls: [
    'joblib.load',
    'joblib.numpy_pickle.load',
    'sklearn.externals.joblib.load',
    'skops.io.load',
    'skops.io.loads',
  ],
  sink: DATA_SINK,
  check(call) {
    if (!call.name.startsWith('skops.'))
      return { message: `${call.name} unpickles the file, which can run arbitrary code` };
    const trusted = argumentOf(call, 'trusted', 1)?.constant;
    if (trusted?.kind !== 'bool' || !trusted.value) return undefined;
    return { message: `${call.name} with trusted=True loads any type the file names`, severity: 'high' };
  },
};

export const PY_MDL_005 = defineRule({
  id: 'PY-MDL-005',
  domain: 'code',
  title: 'Keras model loading that can run code',
  description:
    'Keras `load_model` with `safe_mode=False` deserialises `Lambda` layers, whose Python bytecode runs when ' +
    'the model is loaded or called. `model_from_yaml` built the model with an unsafe YAML loader (code ' +
    'execution on TensorFlow before 2.6, CVE-2021-37678).',
  fix: 'Keep the default `safe_mode=True` and register custom layers through `custom_objects` or `keras.saving.register_keras_serializable`; load architectures with `model_from_json` or the `.keras` format instead of YAML.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-502', 'CWE-94'],
  owasp: ['ML06:2023'],
});

const KERAS_PACKAGES = ['keras', 'tensorflow.keras', 'tf_keras'];

export const kerasLoadCheck: CodeRule = {
  rule: PY_MDL_005,
  calls: KERAS_PACKAGES.flatMap((keras) => [
    `${keras}.models.load_model`,
    `${keras}.saving.load_model`,
    `${keras}.models.model_from_yaml`,
  ]),
  check(call) {
    if (call.name.endsWith('.model_from_yaml'))
      return {
        message: `${call.name} builds the model with an unsafe YAML loader on TensorFlow before 2.6`,
        confidence: 'medium',
      };
    // load_model(filepath, custom_objects=None, compile=True, safe_mode=True)
    const safeMode = argumentOf(call, 'safe_mode', 3);
    if (safeMode === undefined) return undefined;
    return unlessTrue(
      call,
      'safe_mode',
      safeMode,
      `${call.name} with safe_mode=False runs Lambda layer code from the model file`,
    );
  },
};

export const PY_MDL_011 = defineRule({
  id: 'PY-MDL-011',
  domain: 'code',
  title: 'LangChain deserialisation of untrusted data',
  description:
    'LangChain vector stores (`FAISS.load_local` and others) unpickle their index metadata; ' +
    '`allow_dangerous_deserialization=True` turns off the guard, so a tampered index runs code. ' +
    '`langchain_core.load.loads`/`load` revive serialised objects and can instantiate classes and read ' +
    'secrets from the environment: only load what you serialised yourself.',
  fix: 'Leave `allow_dangerous_deserialization` unset and rebuild the index from the source documents, or load only indexes your own pipeline wrote to storage you control. Store prompts and chains as plain data (JSON/YAML you validate) rather than `langchain.load` payloads.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

const LANGCHAIN_PACKAGES = ['langchain', 'langchain_community', 'langchain_core', 'langchain_experimental'];

export const langchainLoadCheck: CodeRule = {
  rule: PY_MDL_011,
  calls: [
    ...LANGCHAIN_PACKAGES.map((langchain) => `${langchain}.*.load_local`),
    ...['langchain', 'langchain_core'].flatMap((langchain) => [
      `${langchain}.load.loads`,
      `${langchain}.load.load`,
      `${langchain}.load.load.loads`,
      `${langchain}.load.load.load`,
    ]),
  ],
  check(call) {
    if (!call.name.endsWith('.load_local'))
      return {
        message: `${call.name} revives serialised LangChain objects; the data must come from you`,
        severity: 'medium',
        confidence: 'medium',
      };
    const allow = call.keywords.get('allow_dangerous_deserialization');
    if (allow === undefined || (allow.constant?.kind === 'bool' && !allow.constant.value)) return undefined;
    if (allow.constant?.kind === 'bool')
      return { message: `${call.name} with allow_dangerous_deserialization=True unpickles the stored index` };
    return {
      message: `${call.name} with allow_dangerous_deserialization=${allow.node.text}, not known to be False`,
      severity: 'medium',
      confidence: 'low',
    };
  },
};
