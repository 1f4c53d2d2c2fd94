import { LimitError, ParseError } from '../../core/errors.js';
import { section, type ModelItem } from '../../core/model-part.js';
import { severityRank } from '../../core/severity.js';
import type { Content } from './content.js';
import { describeLambdaCode } from './keras-bytecode.js';
import {
  CODE_RUNNING_MODULES,
  KERAS_GADGETS,
  KERAS_MODULE_ROOTS,
  PLAIN_BUILTINS,
  isBuiltinLayerClass,
} from './keras-names.js';
import { KERAS_CUSTOM_OBJECT, KERAS_LAMBDA_BYTECODE, KERAS_UNSAFE_REFERENCE } from './rules.js';
import type { Scope } from './scope.js';

/** Largest `config.json` read; real configs are kilobytes to a few megabytes. Larger ones fail closed. */
export const KERAS_CONFIG_MAX_BYTES = 64 * 1024 * 1024;
/** Nesting beyond this (real configs nest a few dozen levels) is reported unscannable rather than walked. */
const MAX_DEPTH = 256;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringAt(value: { [key: string]: Json }, key: string): string | undefined {
  const found = value[key];
  return typeof found === 'string' ? found : undefined;
}

function rootIs(module: string, roots: Iterable<string>): boolean {
  for (const root of roots) if (module === root || module.startsWith(`${root}.`)) return true;
  return false;
}

function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/=\s_-]*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * Where a config comes from: a `.keras` archive's `config.json`, the `model_config` of a Keras `.h5` file, or the
 * layer metadata of a Keras 2 SavedModel (`keras_metadata.pb`). It decides which CVEs a finding names.
 */
export type KerasConfigSource = 'keras-v3' | 'keras-h5' | 'keras-savedmodel';

/** One layer of the walked config, for `inspect`: class, name and the worst severity reported inside it. */
export interface KerasLayerSummary {
  readonly className: string;
  readonly name: string | undefined;
  risk?: KerasRule['severity'];
}

type KerasRule = typeof KERAS_LAMBDA_BYTECODE | typeof KERAS_UNSAFE_REFERENCE | typeof KERAS_CUSTOM_OBJECT;

/** What the walk learnt besides its findings. */
export interface KerasConfigSummary {
  /** The outermost `class_name` (`Sequential`, `Functional`, a custom model class, …). */
  readonly modelClass: string | undefined;
  readonly layers: readonly KerasLayerSummary[];
}

/** Keys under which wrappers (`TimeDistributed`, `Bidirectional`) keep the layer they wrap. */
const WRAPPED_LAYER_KEYS = new Set(['layer', 'forward_layer', 'backward_layer', 'cell']);

/**
 * Keras 2 `Lambda.get_config` writes each function (the layer's `function` and its `output_shape`) as three keys:
 * the value, its type (`lambda`: `func_dump` output `[base64 marshal, defaults, closure]`; `function`: a name
 * looked up in the custom objects; `raw`) and the module whose globals the rebuilt lambda sees.
 */
const KERAS2_FUNCTION_KEYS = [
  { value: 'function', type: 'function_type', module: 'module' },
  { value: 'output_shape', type: 'output_shape_type', module: 'output_shape_module' },
] as const;

const LAMBDA_CVES: Record<KerasConfigSource, string> = {
  // Keras < 2.13 runs the bytecode on load; Keras 3 < 3.11.3 ignores safe_mode for `.h5` files.
  'keras-h5': 'CVE-2024-3660, CVE-2025-9905',
  'keras-v3': 'CVE-2024-3660',
  'keras-savedmodel': 'CVE-2024-3660',
};

class KerasConfigWalk {
  private readonly seen = new Set<string>();
  private readonly scope: Scope;
  private readonly member: string | undefined;
  private readonly source: KerasConfigSource;
  readonly layers: KerasLayerSummary[] = [];

  constructor(scope: Scope, member: string | undefined, source: KerasConfigSource) {
    this.scope = scope;
    this.member = member;
    this.source = source;
  }

