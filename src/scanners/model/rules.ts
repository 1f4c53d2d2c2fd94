import { defineRule } from '../../core/rule.js';
import {
  BUNDLE_EXTRACTION_ESCAPE,
  BUNDLE_REFERENCE_OUTSIDE,
  HF_REMOTE_CODE,
  MLFLOW_BUNDLED_CODE,
  MLFLOW_CUSTOM_LOADER,
} from './bundle-rules.js';
import { TORCHSCRIPT_CUSTOM_NAMESPACE, TORCHSCRIPT_PYTHON_OP } from './torchscript-rules.js';
import { TF_FILE_OP, TF_PYTHON_OP, TF_UNLISTED_OP } from './tensorflow/rules.js';

export const PICKLE_DANGEROUS_CALLABLE = defineRule({
  id: 'MODEL-PICKLE-001',
  domain: 'model',
  title: 'Pickle references a dangerous callable',
  description:
    'Loading this pickle imports or calls a callable that can run commands, evaluate code, import arbitrary ' +
    'modules, load native code, touch the network or the file system (for example `posix.system`, ' +
    '`builtins.eval`, `builtins.getattr`, `importlib.import_module`, `subprocess.Popen`). `pickle.load`, ' +
    '`torch.load(weights_only=False)`, `joblib.load` and `numpy.load(allow_pickle=True)` run it as soon as ' +
    'the file is loaded.',
  fix: 'Do not load this file. Obtain the model from a trusted source in a format without code execution (safetensors for tensors, skops for scikit-learn, ONNX), or load tensors with `torch.load(..., weights_only=True)` on torch >= 2.6.',
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-502', 'CWE-94'],
  owasp: ['ML06:2023', 'ML10:2023'],
});

