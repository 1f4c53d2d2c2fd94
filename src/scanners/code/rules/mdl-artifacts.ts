import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import {
  type Argument,
  argumentOf,
  type CallSite,
  type CodeMatch,
  type CodeRule,
  DATA_SINK,
} from '../call-site.js';

export const PY_MDL_003 = defineRule({
  id: 'PY-MDL-003',
  domain: 'code',
  title: 'torch.package.PackageImporter',
  description:
    'A `torch.package` archive holds pickled objects and the Python source of the modules they need; ' +
    '`PackageImporter` imports that source and `load_pickle` unpickles the objects, so opening a package ' +
    'from a download or a shared model store runs whatever code its author put in it.',
  fix: 'Exchange weights as safetensors (`safetensors.torch.load_file`) and rebuild the model from code you install and pin; open `torch.package` archives only if you built them yourself or reviewed the source they contain.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

export const torchPackageCheck: CodeRule = {
  rule: PY_MDL_003,
  calls: ['torch.package.PackageImporter', 'torch.package.package_importer.PackageImporter'],
  sink: DATA_SINK,
  check: (call) => ({
    message: `${call.name} imports the code and unpickles the objects packaged in the archive`,
  }),
};

export const PY_MDL_008 = defineRule({
  id: 'PY-MDL-008',
  domain: 'code',
  title: 'pickle-format weights chosen over safetensors',
  description:
    '`from_pretrained(..., use_safetensors=False)` refuses the safetensors files of a repository and loads ' +
    '`pytorch_model.bin`, and a `.bin`, `.pt`, `.pth`, `.ckpt` or `.pkl` checkpoint passed to ' +
    "`from_pretrained` or diffusers' `from_single_file` is a pickle. Loading it goes through `torch.load`, " +
    'whose safety depends on the torch and library versions (`weights_only`), while safetensors holds only ' +
    'tensors.',
  fix: 'Load safetensors: drop `use_safetensors=False` (or pass `use_safetensors=True` to refuse pickles), convert checkpoints once with `safetensors.torch.save_file(model.state_dict(), "model.safetensors")`, and point `from_pretrained`/`from_single_file` at the `.safetensors` file.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

const PICKLE_CHECKPOINT = /\.(bin|pt|pth|ckpt|pkl|pickle)$/i;

export const pickleWeightsCheck: CodeRule = {
  rule: PY_MDL_008,
  calls: [
    'transformers.*.from_pretrained',
    'diffusers.*.from_pretrained',
    'diffusers.*.from_single_file',
    'peft.*.from_pretrained',
    'sentence_transformers.SentenceTransformer',
  ],
  check(call) {
    const safetensors = call.keywords.get('use_safetensors')?.constant;
    if (safetensors?.kind === 'bool' && !safetensors.value)
      return { message: `${call.name} with use_safetensors=False loads pickled weights` };
    const source = call.positional[0]?.constant;
    if (source?.kind === 'string' && PICKLE_CHECKPOINT.test(source.value))
      return { message: `${call.name} loads the pickle checkpoint "${source.value}"` };
    return undefined;
  },
};

export const PY_MDL_009 = defineRule({
  id: 'PY-MDL-009',
  domain: 'code',
  title: 'MLflow model loaded from a remote or variable URI',
  description:
    '`mlflow.pyfunc.load_model` and the flavour loaders (`mlflow.sklearn.load_model`, `mlflow.pytorch.' +
    'load_model`, …) unpickle the model (cloudpickle, pickle, `torch.load`) and import its code. A URI in ' +
    'a tracking server or artifact store (`runs:/`, `models:/`, `s3://`, `https://`), or one chosen at run ' +
    'time, loads whatever anyone with write access to that store registered.',
  fix: 'Load only models from a registry you control, pinned to a version you reviewed (`models:/name/<version>` with restricted write access), prefer formats without code (`mlflow.onnx`, safetensors via `mlflow.transformers`), and validate URIs against an allow-list before loading.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

const SCHEMES = 'runs|models|s3|gs|wasbs?|abfss?|https?|hdfs|dbfs|mlflow-artifacts';
const REMOTE_URI = new RegExp(`^(${SCHEMES}):`, 'i');
/** The opening of an f-string whose literal start is a remote scheme. */
const FSTRING_SCHEME = new RegExp(`^[rRfF]{1,2}(?:"""|'''|"|')(${SCHEMES}):`);

function modelUri(call: CallSite): Argument | undefined {
  return argumentOf(call, 'model_uri', 0);
}

export const mlflowLoadCheck: CodeRule = {
  rule: PY_MDL_009,
  calls: ['mlflow.*.load_model'],
  sink: { arguments: (call) => [modelUri(call)] },
  check(call) {
    // ONNX models hold a graph, not pickles or code.
    if (call.name === 'mlflow.onnx.load_model') return undefined;
    const uri = modelUri(call);
    if (uri === undefined) return undefined;
    if (uri.constant?.kind === 'string') {
      if (!REMOTE_URI.test(uri.constant.value)) return undefined;
      return { message: `${call.name} unpickles the model stored at ${uri.constant.value}` };
    }
    // f"runs:/{run_id}/model": the scheme is fixed even though the rest is not.
    const scheme = FSTRING_SCHEME.exec(uri.node.type === 'string' ? uri.node.text : '')?.[1];
    if (scheme !== undefined) return { message: `${call.name} unpickles a model stored under ${scheme}:` };
    return {
      message: `${call.name} unpickles a model from a URI not known statically`,
      confidence: 'low',
    };
  },
};

export const PY_MDL_010 = defineRule({
  id: 'PY-MDL-010',
  domain: 'code',
  title: 'TensorFlow SavedModel loaded from a variable path',
  description:
    'A SavedModel is a TensorFlow graph, and graphs can hold ops that read and write files (`ReadFile`, ' +
    '`WriteFile`, `MatchingFiles`) or call `tf.py_function`-style hooks. `tf.saved_model.load`, ' +
    '`tf.keras.models.load_model` and `keras.layers.TFSMLayer` on a path chosen at run time run whatever graph ' +
    'that directory holds.',
  fix: 'Load SavedModels only from directories your pipeline produced, at paths fixed in code or checked against an allow-list; run untrusted models in a sandbox, or exchange weights as safetensors/`.keras` files loaded with `safe_mode=True`.',
  severity: 'low',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-502', 'CWE-94'],
  owasp: ['ML06:2023'],
});

/** Where each loader takes the model directory: TF1's `loader.load(sess, tags, export_dir)` has it third. */
const SAVED_MODEL_PATH: ReadonlyMap<string, readonly [string, number]> = new Map([
  ['tensorflow.saved_model.load', ['export_dir', 0]],
  ['tensorflow.saved_model.load_v2', ['export_dir', 0]],
  ['tensorflow.compat.v2.saved_model.load', ['export_dir', 0]],
  ['tensorflow.saved_model.loader.load', ['export_dir', 2]],
  ['tensorflow.compat.v1.saved_model.load', ['export_dir', 2]],
  ['tensorflow.compat.v1.saved_model.loader.load', ['export_dir', 2]],
  ['tensorflow.keras.models.load_model', ['filepath', 0]],
  ['tensorflow.keras.saving.load_model', ['filepath', 0]],
  ['tf_keras.models.load_model', ['filepath', 0]],
  ['keras.layers.TFSMLayer', ['filepath', 0]],
]);

function savedModelPath(call: CallSite): Argument | undefined {
  const [keyword, position] = SAVED_MODEL_PATH.get(call.name) ?? ['export_dir', 0];
  return argumentOf(call, keyword, position);
}

export const savedModelCheck: CodeRule = {
  rule: PY_MDL_010,
  calls: [...SAVED_MODEL_PATH.keys()],
  sink: { arguments: (call) => [savedModelPath(call)] },
  check(call) {
    const path = savedModelPath(call);
    if (path === undefined || path.constant?.kind === 'string') return undefined;
    return { message: `${call.name} loads a TensorFlow graph from a path not known statically` };
  },
};

export const PY_MDL_012 = defineRule({
  id: 'PY-MDL-012',
  domain: 'code',
  title: 'model artifact downloaded without an integrity check',
  description:
    '`keras.utils.get_file` without `file_hash`, `torch.hub.download_url_to_file` without `hash_prefix` and ' +
    '`torch.hub.load_state_dict_from_url` without `check_hash=True`, and `urlretrieve` into a model file, accept ' +
    'whatever bytes the URL serves. A compromised host, bucket or mirror, or a redirect, replaces the weights ' +
    '(often pickles) the code then loads.',
  fix: 'Pin the digest you reviewed: `keras.utils.get_file(fname, origin, file_hash="<sha256>")`, `torch.hub.download_url_to_file(url, dst, hash_prefix="<sha256 prefix>")`, or `load_state_dict_from_url(url, check_hash=True)` with a file name of the form `name-<sha256 prefix>.pth`; after `urlretrieve`, compare `hashlib.sha256` of the file with a pinned digest before loading it; better, download safetensors from a pinned Hub commit.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-494'],
  owasp: ['ML06:2023'],
});

const KERAS_GET_FILE = ['keras.utils.get_file', 'tensorflow.keras.utils.get_file', 'tf_keras.utils.get_file'];
const DOWNLOAD_URL = ['torch.hub.download_url_to_file', 'torch.hub.load_state_dict_from_url'];
/** Generic downloads, reported when they save to a model file name: no parameter takes a digest. */
const URLRETRIEVE = ['urllib.request.urlretrieve', 'urllib.urlretrieve'];

const MODEL_FILE = /\.(pt|pth|bin|ckpt|pkl|pickle|joblib|h5|hdf5|keras|onnx|pb|tflite|safetensors)$/i;

function downloadUrl(call: CallSite): Argument | undefined {
  return KERAS_GET_FILE.includes(call.name) ? argumentOf(call, 'origin', 1) : argumentOf(call, 'url', 0);
}

/** Whether an integrity argument is given a value other than None (a hash, a variable holding one). */
function given(argument: Argument | undefined): boolean {
  return argument !== undefined && argument.constant?.kind !== 'none';
}

function integrityCheck(call: CallSite): CodeMatch | undefined {
  if (URLRETRIEVE.includes(call.name)) {
    const target = argumentOf(call, 'filename', 1)?.constant;
    if (target?.kind !== 'string' || !MODEL_FILE.test(target.value)) return undefined;
    // The digest may be checked in a later statement, which this check does not follow.
    return {
      message: `${call.name} downloads the model file "${target.value}" with no digest to check it against`,
      confidence: 'low',
    };
  }
  // **kwargs may carry the hash.
  if (call.hasUnpacking) return undefined;
  if (KERAS_GET_FILE.includes(call.name)) {
    // get_file(fname, origin, untar, md5_hash, file_hash, ...)
    if (given(argumentOf(call, 'file_hash', 4)) || given(argumentOf(call, 'md5_hash', 3))) return undefined;
    return { message: `${call.name} without file_hash accepts whatever the URL serves` };
  }
  if (call.name === 'torch.hub.download_url_to_file') {
    if (given(argumentOf(call, 'hash_prefix', 2))) return undefined;
    return { message: `${call.name} without hash_prefix accepts whatever the URL serves` };
  }
  const checkHash = argumentOf(call, 'check_hash', 4)?.constant;
  if (checkHash?.kind === 'bool' && checkHash.value) return undefined;
  if (checkHash !== undefined && checkHash.kind !== 'bool' && checkHash.kind !== 'none')
    return { message: `${call.name} with check_hash not known to be True`, confidence: 'low' };
  return { message: `${call.name} without check_hash=True loads whatever the URL serves` };
}

export const downloadIntegrityCheck: CodeRule = {
  rule: PY_MDL_012,
  calls: [...KERAS_GET_FILE, ...DOWNLOAD_URL, ...URLRETRIEVE],
  sink: { arguments: (call) => [downloadUrl(call)] },
  check: integrityCheck,
};

export const PY_MDL_013 = defineRule({
  id: 'PY-MDL-013',
  domain: 'code',
  title: 'model written in a pickle-based format',
  description:
    '`torch.save(model, ...)` of a whole module, `pickle.dump`/`cloudpickle.dump`/`dill.dump` of a model and ' +
    '`joblib.dump` write pickles: whoever loads the artifact must unpickle it (`weights_only=False`, ' +
    '`joblib.load`), which runs any code the file names. Publishing such files trains users to load pickles ' +
    'and makes a tampered artifact indistinguishable from a real one.',
  fix: 'Save weights, not objects: `safetensors.torch.save_file(model.state_dict(), "model.safetensors")` or `torch.save(model.state_dict(), path)` loaded with `weights_only=True`; `skops.io.dump` for scikit-learn; ONNX (`torch.onnx.export`, `skl2onnx`) for portable models.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

/** Names that hold a model in training code: `model`, `self.net`, `best_model`, `clf`, `encoder`. */
const MODEL_NAME =
  /(^|_)(model|models|net|network|module|clf|classifier|regressor|estimator|pipeline|encoder|decoder|generator|discriminator)$/i;

/** The last name of an identifier or attribute chain (`self.model` → `model`); undefined for anything else. */
function heldName(node: Node): string | undefined {
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') return node.childForFieldName('attribute')?.text;
  return undefined;
}

export const pickleArtifactCheck: CodeRule = {
  rule: PY_MDL_013,
  calls: [
    'torch.save',
    'pickle.dump',
    'pickle.dumps',
    'cloudpickle.dump',
    'cloudpickle.dumps',
    'dill.dump',
    'dill.dumps',
    'joblib.dump',
  ],
  check(call) {
    const saved = argumentOf(call, call.name === 'joblib.dump' ? 'value' : 'obj', 0);
    if (call.name === 'joblib.dump')
      return { message: 'joblib.dump writes a pickle that its users must unpickle to load' };
    const name = saved === undefined ? undefined : heldName(saved.node);
    if (name === undefined || !MODEL_NAME.test(name)) return undefined;
    return {
      message: `${call.name}(${saved?.node.text ?? name}, ...) pickles the whole model object, not its weights`,
    };
  },
};