  private report(
    rule: KerasRule,
    message: string,
    evidence: string,
    layer: KerasLayerSummary | undefined,
  ): void {
    if (
      layer !== undefined &&
      (layer.risk === undefined || severityRank(rule.severity) > severityRank(layer.risk))
    ) {
      layer.risk = rule.severity;
    }
    const key = `${rule.id}\n${evidence}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.scope.context.report({
      ruleId: rule.id,
      message,
      evidence,
      ...(this.member !== undefined && { member: this.member }),
    });
  }

  /** `isLayer`: the value sits where Keras expects a layer (a `layers` list, a wrapper's `layer`). */
  walk(value: Json, depth: number, layer: KerasLayerSummary | undefined, isLayer = false): void {
    if (depth > MAX_DEPTH) {
      throw new LimitError('NESTING_DEPTH', `Keras config nests more than ${MAX_DEPTH} levels`);
    }
    if (typeof value === 'string') {
      this.checkString(value, layer);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item, depth + 1, layer, isLayer);
      return;
    }
    if (!isObject(value)) return;
    const config = value.config;
    const className = stringAt(value, 'class_name');
    let current = layer;
    if ((isLayer || depth === 0) && className !== undefined) {
      current = { className, name: isObject(config) ? stringAt(config, 'name') : undefined };
      // The outermost object is the model itself, summarised as its class.
      if (depth > 0) this.layers.push(current);
      this.checkLayerClass(value, className, current);
    }
    if (className === '__lambda__' && isObject(config)) this.checkLambda(stringAt(config, 'code'), current);
    if (typeof value.function_type === 'string') this.checkKeras2Functions(value, current);
    else this.checkReference(value, current);
    for (const [key, item] of Object.entries(value)) {
      const holdsLayers = (key === 'layers' && Array.isArray(item)) || WRAPPED_LAYER_KEYS.has(key);
      this.walk(item, depth + 1, current, holdsLayers);
    }
  }

  private where(layer: KerasLayerSummary | undefined): string {
    return layer?.name === undefined ? '' : ` (layer '${layer.name}')`;
  }

  /** A function stored as base64 marshal'd bytecode: Keras 3 `__lambda__` `code`, Keras 2 `func_dump`. */
  private checkLambda(code: string | undefined, layer: KerasLayerSummary | undefined): void {
    if (code === undefined) return;
    const account = describeLambdaCode(decodeBase64(code) ?? new Uint8Array());
    const where = layer?.name === undefined ? 'a Lambda layer' : `Lambda layer '${layer.name}'`;
    this.report(
      KERAS_LAMBDA_BYTECODE,
      `${where} stores a Python function as marshal'd bytecode, which Keras runs when the model is loaded with safe_mode=False or called (${LAMBDA_CVES[this.source]})`,
      `${layer?.name ?? '__lambda__'}${account === undefined ? '' : `: ${account}`}`,
      layer,
    );
  }

  /** Keras 2 Lambda functions (see {@link KERAS2_FUNCTION_KEYS}). */
  private checkKeras2Functions(value: { [key: string]: Json }, layer: KerasLayerSummary | undefined): void {
    for (const keys of KERAS2_FUNCTION_KEYS) {
      const stored = value[keys.value];
      const type = stringAt(value, keys.type);
      const module = stringAt(value, keys.module);
      if (type === 'lambda') {
        const code = Array.isArray(stored) ? stored[0] : stored;
        this.checkLambda(typeof code === 'string' ? code : undefined, layer);
        // The rebuilt lambda runs with that module's globals: `system(...)` needs no import under `os`.
        if (module !== undefined && rootIs(module, CODE_RUNNING_MODULES)) {
          this.report(
            KERAS_UNSAFE_REFERENCE,
            `Lambda bytecode runs with the globals of module ${module}${this.where(layer)}`,
            module,
            layer,
          );
        }
      } else if (type === 'function' && typeof stored === 'string') {
        this.judgeReference(module, stored, layer);
      }
    }
  }

  /** `{"module": …, "class_name": …}` (or a function: `"class_name": "function", "config": name`). */
  private checkReference(value: { [key: string]: Json }, layer: KerasLayerSummary | undefined): void {
    const module = stringAt(value, 'module');
    if (module === undefined) return;
    const className = stringAt(value, 'class_name');
    const target =
      className === 'function'
        ? (stringAt(value, 'config') ?? stringAt(value, 'registered_name') ?? className)
        : (className ?? stringAt(value, 'function_name') ?? stringAt(value, 'registered_name') ?? '');
    this.judgeReference(module, target, layer);
  }

  /** Judges `module.target`; a bare `target` (no module) is a name Keras looks up among custom objects. */
  private judgeReference(
    module: string | undefined,
    target: string,
    layer: KerasLayerSummary | undefined,
  ): void {
    const reference = module === undefined ? target : target === '' ? module : `${module}.${target}`;
    const where = this.where(layer);
    if (module === undefined || rootIs(module, KERAS_MODULE_ROOTS)) {
      const last = target.split(/[>.]/).pop() ?? target;
      if (KERAS_GADGETS.has(last)) this.reportGadget(reference, last, layer);
      return;
    }
    if (module === 'builtins' && PLAIN_BUILTINS.has(target)) return;
    if (rootIs(module, CODE_RUNNING_MODULES)) {
      const cve = this.source === 'keras-v3' ? ' (CVE-2025-1550)' : '';
      this.report(
        KERAS_UNSAFE_REFERENCE,
        `Config imports ${reference}${where}, which runs code when Keras deserialises it${cve}`,
        reference,
        layer,
      );
      return;
    }
    this.report(
      KERAS_CUSTOM_OBJECT,
      `Config uses a class or function from outside Keras: ${reference}${where}`,
      reference,
      layer,
    );
  }

  private reportGadget(reference: string, gadget: string, layer: KerasLayerSummary | undefined): void {
    const cve = gadget === 'get_file' ? 'CVE-2025-8747' : 'CVE-2025-9906';
    this.report(
      KERAS_UNSAFE_REFERENCE,
      `Config calls Keras gadget ${reference}${this.where(layer)} (${cve})`,
      reference,
      layer,
    );
  }

  /**
   * A layer saved without a `module` (the Keras 2 format of `.h5` files) is resolved by class name: a name that
   * is not a built-in layer, or a registered `package>Name`, is a custom object the caller must supply.
   */
  private checkLayerClass(value: { [key: string]: Json }, className: string, layer: KerasLayerSummary): void {
    if (stringAt(value, 'module') !== undefined || isBuiltinLayerClass(className)) return;
    // Keras 3 saves a class registered with register_keras_serializable as `"module": null` with its
    // registered name (`package>Name`), which names the package to look for.
    const reference = stringAt(value, 'registered_name') ?? className;
    this.report(
      KERAS_CUSTOM_OBJECT,
      `Layer class ${reference}${this.where(layer)} is not a built-in Keras layer; loading resolves it from custom objects or a registered package`,
      reference,
      layer,
    );
  }

  /** Dotted gadget paths anywhere in the config, including in strings (a `registered_name`, a function field). */
  private checkString(text: string, layer: KerasLayerSummary | undefined): void {
    if (text.length > 1024) return;
    const match = /[.>](enable_unsafe_deserialization|get_file)$/.exec(text);
    if (match === null) return;
    const gadget = match[1] ?? '';
    if (gadget === 'get_file' && !/(?:^|\.)utils(?:\.|>|$)|file_utils/.test(text)) return;
    this.reportGadget(text, gadget, layer);
  }
}

