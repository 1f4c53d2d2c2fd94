import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeMatch, Site } from '../../code/call-site.js';
import { namesOf } from '../../code/capabilities.js';
import type { NodeRule, RuleFamily } from '../../code/node-site.js';
import type { Scope } from '../../code/scopes.js';
import { calleeNames, decodingOf, foldString, positionalArguments, type FoldedString } from './decoding.js';
import { PKG_OBF_003, packedCodeCheck } from './packed-code.js';

export const PKG_OBF_001 = defineRule({
  id: 'PKG-OBF-001',
  domain: 'package',
  title: 'decoded or decompressed data is executed',
  description:
    'Code that is base64/base32/base85/hex decoded, decompressed (zlib, gzip, bz2, lzma), unmarshalled, rot13-ed, ' +
    'rebuilt from character codes or reversed, and then handed to exec/eval/compile, `types.FunctionType` or a ' +
    'shell. Packages hide their real behaviour this way so that a reader (or a scanner) sees only a blob.',
  fix: 'Do not install the package. If it is your own, ship the code in clear text; nothing legitimate in a published package needs to execute an encoded payload.',
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-506', 'CWE-95'],
  owasp: ['ML06:2023'],
});

export const PKG_OBF_002 = defineRule({
  id: 'PKG-OBF-002',
  domain: 'package',
  title: 'dangerous module or function reached through a hidden name',
  description:
    'Names of dangerous modules and functions built at run time so that they never appear in the text: ' +
    '`__import__`/`importlib.import_module` or `getattr` with names assembled from pieces, reversed or decoded, ' +
    '`__builtins__["exec"]`-style lookups of builtins, `__import__("os").system(…)` chains, and `os`, ' +
    '`subprocess`, `socket` and similar modules imported under another name in setup.py.',
  fix: 'Review what the hidden name resolves to (the finding shows it when it can be worked out). Published code has no reason to hide which function it calls; do not install a package that does.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-506', 'CWE-470'],
  owasp: ['ML06:2023'],
});

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

function short(name: string): string {
  return name.replace(/^(?:builtins|__builtin__)\./, '');
}

/** Calls that run their first argument as Python code, or as a command. */
const CODE_RUNNERS = /^(?:builtins\.(?:exec|eval|compile|execfile)|types\.FunctionType)$/;
const COMMAND_RUNNERS =
  /^(?:os\.(?:system|popen\d?|exec\w+|spawn\w+)|subprocess\.(?:Popen|call|run|check_call|check_output|getoutput|getstatusoutput)|commands\.getoutput)$/;

function runnerOf(call: Node, scope: Scope): string | undefined {
  return calleeNames(call, scope).find((name) => CODE_RUNNERS.test(name) || COMMAND_RUNNERS.test(name));
}

