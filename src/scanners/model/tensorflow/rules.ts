import { defineRule } from '../../../core/rule.js';

export const TF_PYTHON_OP = defineRule({
  id: 'MODEL-TF-001',
  domain: 'model',
  title: 'TensorFlow graph calls back into Python',
  description:
    'A graph or function of the SavedModel uses `PyFunc`, `PyFuncStateless` or `EagerPyFunc` (what ' +
    '`tf.numpy_function` and `tf.py_function` compile to). These ops run a Python callable of the process that ' +
    'executes the graph, outside everything TensorFlow can check; a model meant for serving has no use for them, ' +
    'and the usual reason to ship one is to run code where the model is loaded.',
  fix: 'Do not load or serve the model. Obtain it from a trusted source, or re-export it with the Python parts rewritten as TensorFlow ops.',
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-94'],
  owasp: ['ML06:2023', 'ML10:2023'],
});

export const TF_FILE_OP = defineRule({
  id: 'MODEL-TF-002',
  domain: 'model',
  title: 'TensorFlow graph reads, writes or lists files',
  description:
    'A graph or function of the SavedModel uses an op that touches the file system, or a remote file system ' +
    'through a URL (`gs://`, `s3://`, `hdfs://`): `ReadFile`, `WriteFile`, `MatchingFiles`, whole-file and record ' +
    'readers, summary and debug writers, or `PrintV2` printing to a `file://` stream. The graph runs these with ' +
    'the rights of the serving process whenever a signature is called, which can leak files into outputs or ' +
    'plant files that run later. The checkpoint ops every SavedModel has (`SaveV2`, `RestoreV2`, ' +
    '`MergeV2Checkpoints`) are not reported.',
  fix: 'Check what the op reads or writes (the path is usually a constant in the same function). Keep file handling outside the model, feeding it tensors; do not serve a model from an untrusted source that writes files.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-73', 'CWE-200'],
  owasp: ['ML06:2023'],
});

export const TF_UNLISTED_OP = defineRule({
  id: 'MODEL-TF-003',
  domain: 'model',
  title: 'TensorFlow graph uses an op outside the standard op set',
  description:
    'A node names an op that TensorFlow does not register (the allowlist is every op of the TensorFlow release ' +
    'it was generated from) and that is no function of the graph library. Running the model then needs a ' +
    'custom-op library (`tf.load_op_library`), native code that the model owner ships and that runs with the ' +
    'rights of the serving process. Models saved by a newer TensorFlow may also use ops added since.',
  fix: 'Find out which library provides the op and whether you trust it; otherwise re-export the model with standard ops. If the op is new in TensorFlow, regenerate the allowlist.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});