/** The walked layers as `inspect` lines (`Dense 'dense'`), risky ones marked. */
export function kerasLayerItems(summary: KerasConfigSummary): ModelItem[] {
  return summary.layers.map((layer) => ({
    text: layer.name === undefined ? layer.className : `${layer.className} '${layer.name}'`,
    ...(layer.risk !== undefined && { risk: layer.risk }),
  }));
}

/** Parses and analyses the text of a Keras config (`config.json`, or an `.h5` file's `model_config`). */
export function analyseKerasConfig(
  scope: Scope,
  member: string | undefined,
  text: string,
  source: KerasConfigSource = 'keras-v3',
): KerasConfigSummary {
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch (error) {
    throw new ParseError('INVALID_VALUE', `Keras config is not JSON: ${String(error)}`);
  }
  const walk = new KerasConfigWalk(scope, member, source);
  walk.walk(parsed, 0, undefined);
  const modelClass = isObject(parsed) ? stringAt(parsed, 'class_name') : undefined;
  return { modelClass, layers: walk.layers };
}

/** Reads a `.keras` archive's `config.json` member (bounded) and analyses it. */
export async function scanKerasConfig(scope: Scope, content: Content): Promise<void> {
  if (content.size !== undefined && content.size > KERAS_CONFIG_MAX_BYTES) {
    throw new LimitError(
      'MEMORY',
      `Keras config.json has ${content.size} bytes, more than the ${KERAS_CONFIG_MAX_BYTES} that are analysed`,
    );
  }
  const bytes = await content.reader.take(KERAS_CONFIG_MAX_BYTES + 1);
  if (bytes.length > KERAS_CONFIG_MAX_BYTES) {
    throw new LimitError('MEMORY', `Keras config.json is larger than ${KERAS_CONFIG_MAX_BYTES} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ParseError('INVALID_VALUE', 'Keras config.json is not UTF-8');
  }
  const summary = analyseKerasConfig(scope, content.member, text, 'keras-v3');
  scope.describe({
    ...(content.member !== undefined && { member: content.member }),
    format: 'keras-config',
    framework: 'keras',
    properties: {
      ...(summary.modelClass !== undefined && { model_class: summary.modelClass }),
      layers: String(summary.layers.length),
    },
    ...(scope.detail && { sections: [section('layers', kerasLayerItems(summary))] }),
  });
}
