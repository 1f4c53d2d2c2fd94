import { LimitError, ParseError } from '../../core/errors.js';
import type { Content } from './content.js';
import { KERAS_CUSTOM_OBJECT, KERAS_LAMBDA_BYTECODE, KERAS_UNSAFE_REFERENCE } from './rules.js';
import type { Scope } from './scope.js';

/** Largest `config.json` read; real configs are kilobytes to a few megabytes. Larger ones fail closed. */
export const KERAS_CONFIG_MAX_BYTES = 64 * 1024 * 1024;
/** Nesting beyond this (real configs nest a few dozen levels) is reported unscannable rather than walked. */
const MAX_DEPTH = 256;

/**
 * Modules Keras 3 serialises its own objects under. `deserialize_keras_object` resolves these inside Keras;
 * `tf_keras` and `tensorflow.keras` are the Keras 2 packages whose configs Keras 3 still meets. Anything else
 * is imported with `importlib.import_module` (the root of the CVE-2025-1550 safe_mode bypass) or looked up as
 * a registered custom object.
 */
const KERAS_MODULE_ROOTS = ['keras', 'tf_keras', 'tensorflow.keras'];

/** `builtins` appears in Keras configs only for plain Python types; any other builtin is code. */
const PLAIN_BUILTINS = new Set([
  'int',
  'float',
  'str',
  'bool',
  'bytes',
  'complex',
  'list',
  'tuple',
  'dict',
  'set',
  'frozenset',
  'NoneType',
]);

/**
 * Module roots whose import or call runs commands, evaluates code, loads native code, or touches the network
 * or file system. A reference to any of these is MODEL-KERAS-002; other non-Keras modules are custom objects.
 */
const CODE_RUNNING_MODULES = new Set([
  'os',
  'posix',
  'nt',
  'subprocess',
  'sys',
  'builtins',
  '__builtin__',
  'importlib',
  'runpy',
  'code',
  'codeop',
  'pty',
  'shutil',
  'socket',
  'ctypes',
  'pickle',
  '_pickle',
  'marshal',
  'types',
  'multiprocessing',
  'webbrowser',
  'urllib',
  'http',
  'requests',
  'pydoc',
  'timeit',
  'platform',
  'commands',
  'dill',
  'cloudpickle',
  'joblib',
  'numpy.f2py',
  'torch.hub',
]);

/**
 * Keras functions that are gadgets even though they live inside Keras: `get_file` downloads to and writes
 * arbitrary paths (CVE-2025-8747); `enable_unsafe_deserialization` switches safe_mode off for the rest of the
 * load (CVE-2025-9906).
 */
const KERAS_GADGETS = new Set(['get_file', 'enable_unsafe_deserialization']);

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

/**
 * Strings of a marshal'd code object, for evidence only: the short ASCII string types (`z`, `Z`, with or
 * without the reference flag) followed by a one-byte length, as CPython 3.4+ writes names and small constants.
 * A heuristic scan over the bytes, never an unmarshal: it may miss or add a string, it decides nothing.
 */
export function marshalStrings(bytes: Uint8Array, max = 32): string[] {
  const found: string[] = [];
  for (let index = 0; index + 1 < bytes.length && found.length < max; index += 1) {
    const type = (bytes[index] ?? 0) & 0x7f;
    if (type !== 0x7a && type !== 0x5a) continue;
    const length = bytes[index + 1] ?? 0;
    if (length === 0 || index + 2 + length > bytes.length) continue;
    const slice = bytes.subarray(index + 2, index + 2 + length);
    if (!slice.every((byte) => byte >= 0x20 && byte < 0x7f)) continue;
    const text = Buffer.from(slice).toString('latin1');
    if (!found.includes(text)) found.push(text);
    index += 1 + length;
  }
  return found;
}

/**
 * Joins a code-running module name with the identifier marshal wrote right after it (`os`, `system` in
 * co_names → `os.system`), the usual shape of `os.system(...)` in bytecode. Evidence only.
 */
function dottedCalls(strings: readonly string[]): string[] {
  const joined: string[] = [];
  for (let index = 0; index < strings.length; index += 1) {
    const current = strings[index] ?? '';
    const next = strings[index + 1];
    if (CODE_RUNNING_MODULES.has(current) && next !== undefined && /^[A-Za-z_]\w*$/.test(next)) {
      joined.push(`${current}.${next}`);
      index += 1;
    } else {
      joined.push(current);
    }
  }
  return joined;
}

function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/=\s_-]*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

