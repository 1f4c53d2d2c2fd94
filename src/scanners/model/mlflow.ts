import { LimitError, ParseError } from '../../core/errors.js';
import { section, type ModelItem } from '../../core/model-part.js';
import { BUNDLE_REFERENCE_OUTSIDE, MLFLOW_BUNDLED_CODE, MLFLOW_CUSTOM_LOADER } from './bundle-rules.js';
import { FILE_SITE, memberOf, outsideModelFolder, type NamedSite } from './named-site.js';
import type { Scope } from './scope.js';

/** Largest `MLmodel` read; MLflow writes a few KiB (a signature and input example make it larger). */
export const MAX_MLMODEL_BYTES = 4 * 1024 * 1024;
/** YAML aliases expanded at most; a billion-laughs document stops here instead of exhausting memory. */
const MAX_YAML_ALIASES = 100;

/**
 * The `loader_module`s MLflow's own flavours write (`pyfunc.add_to_model(..., loader_module=...)`), from the
 * built-in flavour list of `mlflow.models` and `mlflow/pyfunc/loaders/` (MLflow 1.x to 3.x). Any other module is
 * imported by `mlflow.pyfunc.load_model` just the same.
 */
const BUILTIN_LOADERS: ReadonlySet<string> = new Set([
  'mlflow.catboost',
  'mlflow.diviner',
  'mlflow.dspy',
  'mlflow.fastai',
  'mlflow.gluon',
  'mlflow.h2o',
  'mlflow.johnsnowlabs',
  'mlflow.keras',
  'mlflow.langchain',
  'mlflow.lightgbm',
  'mlflow.llama_index',
  'mlflow.onnx',
  'mlflow.openai',
  'mlflow.paddle',
  'mlflow.pmdarima',
  'mlflow.promptflow',
  'mlflow.prophet',
  'mlflow.pyfunc.model',
  'mlflow.pyfunc.loaders.chat_agent',
  'mlflow.pyfunc.loaders.chat_model',
  'mlflow.pyfunc.loaders.code_model',
  'mlflow.pyfunc.loaders.responses_agent',
  'mlflow.pytorch',
  'mlflow.sentence_transformers',
  'mlflow.shap',
  'mlflow.sklearn',
  'mlflow.spacy',
  'mlflow.spark',
  'mlflow.statsmodels',
  'mlflow.tensorflow',
  'mlflow.transformers',
  'mlflow.xgboost',
]);

/** Flavour keys that name a file or folder of the model, which the flavour's loader opens relative to it. */
const PATH_KEYS = ['code', 'data', 'model_path', 'python_model', 'pickled_model', 'model_code_path'];

const PYFUNC = 'python_function';

type YamlRecord = Record<string, unknown>;