/** The argument a runner executes: the first positional one, or `source`/`args`/`command` by keyword. */
function executedArgument(call: Node): Node | undefined {
  const [first] = positionalArguments(call);
  if (first !== undefined) return first;
  for (const argument of call.childForFieldName('arguments')?.namedChildren ?? []) {
    if (argument?.type !== 'keyword_argument') continue;
    if (/^(?:source|args|command|cmd|code)$/.test(argument.childForFieldName('name')?.text ?? ''))
      return argument.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

/** The call this one is the executed argument of, when that one is a runner too: report the outer call only. */
function insideRunner(call: Node, scope: Scope): boolean {
  const list = call.parent;
  const outer = list?.type === 'argument_list' ? list.parent : null;
  return (
    outer?.type === 'call' && executedArgument(outer)?.id === call.id && runnerOf(outer, scope) !== undefined
  );
}

function decodedExecution(node: Node, site: Site): CodeMatch | undefined {
  let runner: string | undefined;
  let argument: Node | undefined;
  if (node.type === 'exec_statement') {
    runner = 'exec';
    argument = node.childForFieldName('code') ?? undefined;
  } else {
    runner = runnerOf(node, site.scope);
    if (runner === undefined || insideRunner(node, site.scope)) return undefined;
    argument = executedArgument(node);
  }
  if (argument === undefined) return undefined;
  const decoding = decodingOf(argument, site.scope);
  if (decoding === undefined) return undefined;
  // `exec(marshal.loads(data))` of data read at run time is how frozen-app loaders (PyInstaller) run their archive.
  if (!decoding.embedded && decoding.how === 'marshal.loads') return undefined;
  const what = COMMAND_RUNNERS.test(runner) ? 'as a shell command' : 'as Python code';
  const from = decoding.line === lineOf(node) ? '' : ` (line ${decoding.line})`;
  if (decoding.embedded)
    return {
      message: `${short(runner)} runs ${what} a payload embedded in the source and recovered with ${decoding.how}${from}`,
    };
  return {
    message: `${short(runner)} runs ${what} data recovered with ${decoding.how}${from}`,
    severity: 'high',
    confidence: 'medium',
  };
}

export const decodedExecutionCheck: NodeRule = {
  rule: PKG_OBF_001,
  nodes: ['call', 'exec_statement'],
  // A runner and a decoding must both appear; anchored, so each lookahead scans the text once.
  textHint:
    /^(?=[\s\S]*?(?:exec|eval|compile|functiontype|system|popen|spawn|subprocess|getoutput))[\s\S]*?(?:decode|decompress|fromhex|unhexlify|a2b_|marshal|chr|::-1|bytes|rot)/,
  check: decodedExecution,
};

/** Modules whose functions run code, commands, native code or reach the network. */
const DANGEROUS_MODULES = new Set([
  'os',
  'posix',
  'nt',
  'subprocess',
  'commands',
  'pty',
  'socket',
  'ctypes',
  'builtins',
  '__builtin__',
  'base64',
  'marshal',
  'zlib',
  'pickle',
  'urllib',
  'urllib.request',
  'urllib2',
  'requests',
  'http.client',
  'httplib',
  'shutil',
  'webbrowser',
  'importlib',
  'win32api',
  'winreg',
  '_winreg',
]);
const DANGEROUS_ATTRIBUTES =
  /^(?:system|popen\d?|exec\w*|eval|compile|spawn\w*|Popen|call|run|check_output|check_call|getoutput|getstatusoutput|socket|connect|urlopen|urlretrieve|loads|b64decode|decompress|__import__|import_module|CDLL|WinDLL|LoadLibrary\w*|getattr|remove|unlink|rmtree|chmod|fork|kill|startfile|post|put|system32)$/;
const DANGEROUS_BUILTINS = /^(?:exec|eval|compile|execfile|__import__|getattr|open|input)$/;

/** The hidden name an argument evaluates to: folded when possible, else the decoding step it goes through. */
function hiddenName(
  argument: Node,
  scope: Scope,
  dangerous: (name: string) => boolean,
): { readonly name?: string; readonly how: string } | undefined {
  const folded: FoldedString | undefined = foldString(argument, scope);
  if (folded !== undefined) {
    if (!folded.hidden) return undefined;
    const decoded = decodingOf(argument, scope);
    if (dangerous(folded.value) || decoded !== undefined)
      return { name: folded.value, how: decoded?.how ?? 'pieces joined at run time' };
    return undefined;
  }
  const decoded = decodingOf(argument, scope);
  return decoded === undefined ? undefined : { how: decoded.how };
}

function printable(name: string): string {
  const clean = name.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
}

function isBuiltinsObject(node: Node, scope: Scope): boolean {
  const text = node.text.replace(/\s+/g, '');
  if (text === '__builtins__' || text === '__builtins__.__dict__') return true;
  if (/^vars\((?:__builtins__|builtins|__builtin__)\)$/.test(text)) return true;
  if (/^(?:globals|locals)\(\)\[(['"])__builtins__\1\]$/.test(text)) return true;
  if (node.type === 'attribute' && node.childForFieldName('attribute')?.text === '__dict__') {
    const object = node.childForFieldName('object');
    return (
      object !== null && namesOf(object, scope).some((name) => name === 'builtins' || name === '__builtin__')
    );
  }
  return (
    node.type === 'identifier' &&
    namesOf(node, scope).some((name) => name === 'builtins' || name === '__builtin__')
  );
}

function hiddenCall(node: Node, site: Site): CodeMatch | undefined {
  const scope = site.scope;
  const names = calleeNames(node, scope);
  if (names.some((name) => name === 'builtins.__import__' || name === 'importlib.import_module')) {
    const [first] = positionalArguments(node);
    if (first === undefined) return undefined;
    const hidden = hiddenName(first, scope, (name) => DANGEROUS_MODULES.has(name));
    if (hidden === undefined) return undefined;
    const shown = hidden.name === undefined ? '' : ` "${printable(hidden.name)}"`;
    return { message: `imports a module whose name${shown} is hidden (${hidden.how})` };
  }
  if (names.includes('builtins.getattr')) {
    const [first, second] = positionalArguments(node);
    if (first === undefined || second === undefined) return undefined;
    const hidden = hiddenName(second, scope, (name) => DANGEROUS_ATTRIBUTES.test(name));
    if (hidden !== undefined) {
      const shown = hidden.name === undefined ? '' : ` "${printable(hidden.name)}"`;
      return { message: `getattr reaches an attribute whose name${shown} is hidden (${hidden.how})` };
    }
    return undefined;
  }
  // `__import__('os').system(…)`: a dangerous function reached without an import statement.
  const callee = node.childForFieldName('function');
  if (callee?.type !== 'attribute') return undefined;
  let root: Node | null = callee;
  while (root?.type === 'attribute') root = root.childForFieldName('object');
  if (root?.type !== 'call') return undefined;
  if (
    !calleeNames(root, scope).some(
      (name) => name === 'builtins.__import__' || name === 'importlib.import_module',
    )
  )
    return undefined;
  const dangerous = names.find(
    (name) =>
      DANGEROUS_MODULES.has(name.slice(0, name.lastIndexOf('.'))) &&
      DANGEROUS_ATTRIBUTES.test(name.slice(name.lastIndexOf('.') + 1)),
  );
  if (dangerous === undefined) return undefined;
  return {
    message: `calls ${dangerous} through an inline __import__ chain, without an import statement`,
    severity: 'medium',
  };
}

export const hiddenCallCheck: NodeRule = {
  rule: PKG_OBF_002,
  nodes: ['call'],
  textHint: /__import__|import_module|getattr/,
  check: hiddenCall,
};

function builtinsLookup(node: Node, site: Site): CodeMatch | undefined {
  const value = node.childForFieldName('value');
  const key = node.childForFieldName('subscript');
  if (value === null || key === null) return undefined;
  const folded = foldString(key, site.scope);
  const valueText = value.text.replace(/\s+/g, '');
  if (!isBuiltinsObject(value, site.scope)) return undefined;
  if (folded !== undefined && (DANGEROUS_BUILTINS.test(folded.value) || folded.hidden))
    return { message: `looks up the builtin "${printable(folded.value)}" by name in ${valueText}` };
  const decoded = decodingOf(key, site.scope);
  if (decoded !== undefined)
    return { message: `looks up a builtin by a hidden name (${decoded.how}) in ${valueText}` };
  return undefined;
}

export const builtinsLookupCheck: NodeRule = {
  rule: PKG_OBF_002,
  nodes: ['subscript'],
  textHint: /__builtins__|builtins/,
  check: builtinsLookup,
};

/** Modules that setup.py has no reason to import under another name. */
const ALIASED_IN_SETUP = new Set([
  'os',
  'subprocess',
  'socket',
  'ctypes',
  'base64',
  'marshal',
  'zlib',
  'pty',
  'builtins',
  'urllib.request',
  'urllib2',
  'requests',
  'http.client',
]);

function isSetupScript(path: string): boolean {
  return path === 'setup.py' || path.endsWith('/setup.py');
}

function aliasedImport(node: Node, site: Site): CodeMatch | undefined {
  if (!isSetupScript(site.file.path)) return undefined;
  const module = node.childForFieldName('module_name')?.text.replace(/\s+/g, '');
  for (const imported of node.childrenForFieldName('name')) {
    if (imported?.type !== 'aliased_import') continue;
    const name = imported.childForFieldName('name')?.text.replace(/\s+/g, '') ?? '';
    const alias = imported.childForFieldName('alias')?.text ?? '';
    if (node.type === 'import_statement' && ALIASED_IN_SETUP.has(name) && alias !== name)
      return {
        message: `setup.py imports ${name} under the name "${alias}", hiding what it calls`,
        severity: 'medium',
      };
    if (module !== undefined && ALIASED_IN_SETUP.has(module) && alias !== name)
      return {
        message: `setup.py imports ${module}.${name} under the name "${alias}", hiding what it calls`,
        severity: 'medium',
      };
  }
  return undefined;
}

export const aliasedImportCheck: NodeRule = {
  rule: PKG_OBF_002,
  nodes: ['import_statement', 'import_from_statement'],
  textHint: / as /,
  check: aliasedImport,
};

export const OBFUSCATION_FAMILY: RuleFamily = {
  rules: [PKG_OBF_001, PKG_OBF_002, PKG_OBF_003],
  calls: [],
  nodes: [decodedExecutionCheck, hiddenCallCheck, builtinsLookupCheck, aliasedImportCheck, packedCodeCheck],
};