class KerasConfigWalk {
  private readonly seen = new Set<string>();
  private readonly scope: Scope;
  private readonly member: string | undefined;

  constructor(scope: Scope, member: string | undefined) {
    this.scope = scope;
    this.member = member;
  }

  private report(ruleId: string, message: string, evidence: string): void {
    const key = `${ruleId}\n${evidence}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.scope.context.report({
      ruleId,
      message,
      evidence,
      ...(this.member !== undefined && { member: this.member }),
    });
  }

  walk(value: Json, depth: number, layer: string | undefined): void {
    if (depth > MAX_DEPTH) {
      throw new LimitError('NESTING_DEPTH', `Keras config nests more than ${MAX_DEPTH} levels`);
    }
    if (typeof value === 'string') {
      this.checkString(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item, depth + 1, layer);
      return;
    }
    if (!isObject(value)) return;
    const config = value.config;
    const name = (isObject(config) ? stringAt(config, 'name') : undefined) ?? layer;
    if (stringAt(value, 'class_name') === '__lambda__' && isObject(config)) this.checkLambda(config, name);
    this.checkReference(value, name);
    for (const item of Object.values(value)) {
      this.walk(item, depth + 1, name);
    }
  }

  /** A Keras 3 by-value Lambda function: `{"class_name": "__lambda__", "config": {"code": base64 marshal}}`. */
  private checkLambda(config: { [key: string]: Json }, layer: string | undefined): void {
    const code = stringAt(config, 'code');
    if (code === undefined) return;
    const strings = dottedCalls(marshalStrings(decodeBase64(code) ?? new Uint8Array()));
    const where = layer === undefined ? 'a Lambda layer' : `Lambda layer '${layer}'`;
    this.report(
      KERAS_LAMBDA_BYTECODE.id,
      `${where} stores a Python function as marshal'd bytecode, which Keras runs when the model is loaded with safe_mode=False or called`,
      `${layer ?? '__lambda__'}${strings.length > 0 ? `: ${strings.join(', ')}` : ''}`,
    );
  }

  /** `{"module": …, "class_name": …}` (or a function: `"class_name": "function", "config": name`). */
  private checkReference(value: { [key: string]: Json }, layer: string | undefined): void {
    const module = stringAt(value, 'module');
    if (module === undefined) return;
    const className = stringAt(value, 'class_name');
    const target =
      className === 'function'
        ? (stringAt(value, 'config') ?? stringAt(value, 'registered_name') ?? className)
        : (className ?? stringAt(value, 'function_name') ?? stringAt(value, 'registered_name') ?? '');
    const reference = target === '' ? module : `${module}.${target}`;
    const where = layer === undefined ? '' : ` (layer '${layer}')`;
    if (rootIs(module, KERAS_MODULE_ROOTS)) {
      const last = target.split('>').pop() ?? target;
      if (KERAS_GADGETS.has(last)) {
        this.report(KERAS_UNSAFE_REFERENCE.id, `Config calls Keras gadget ${reference}${where}`, reference);
      }
      return;
    }
    if (module === 'builtins' && PLAIN_BUILTINS.has(target)) return;
    if (rootIs(module, CODE_RUNNING_MODULES)) {
      this.report(
        KERAS_UNSAFE_REFERENCE.id,
        `Config imports ${reference}${where}, which runs code when Keras deserialises it`,
        reference,
      );
      return;
    }
    this.report(
      KERAS_CUSTOM_OBJECT.id,
      `Config uses a class or function from outside Keras: ${reference}${where}`,
      reference,
    );
  }

  /** Dotted gadget paths anywhere in the config, including in strings (a `registered_name`, a function field). */
  private checkString(text: string): void {
    if (text.length > 1024) return;
    const match = /[.>](enable_unsafe_deserialization|get_file)$/.exec(text);
    if (match === null) return;
    if (match[1] === 'get_file' && !/(?:^|\.)utils(?:\.|>|$)|file_utils/.test(text)) return;
    this.report(KERAS_UNSAFE_REFERENCE.id, `Config names Keras gadget ${text}`, text);
  }
}

/** Parses and analyses the text of a Keras v3 `config.json`. */
export function analyseKerasConfig(scope: Scope, member: string | undefined, text: string): void {
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch (error) {
    throw new ParseError('INVALID_VALUE', `Keras config.json is not JSON: ${String(error)}`);
  }
  new KerasConfigWalk(scope, member).walk(parsed, 0, undefined);
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
  analyseKerasConfig(scope, content.member, text);
}