function isRecord(value: unknown): value is YamlRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses the YAML as MLflow's `yaml.safe_load` would accept it; anything doubtful fails closed. */
async function parseMlmodel(bytes: Uint8Array): Promise<YamlRecord> {
  if (bytes.length > MAX_MLMODEL_BYTES) {
    throw new LimitError('MEMORY', `MLmodel has ${bytes.length} bytes, more than ${MAX_MLMODEL_BYTES}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ParseError('BAD_STRUCTURE', 'MLmodel is not UTF-8 text');
  }
  // Imported here: few scans meet an MLmodel, and the YAML library would slow every worker's start.
  const { parseDocument } = await import('yaml');
  // Duplicate keys are errors (`uniqueKeys`): safe_load keeps the last one, a reviewer may read the first.
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const [error] = document.errors;
  if (error !== undefined)
    throw new ParseError('BAD_STRUCTURE', `MLmodel is not valid YAML: ${error.message}`);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (cause) {
    throw new ParseError('BAD_STRUCTURE', `MLmodel cannot be read as data: ${String(cause)}`);
  }
  if (!isRecord(value) || !isRecord(value.flavors)) {
    throw new ParseError('BAD_STRUCTURE', 'MLmodel has no `flavors` mapping');
  }
  return value;
}

/** Path values of one flavour, `artifacts.<name>.path` of a python_function flavour included. */
function flavourPaths(flavour: YamlRecord): [key: string, path: string][] {
  const paths: [string, string][] = [];
  for (const key of PATH_KEYS) {
    const value = flavour[key];
    if (typeof value === 'string') paths.push([key, value]);
  }
  if (isRecord(flavour.artifacts)) {
    for (const [name, artifact] of Object.entries(flavour.artifacts)) {
      if (isRecord(artifact) && typeof artifact.path === 'string') {
        paths.push([`artifacts.${name}.path`, artifact.path]);
      }
    }
  }
  return paths;
}

/** Reports the code-running parts of one flavour and returns the lines describing them. */
function checkFlavour(scope: Scope, site: NamedSite, name: string, flavour: YamlRecord): ModelItem[] {
  const items: ModelItem[] = [];
  const report = (ruleId: string, message: string, evidence: string): void => {
    scope.context.report({ ruleId, message, evidence, ...memberOf(site) });
  };
  if (name === PYFUNC && flavour.loader_module !== undefined) {
    const loader = flavour.loader_module;
    if (typeof loader !== 'string') {
      throw new ParseError('BAD_STRUCTURE', 'python_function loader_module is not a string');
    }
    const custom = !BUILTIN_LOADERS.has(loader);
    if (custom) {
      report(
        MLFLOW_CUSTOM_LOADER.id,
        `mlflow.pyfunc.load_model imports the custom loader module '${loader}' and calls its _load_pyfunc`,
        `loader_module: ${loader}`,
      );
    }
    items.push({ text: `loader_module: ${loader}`, ...(custom && { risk: 'high' as const }) });
  }
  for (const key of ['code', 'model_code_path']) {
    const value = flavour[key];
    if (typeof value !== 'string') continue;
    const what = key === 'code' ? 'a code folder MLflow puts on sys.path' : 'a Python file MLflow runs';
    report(
      MLFLOW_BUNDLED_CODE.id,
      `Flavour '${name}' ships ${what} when loading: '${value}'`,
      `${key}: ${value}`,
    );
    items.push({ text: `${key}: ${value}`, risk: 'medium' });
  }
  for (const [key, path] of flavourPaths(flavour)) {
    const outside = outsideModelFolder(path, site);
    if (outside === undefined) continue;
    report(
      BUNDLE_REFERENCE_OUTSIDE.id,
      `Flavour '${name}' ${key} is ${outside}: '${path}'`,
      `${key}: ${path}`,
    );
    items.push({ text: `${key}: ${path} (outside the model folder)`, risk: 'high' });
  }
  if (typeof flavour.python_model === 'string') {
    // The pickle file itself is scanned as a file of the folder (MODEL-PICKLE-*); here it is only named.
    items.push({ text: `python_model: ${flavour.python_model} (cloudpickle: code)`, risk: 'medium' });
  }
  if (typeof flavour.serialization_format === 'string') {
    items.push({ text: `serialization_format: ${flavour.serialization_format}` });
  }
  return items;
}

function stringProperty(model: YamlRecord, key: string): Record<string, string> {
  const value = model[key];
  return typeof value === 'string' || typeof value === 'number' ? { [key]: String(value) } : {};
}

/**
 * An MLflow model folder's `MLmodel` file. The files it names (pickles, weights) are files of the folder and
 * are scanned on their own; this reports what the metadata makes the loader run: a custom `loader_module`
 * (MODEL-MLFLOW-001), bundled code (MODEL-MLFLOW-002), and paths outside the model folder (MODEL-BUNDLE-002).
 * `site` says where it was read: the file on disk, or an archive member whose label findings and parts carry.
 */
export async function scanMlmodel(
  scope: Scope,
  bytes: Uint8Array,
  site: NamedSite = FILE_SITE,
): Promise<void> {
  const model = await parseMlmodel(bytes);
  const flavours = isRecord(model.flavors) ? model.flavors : {};
  const items: ModelItem[] = [];
  for (const [name, flavour] of Object.entries(flavours)) {
    scope.context.checkDeadline();
    if (!isRecord(flavour)) continue;
    for (const item of checkFlavour(scope, site, name, flavour))
      items.push({ ...item, text: `${name}.${item.text}` });
  }
  const names = Object.keys(flavours);
  const framework = names.find((name) => name !== PYFUNC) ?? (names.includes(PYFUNC) ? 'pyfunc' : undefined);
  const pyfunc = flavours[PYFUNC];
  const serialization = Object.values(flavours)
    .map((flavour) => (isRecord(flavour) ? flavour.serialization_format : undefined))
    .find((format): format is string => typeof format === 'string');
  scope.describe({
    ...memberOf(site),
    format: 'mlflow',
    ...(framework !== undefined && { framework }),
    properties: {
      flavors: names.join(', '),
      ...stringProperty(model, 'mlflow_version'),
      ...stringProperty(model, 'run_id'),
      ...(isRecord(pyfunc) &&
        typeof pyfunc.loader_module === 'string' && { loader_module: pyfunc.loader_module }),
      ...(serialization !== undefined && { serialization_format: serialization }),
    },
    ...(scope.detail && { sections: [section('MLmodel flavours', items)] }),
  });
}