export const PICKLE_UNLISTED_GLOBAL = defineRule({
  id: 'MODEL-PICKLE-002',
  domain: 'model',
  title: 'Pickle references a global outside the allow list',
  description:
    'The pickle imports a global that is neither on the allow list of classes and functions that legitimate ' +
    'PyTorch, NumPy, scikit-learn and standard-library pickles use, nor on the deny list. Importing it runs ' +
    'the module it lives in, and calling it may do anything that code does.',
  fix: 'Review the named global. If it is your own trusted class, add it to `[pickle] allow-globals` in the configuration; otherwise do not load the file.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

export const PICKLE_UNRESOLVED_CALLABLE = defineRule({
  id: 'MODEL-PICKLE-003',
  domain: 'model',
  title: 'Pickle calls or imports something that cannot be resolved statically',
  description:
    'The unpickler would import or call an object whose identity depends on values computed while loading ' +
    '(for example STACK_GLOBAL on strings built at load time, an extension-registry code, or a call on the ' +
    'result of another call). Scanners that cannot tell what runs must not call the file clean.',
  fix: 'Do not load the file unless its origin is trusted; re-export the model in a code-free format.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

export const PICKLE_CODE_OBJECT = defineRule({
  id: 'MODEL-PICKLE-004',
  domain: 'model',
  title: 'Pickle rebuilds Python code',
  description:
    'The pickle reconstructs a code object or function from bytecode (dill or cloudpickle by-value functions, ' +
    '`types.CodeType`, `marshal.loads`). That code is arbitrary and runs whenever the function is called, ' +
    'often as part of loading.',
  fix: 'Treat the file as executable code. Load it only if you would run a script from the same source; prefer formats that store data only.',
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-502', 'CWE-94'],
  owasp: ['ML06:2023', 'ML10:2023'],
});

export const PICKLE_STREAM_ANOMALY = defineRule({
  id: 'MODEL-PICKLE-005',
  domain: 'model',
  title: 'Pickle stream is read differently by different loaders',
  description:
    'The pickle stream has a structure that legitimate picklers never write and that different unpicklers ' +
    'interpret differently, such as an opcode or payload that straddles a FRAME boundary. Attackers use ' +
    'this to hide opcodes from scanners. Both readings are scanned.',
  fix: 'Do not load the file. Re-create it with a standard pickler from a trusted source.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-436', 'CWE-502'],
  owasp: ['ML06:2023'],
});

export const ARCHIVE_INCONSISTENT = defineRule({
  id: 'MODEL-ARCHIVE-001',
  domain: 'model',
  title: 'Archive structure that loaders read differently',
  description:
    'The model archive has a structure that makes tools disagree about its contents: local and central zip ' +
    'headers that name different files, duplicate member names, a wrong CRC-32, encryption or unusual flag ' +
    'bits on plain members, or an unsupported compression method. PyTorch ignores most of these while ' +
    "Python's zipfile refuses them, which is how scanners built on zipfile have been bypassed.",
  fix: 'Do not load the file. Re-create the archive with the original producer (for example `torch.save`).',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-436'],
  owasp: ['ML06:2023'],
});

export const POLYGLOT_FILE = defineRule({
  id: 'MODEL-POLYGLOT-001',
  domain: 'model',
  title: 'File is valid in more than one format',
  description:
    'The file parses as two formats at once (for example a pickle followed by a zip archive, or data before ' +
    'a zip archive). Different loaders pick different views; a scanner that checks one view misses a payload ' +
    'in the other. Every view is scanned.',
  fix: 'Do not load the file. Legitimate producers never write polyglots.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-436'],
  owasp: ['ML06:2023'],
});

export const NUMPY_OBJECT_ARRAY = defineRule({
  id: 'MODEL-NUMPY-001',
  domain: 'model',
  title: 'NumPy array stores Python objects',
  description:
    'The .npy data (or an .npz member) has an object dtype, so its payload is a pickle and loading it needs ' +
    '`numpy.load(..., allow_pickle=True)`. The embedded pickle is scanned and raises its own findings; this ' +
    'one records that the file is not plain numeric data.',
  fix: 'Store numeric data with a numeric dtype, or strings with a fixed-width string dtype, so the file loads with `allow_pickle=False`.',
  severity: 'low',
  confidence: 'high',
  verdict: 'clean',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

export const SAFETENSORS_MALFORMED = defineRule({
  id: 'MODEL-SAFETENSORS-001',
  domain: 'model',
  title: 'safetensors header is malformed',
  description:
    'The safetensors header (an 8-byte length, then a JSON object naming each tensor with its dtype, shape ' +
    'and byte range) breaks the format: a length outside the file or above the 100 MB cap, invalid UTF-8 or ' +
    'JSON, duplicate keys, an unknown dtype, a shape that does not match its byte range, byte ranges that ' +
    'overlap, leave gaps or do not cover the data exactly, or non-string metadata. The safetensors loader ' +
    'refuses such files, other readers may read them differently, and bytes outside the declared tensors can ' +
    'carry a payload for another tool.',
  fix: 'Do not use the file. Re-export the tensors with the safetensors library (`save_file`) from a trusted source.',
  severity: 'high',
  confidence: 'high',
  verdict: 'unscannable',
  cwe: ['CWE-20'],
  owasp: ['ML06:2023'],
});

export const ONNX_EXTERNAL_DATA_OUTSIDE = defineRule({
  id: 'MODEL-ONNX-001',
  domain: 'model',
  title: 'ONNX external data points outside the model folder',
  description:
    'A tensor of the ONNX model stores its data in an external file whose `location` is an absolute path or ' +
    'contains a `..` component, so it resolves outside the folder that holds the model. Loading the model ' +
    'reads that file into a tensor (for example `/etc/passwd` or an SSH key, which inference outputs or a ' +
    're-saved model can then disclose), and saving it writes there (CVE-2022-25882, CVE-2024-27318). Producers ' +
    'write plain relative names such as `weights.bin`.',
  fix: 'Do not load the model. Re-export it from a trusted source with external data stored beside the model (`onnx.save_model(..., save_as_external_data=True, location="weights.bin")`), and keep onnx up to date.',
  severity: 'high',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-22'],
  owasp: ['ML06:2023'],
});

export const ONNX_CUSTOM_DOMAIN = defineRule({
  id: 'MODEL-ONNX-002',
  domain: 'model',
  title: 'ONNX model uses custom operator domains',
  description:
    'A node or opset import of the ONNX model names an operator domain outside the ONNX standard (the default ' +
    'domain, `ai.onnx` and `ai.onnx.ml`). Such operators are implemented by a custom-op library that the runtime ' +
    'must load as native code (`SessionOptions.register_custom_ops_library`), so running the model runs code ' +
    'the model file itself does not contain and cannot vouch for.',
  fix: 'Check that the domain belongs to a runtime or library you trust (for example `com.microsoft` for ONNX Runtime contrib ops) and load only custom-op libraries from trusted sources; otherwise re-export the model with standard operators.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

export const TEMPLATE_SANDBOX_ESCAPE = defineRule({
  id: 'MODEL-TEMPLATE-001',
  domain: 'model',
  title: 'Chat template can escape the Jinja sandbox / run code',
  description:
    'A Jinja chat template (GGUF `tokenizer.chat_template`, `chat_template` in `tokenizer_config.json`, a ' +
    '`.jinja` file) reaches Python internals such as `__class__`, `__subclasses__`, `__globals__`, ' +
    '`__builtins__` or `__import__`, or names `os`, `popen`, `subprocess`, `eval` or `exec`. Loaders that ' +
    'render chat templates with an unsandboxed Jinja2 environment run such a template as code when the model ' +
    'is used (CVE-2024-34359 in llama-cpp-python; the same class in vLLM and SGLang).',
  fix: 'Do not load the model. Replace the chat template with a known-good one from the model family, and render templates only in `jinja2.sandbox.ImmutableSandboxedEnvironment`.',
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-1336', 'CWE-94'],
  owasp: ['ML06:2023'],
});

export const TEMPLATE_SUSPICIOUS = defineRule({
  id: 'MODEL-TEMPLATE-002',
  domain: 'model',
  title: 'Chat template uses obfuscated or unusual constructs',
  description:
    'A Jinja chat template uses constructs that legitimate chat templates do not need and that sandbox-escape ' +
    'payloads use to hide: `|attr` with a computed name, strings containing `__` or concatenated with `~`, ' +
    'characters built with `chr()`, or attribute access on Jinja and Flask globals (`lipsum`, `cycler`, ' +
    '`joiner`, `namespace`, `self`, `request`, `config`).',
  fix: 'Review the template by hand. Replace it with the chat template published for the model family unless every construct is understood.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-1336'],
  owasp: ['ML06:2023'],
});

export const KERAS_LAMBDA_BYTECODE = defineRule({
  id: 'MODEL-KERAS-001',
  domain: 'model',
  title: 'Keras model contains a Lambda layer with Python bytecode',
  description:
    'The config of a Keras model (a `.keras` `config.json`, an `.h5` `model_config`) serialises a Lambda function ' +
    'by value (`__lambda__` `code`, or Keras 2 `func_dump` bytecode). Keras rebuilds it with ' +
    '`marshal.loads` and runs it when the model is loaded with `safe_mode=False` or called; bypasses of ' +
    'safe_mode (CVE-2024-3660, CVE-2025-9905) run it on a plain `load_model`. The bytecode is arbitrary code.',
  fix: 'Do not load the model. Rebuild the Lambda as a registered custom layer whose code you review, or obtain the model from a trusted source; keep Keras up to date and never pass `safe_mode=False`.',
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-94', 'CWE-502'],
  owasp: ['ML06:2023'],
});

export const KERAS_UNSAFE_REFERENCE = defineRule({
  id: 'MODEL-KERAS-002',
  domain: 'model',
  title: 'Keras config references a module or function that runs code on load',
  description:
    'An object in a Keras config (`.keras` `config.json`, `.h5` `model_config`) names a `module` that runs code ' +
    'or loads native code (`os`, `subprocess`, `builtins.eval`, `importlib`, …), which Keras imports while ' +
    'deserialising (the safe_mode bypass family of CVE-2025-1550), or a Keras gadget: `keras.utils.get_file` ' +
    'downloads and writes files on load (CVE-2025-8747), `keras.config.enable_unsafe_deserialization` turns ' +
    'safe_mode off for the rest of the load (CVE-2025-9906).',
  fix: 'Do not load the model. Obtain it from a trusted source and keep Keras up to date.',
  severity: 'high',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-829', 'CWE-94'],
  owasp: ['ML06:2023'],
});

export const KERAS_CUSTOM_OBJECT = defineRule({
  id: 'MODEL-KERAS-003',
  domain: 'model',
  title: 'Keras config uses a class or function from outside Keras',
  description:
    'An object in a Keras config names a `module` outside Keras (`keras`, `keras.src.*`, `tf_keras`, ' +
    '`tensorflow.keras`), or a Keras 2 layer a class Keras does not ship: a custom layer, loss or function. Loading the ' +
    'model imports that module and runs its code, which the archive does not contain and cannot vouch for.',
  fix: 'Check that the module belongs to code you trust and have installed on purpose; otherwise do not load the model.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

export const MODEL_RULES = [
  PICKLE_DANGEROUS_CALLABLE,
  PICKLE_UNLISTED_GLOBAL,
  PICKLE_UNRESOLVED_CALLABLE,
  PICKLE_CODE_OBJECT,
  PICKLE_STREAM_ANOMALY,
  ARCHIVE_INCONSISTENT,
  POLYGLOT_FILE,
  NUMPY_OBJECT_ARRAY,
  SAFETENSORS_MALFORMED,
  ONNX_EXTERNAL_DATA_OUTSIDE,
  ONNX_CUSTOM_DOMAIN,
  TEMPLATE_SANDBOX_ESCAPE,
  TEMPLATE_SUSPICIOUS,
  KERAS_LAMBDA_BYTECODE,
  KERAS_UNSAFE_REFERENCE,
  KERAS_CUSTOM_OBJECT,
  BUNDLE_EXTRACTION_ESCAPE,
  BUNDLE_REFERENCE_OUTSIDE,
  MLFLOW_CUSTOM_LOADER,
  MLFLOW_BUNDLED_CODE,
  HF_REMOTE_CODE,
  TORCHSCRIPT_CUSTOM_NAMESPACE,
  TORCHSCRIPT_PYTHON_OP,
  TF_PYTHON_OP,
  TF_FILE_OP,
  TF_UNLISTED_OP,
] as const;
