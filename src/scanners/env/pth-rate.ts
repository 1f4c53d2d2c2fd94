import type { Node } from 'web-tree-sitter';
import { collectFacts } from '../code/collect.js';
import { parsePython } from '../code/parser.js';
import { constantOf, qualifiedNames } from '../code/resolve.js';
import type { Scope } from '../code/scopes.js';

/**
 * Rates one executable `.pth` line by what its code calls, resolved to qualified names by the code scanner's
 * parser and scopes (so `from os import system as s; s(…)` and `__import__('os').system(…)` are both `os.system`).
 */
export interface LineRating {
  /** What makes the line critical, e.g. `builtins.exec (runs dynamically built code)`; empty for a plain import. */
  readonly dangers: readonly string[];
  /** The modules the line imports, statically or through `__import__('x')`. */
  readonly modules: readonly string[];
}

const DANGEROUS: readonly (readonly [RegExp, string])[] = [
  [/^builtins\.(exec|eval|compile|execfile)$/, 'runs dynamically built code'],
  [/^(base64|binascii)\.\w*(decode|a2b|unhexlify)\w*$/, 'decodes hidden data'],
  [/^(zlib|gzip|bz2|lzma)\.decompress\w*$/, 'decompresses hidden data'],
  [/^marshal\.loads?$/, 'loads marshalled code'],
  [/^codecs\.(decode|getdecoder|lookup|iterdecode)$/, 'decodes hidden data'],
  [/^(pickle|_pickle|cPickle|dill|cloudpickle)\.loads?$/, 'unpickles data'],
  [/^(subprocess|pty|commands|popen2|multiprocessing)\.\w+/, 'starts a process'],
  [/^os\.(system|popen\w*|exec\w+|spawn\w+|posix_spawnp?|fork\w*|startfile|kill)$/, 'starts a process'],
  [/^(socket|ssl|telnetlib|ftplib|smtplib|asyncio\.open_connection)\b/, 'opens a network connection'],
  [/^(urllib|urllib2|urllib3|http|httplib|requests|httpx|aiohttp)\.\w+/, 'makes an HTTP request'],
  [/^os\.(getenv|getenvb|environ|environb)\b/, 'reads the environment'],
  [/^os\.(write|rename|replace|remove|unlink|makedirs|mkdir|chmod|symlink)$/, 'writes files'],
  [/^shutil\.(copy\w*|move|rmtree)$/, 'writes files'],
  [/^pathlib\.\w+\(\)\.(write_text|write_bytes|touch|mkdir)$/, 'writes files'],
  [/^ctypes\.\w+/, 'loads native code'],
];

function dangerOf(name: string): string | undefined {
  const found = DANGEROUS.find(([pattern]) => pattern.test(name));
  return found === undefined ? undefined : `${name} (${found[1]})`;
}

/** `__import__('a.b')` denotes `a`; `importlib.import_module('a.b')` denotes `a.b`. */
function dynamicImport(call: Node, scope: Scope): string | undefined {
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

function namesOf(node: Node, scope: Scope): string[] {
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

function importedModules(root: Node): string[] {
  const modules: string[] = [];
  for (const statement of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (statement === null) continue;
    if (statement.type === 'import_from_statement') {
      const module = statement.childForFieldName('module_name');
      if (module !== null) modules.push(module.text);
      continue;
    }
    for (const name of statement.childrenForFieldName('name')) {
      if (name === null) continue;
      const dotted = name.type === 'aliased_import' ? name.childForFieldName('name') : name;
      if (dotted !== null) modules.push(dotted.text);
    }
  }
  return modules;
}

export async function rateExecLine(code: string, checkDeadline: () => void): Promise<LineRating> {
  const tree = await parsePython(code);
  try {
    const root = tree.rootNode;
    const facts = collectFacts(root, checkDeadline, new Set(['attribute']));
    const dangers = new Set<string>();
    const modules = new Set(importedModules(root));
    for (const { node, scope } of facts.calls) {
      const callee = node.childForFieldName('function');
      if (callee === null) continue;
      const dynamic = dynamicImport(node, scope);
      if (dynamic !== undefined) modules.add(dynamic);
      for (const name of namesOf(callee, scope)) {
        const danger = dangerOf(name);
        if (danger !== undefined) dangers.add(danger);
        if (name === 'builtins.open' && opensForWriting(node, scope))
          dangers.add('builtins.open (writes files)');
      }
    }
    for (const { node, scope } of facts.nodes) {
      for (const name of namesOf(node, scope)) {
        if (name === 'os.environ' || name === 'os.environb') dangers.add(`${name} (reads the environment)`);
      }
    }
    return { dangers: [...dangers], modules: [...modules] };
  } finally {
    tree.delete();
  }
}
