import { defineRule } from '../../core/rule.js';

/** Rules for models shipped as more than one file: archives, MLflow model folders, Hugging Face folders. */

export const BUNDLE_EXTRACTION_ESCAPE = defineRule({
  id: 'MODEL-BUNDLE-001',
  domain: 'model',
  title: 'Archive member would be extracted outside the target folder',
  description:
    'A zip or tar archive has a member whose name is absolute (`/etc/x`, `C:\\x`) or climbs out with `..` ' +
    '(zip-slip), or a symbolic or hard link whose target lies outside the archive. Extracting the archive ' +
    '(`unzip`, `tar -x`, `shutil.unpack_archive`, `tarfile.extractall` without a filter on Python < 3.14) ' +
    'writes or links files outside the folder, which can overwrite code, shell start-up files or SSH keys. ' +
    'Model files never need such names.',
  fix: 'Do not extract the archive. If the model is needed, extract only its regular members with a filter that refuses such names (`tarfile` `filter="data"`), or obtain it again from its producer.',
  severity: 'high',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-22', 'CWE-59'],
  owasp: ['ML06:2023'],
});

export const BUNDLE_REFERENCE_OUTSIDE = defineRule({
  id: 'MODEL-BUNDLE-002',
  domain: 'model',
  title: 'Model metadata refers to a file outside the model folder',
  description:
    'A file that tells a loader which other files to read (an MLflow `MLmodel`, a Hugging Face ' +
    '`*.index.json` of sharded weights) names a path that is absolute or climbs out of the model folder with ' +
    '`..`. The loader then reads, imports or adds to `sys.path` whatever lies there, outside what was ' +
    'reviewed or scanned as the model.',
  fix: 'Do not load the model from this folder. Model folders produced by MLflow or `save_pretrained` only name files inside themselves; obtain the model again from its producer.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-22', 'CWE-829'],
  owasp: ['ML06:2023'],
});

export const MLFLOW_CUSTOM_LOADER = defineRule({
  id: 'MODEL-MLFLOW-001',
  domain: 'model',
  title: 'MLflow model loads through a custom loader module',
  description:
    'The `python_function` flavor of the `MLmodel` file names a `loader_module` that is not one of MLflow’s ' +
    'own flavour loaders (`mlflow.sklearn`, `mlflow.pytorch`, `mlflow.pyfunc.model`, …). ' +
    '`mlflow.pyfunc.load_model` imports that module and calls its `_load_pyfunc`, so loading the model runs ' +
    'whatever code the module holds, typically code shipped in the model folder.',
  fix: 'Do not load the model unless you have reviewed the loader module and the code it imports. Prefer models saved with a built-in MLflow flavour.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-94', 'CWE-829'],
  owasp: ['ML06:2023'],
});

export const MLFLOW_BUNDLED_CODE = defineRule({
  id: 'MODEL-MLFLOW-002',
  domain: 'model',
  title: 'MLflow model ships Python code that runs when it is loaded',
  description:
    'The `MLmodel` file declares code that MLflow puts on `sys.path` or executes when the model is loaded: a ' +
    '`code` folder (`code_paths=` at save time) whose modules the pickled model or the loader imports, or a ' +
    '`model_code_path` (models from code), a Python file MLflow runs to build the model. That code is not a ' +
    'model file: it is arbitrary Python and needs a code review, which a model scanner cannot give.',
  fix: 'Review the code folder or file before loading the model, as you would review a dependency; load models from untrusted sources only in an isolated environment.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-94'],
  owasp: ['ML06:2023'],
});

export const HF_REMOTE_CODE = defineRule({
  id: 'MODEL-HF-001',
  domain: 'model',
  title: 'Hugging Face config requires custom code (trust_remote_code)',
  description:
    'A Hugging Face model `config.json` (one with `architectures`, `model_type` or `auto_map`) has an ' +
    '`auto_map` that maps Auto classes to classes in Python files of the repository (`"AutoModel": ' +
    '"modeling_x.XModel"`). `from_pretrained(..., trust_remote_code=True)` downloads and imports those files, ' +
    'so loading the model runs their code.',
  fix: 'Review the named Python files (and pin the revision you reviewed) before passing `trust_remote_code=True`, or use a model whose architecture is built into `transformers`.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-94', 'CWE-829'],
  owasp: ['ML06:2023'],
});
