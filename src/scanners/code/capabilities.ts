import type { Node } from 'web-tree-sitter';
import { collectFacts } from './collect.js';
import { constantOf, qualifiedNames } from './resolve.js';
import type { Scope } from './scopes.js';

/**
 * What code can do, in GuardDog's sense. Ordinary libraries do all of these; they matter where code runs
 * unasked (a `.pth` line, `sitecustomize`, `setup.py`) or together with a threat indicator (the package risk score).
 */
export type Capability =
  | 'dynamic-code'
  | 'decoding'
  | 'deserialisation'
  | 'process'
  | 'network'
  | 'environment'
  | 'file-write'
  | 'native-code'
  | 'clipboard';

const CALL_CAPABILITIES: readonly (readonly [RegExp, Capability, string])[] = [
  [/^builtins\.(exec|eval|compile|execfile)$/, 'dynamic-code', 'runs dynamically built code'],
  [/^(base64|binascii)\.\w*(decode|a2b|unhexlify)\w*$/, 'decoding', 'decodes hidden data'],
  [/^(zlib|gzip|bz2|lzma)\.decompress\w*$/, 'decoding', 'decompresses hidden data'],
  [/^codecs\.(decode|getdecoder|lookup|iterdecode)$/, 'decoding', 'decodes hidden data'],
  [/^marshal\.loads?$/, 'deserialisation', 'loads marshalled code'],
  [/^(pickle|_pickle|cPickle|dill|cloudpickle)\.loads?$/, 'deserialisation', 'unpickles data'],
  [/^(subprocess|pty|commands|popen2|multiprocessing)\.\w+/, 'process', 'starts a process'],
  [
    /^os\.(system|popen\w*|exec\w+|spawn\w+|posix_spawnp?|fork\w*|startfile|kill)$/,
    'process',
    'starts a process',
  ],
  [
    /^(socket|ssl|telnetlib|ftplib|smtplib|asyncio\.open_connection)\b/,
    'network',
    'opens a network connection',
  ],
  [/^(urllib|urllib2|urllib3|http|httplib|requests|httpx|aiohttp)\.\w+/, 'network', 'makes an HTTP request'],
  [/^os\.(getenv|getenvb|environ|environb)\b/, 'environment', 'reads the environment'],
  [/^os\.(write|rename|replace|remove|unlink|makedirs|mkdir|chmod|symlink)$/, 'file-write', 'writes files'],
  [/^shutil\.(copy\w*|move|rmtree)$/, 'file-write', 'writes files'],
  [/^pathlib\.\w+\(\)\.(write_text|write_bytes|touch|mkdir)$/, 'file-write', 'writes files'],
  [/^ctypes\.\w+/, 'native-code', 'loads native code'],
  [/^(pyperclip|clipboard|win32clipboard|pyclip|xerox)\.\w+/, 'clipboard', 'accesses the clipboard'],
  [/^tkinter\.\w+\(\)\.clipboard_(get|append)$/, 'clipboard', 'accesses the clipboard'],
];

export interface CapabilityUse {
  readonly capability: Capability;
  /** The qualified name that gives the capability, e.g. `os.system`. */
  readonly name: string;
  /** What the call does, e.g. `starts a process`. */
  readonly description: string;
  /** The call or attribute that was seen. */
  readonly node: Node;
}

/** The capability a call to the qualified name `name` gives, if any. */
export function capabilityOfName(name: string): { capability: Capability; description: string } | undefined {
  const found = CALL_CAPABILITIES.find(([pattern]) => pattern.test(name));
  return found === undefined ? undefined : { capability: found[1], description: found[2] };
}

/** `__import__('a.b')` denotes `a`; `importlib.import_module('a.b')` denotes `a.b`. */
export function dynamicImport(call: Node, scope: Scope): string | undefined {
  const callee = call.childForFieldName('function');
  const argument = call.childForFieldName('arguments')?.namedChildren[0];
  if (callee === null || argument === undefined || argument === null) return undefined;
  const names = qualifiedNames(callee, scope);
  const value = constantOf(argument, scope);
  if (value?.kind !== 'string') return undefined;
  if (names.includes('builtins.__import__')) return value.value.split('.')[0];
  if (names.includes('importlib.import_module')) return value.value;
  return undefined;
}

/** The names of an attribute chain rooted at a dynamic import: `__import__('os').system` → `os.system`. */
function dynamicNames(node: Node, scope: Scope): string[] {
  if (node.type === 'call') {
    const module = dynamicImport(node, scope);
    return module === undefined ? [] : [module];
  }
  if (node.type !== 'attribute') return [];
  const object = node.childForFieldName('object');
  const attribute = node.childForFieldName('attribute');
  if (object === null || attribute === null) return [];
  return dynamicNames(object, scope).map((name) => `${name}.${attribute.text}`);
}

/** Static and dynamic-import names of a callee or attribute. */
export function namesOf(node: Node, scope: Scope): string[] {
  return [...qualifiedNames(node, scope), ...dynamicNames(node, scope)];
}

/** `open(p, 'w')`, or with a mode that is not a constant: writing cannot be ruled out. */
function opensForWriting(call: Node, scope: Scope): boolean {
  const args = call.childForFieldName('arguments')?.namedChildren ?? [];
  let mode: Node | undefined;
  for (const [index, arg] of args.entries()) {
    if (arg === null) continue;
    if (arg.type === 'keyword_argument') {
      if (arg.childForFieldName('name')?.text === 'mode') mode = arg.childForFieldName('value') ?? undefined;
    } else if (index === 1) mode = arg;
  }
  if (mode === undefined) return false;
  const value = constantOf(mode, scope);
  return value?.kind !== 'string' || /[wax+]/.test(value.value);
}

export interface CapabilityScan {
  readonly uses: readonly CapabilityUse[];
  /** Modules imported dynamically (`__import__('x')`, `importlib.import_module('x')`). */
  readonly dynamicImports: readonly string[];
}

/**
 * Every capability the code in `root` uses: calls resolved to qualified names (aliases and `__import__('os')`
 * chains included), `open` for writing, and reads of `os.environ`.
 */
export function capabilityUses(root: Node, checkDeadline: () => void): CapabilityScan {
  const facts = collectFacts(root, checkDeadline, new Set(['attribute']));
  const uses: CapabilityUse[] = [];
  const dynamicImports: string[] = [];
  for (const { node, scope } of facts.calls) {
    const callee = node.childForFieldName('function');
    if (callee === null) continue;
    const dynamic = dynamicImport(node, scope);
    if (dynamic !== undefined) dynamicImports.push(dynamic);
    for (const name of namesOf(callee, scope)) {
      const found = capabilityOfName(name);
      if (found !== undefined) uses.push({ ...found, name, node });
      if (name === 'builtins.open' && opensForWriting(node, scope)) {
        uses.push({ capability: 'file-write', description: 'writes files', name, node });
      }
    }
  }
  for (const { node, scope } of facts.nodes) {
    for (const name of namesOf(node, scope)) {
      if (name === 'os.environ' || name === 'os.environb') {
        uses.push({ capability: 'environment', description: 'reads the environment', name, node });
      }
    }
  }
  return { uses, dynamicImports };
}
