import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { argumentOf, type Argument, type CallSite, type CodeRule } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { constantOf, qualifiedNames } from '../resolve.js';
import type { Scope } from '../scopes.js';
import { commandOf, SUBPROCESS_STARTERS, SYSTEM_CALLS } from './proc.js';

export const PY_SUP_005 = defineRule({
  id: 'PY-SUP-005',
  domain: 'code',
  title: 'downloaded code executed or installed',
  description:
    'Text or bytes fetched over the network reach `exec`, `eval`, `compile`, a shell or subprocess command, ' +
    '`importlib.import_module`, or a file written into `site-packages` (a `.pth` file runs at every ' +
    'interpreter start). This is how droppers in malicious packages and notebooks work, and even a legitimate ' +
    'download runs whatever the server, a hijacked domain or the network path sends that day.',
  fix: 'Do not execute downloaded content. Ship the code in a pinned, hash-checked package (`pip install --require-hashes -r requirements.txt`); for data use a parser (`json.loads`, `ast.literal_eval`), and verify any downloaded artefact against a checksum or signature before use.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-494', 'CWE-506'],
  owasp: ['ML06:2023'],
});

/** Sinks that run what they are given, and which of their arguments carries it. */
const CODE_RUNNERS = [
  'builtins.exec',
  'builtins.eval',
  'builtins.compile',
  'importlib.import_module',
  'builtins.__import__',
];
/** Writes of a file's content, on the object an opener returned. */
const FILE_WRITERS = [
  'builtins.open().write',
  'io.open().write',
  'pathlib.Path().write_text',
  'pathlib.Path().write_bytes',
];

/** A path expression that points into the interpreter's import machinery. */
const IMPORT_PATH =
  /site-packages|dist-packages|\.pth\b|getsitepackages|getusersitepackages|USER_SITE|sysconfig\.get_path|purelib|platlib/;

/** The expression a receiver was made by: what a name was bound to (once), or the expression itself. */
function maker(node: Node | null, scope: Scope): Node | undefined {
  if (node === null) return undefined;
  if (node.type !== 'identifier') return node;
  const bindings = scope.lookup(node.text, node.startIndex)?.bindings ?? [];
  const [binding] = bindings;
  return bindings.length === 1 && binding?.kind === 'value' ? binding.value : undefined;
}

/** Whether the file a `.write` call writes lies in site-packages, judged from the opener's path argument. */
function writesIntoImportPath(call: CallSite): boolean {
  const receiver = call.node.childForFieldName('function')?.childForFieldName('object') ?? null;
  const opener = maker(receiver, call.scope);
  const path = opener?.type === 'call' ? opener.childForFieldName('arguments')?.firstNamedChild : undefined;
  if (path === undefined || path === null) return false;
  // One step back through a variable: `target = os.path.join(site.getsitepackages()[0], "x.pth")`.
  const pathText = path.type === 'identifier' ? (maker(path, call.scope)?.text ?? path.text) : path.text;
  return IMPORT_PATH.test(pathText);
}

const SUBPROCESS_NAMES: ReadonlySet<string> = new Set(SUBPROCESS_STARTERS);
const SYSTEM_NAMES: ReadonlySet<string> = new Set(SYSTEM_CALLS);

/** The argument that carries what the sink runs or writes. */
function payload(call: CallSite): Argument | undefined {
  if (call.name.endsWith('.write') || call.name.endsWith('.write_text') || call.name.endsWith('.write_bytes'))
    return argumentOf(call, 'data', 0);
  if (SUBPROCESS_NAMES.has(call.name) || SYSTEM_NAMES.has(call.name)) return commandOf(call);
  return argumentOf(call, 'source', 0) ?? argumentOf(call, 'name', 0);
}

export const downloadExecuteCheck: CodeRule = {
  rule: PY_SUP_005,
  calls: [...CODE_RUNNERS, ...SUBPROCESS_STARTERS, ...SYSTEM_CALLS, ...FILE_WRITERS],
  check(call) {
    const data = payload(call);
    const source = data === undefined ? undefined : call.taint(data.node);
    if (source?.kind !== 'network') return undefined;
    const writer = FILE_WRITERS.includes(call.name);
    if (writer && !writesIntoImportPath(call)) return undefined;
    const what = writer ? 'writes into site-packages' : 'runs';
    return { message: `${call.name} ${what} ${source.label} from line ${source.line}` };
  },
};

export const PY_SUP_007 = defineRule({
  id: 'PY-SUP-007',
  domain: 'code',
  title: 'import path extended with a writable or working-directory-relative directory',
  description:
    '`sys.path.insert(0, ".")`, `sys.path.append("/tmp/...")`, `site.addsitedir(os.getcwd())` or ' +
    '`os.environ["PYTHONPATH"] = "."` make imports look in a directory that depends on where the program is ' +
    'started from, or that other users can write to. A file named like a module there (`torch.py`, ' +
    '`utils.py` in a downloaded dataset or a shared /tmp) is imported instead of the real one.',
  fix: "Install the project as a package (`pip install -e .`) instead of editing `sys.path`, or add an absolute directory derived from the code's own location: `sys.path.insert(0, str(Path(__file__).resolve().parent))`.",
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-427'],
  owasp: [],
});

/** Directories anyone can write to, and paths resolved against the working directory. */
const WRITABLE_DIR = /^(?:\/tmp|\/var\/tmp|\/dev\/shm)(?:\/|$)/;
const WORKING_DIRECTORY_CALLS = new Set(['os.getcwd', 'os.getcwdb', 'pathlib.Path.cwd']);

/** Paths that are the same wherever the program starts; `$VAR` and `~` are left to whoever sets them. */
const ANCHORED_PATH = /^(?:\/|~|\$|[A-Za-z]:[\\/]|\\\\)/;
/** Calls whose result is the directory they are given, made absolute or extended. */
const PATH_BUILDERS = new Set(['os.path.abspath', 'os.path.realpath', 'os.path.normpath', 'os.path.join']);

/** Why a path put on the import path is risky, or undefined when it is anchored (or not known). */
function riskOfPath(node: Node, scope: Scope, depth = 0): string | undefined {
  // `"/tmp/plugins:" + os.environ.get("PYTHONPATH", "")`: the entry put first is the one written first.
  const left = node.type === 'binary_operator' ? node.childForFieldName('left') : null;
  if (left !== null) return depth > 3 ? undefined : riskOfPath(left, scope, depth + 1);
  if (node.type === 'call') {
    const callee = node.childForFieldName('function');
    const names = callee === null ? [] : qualifiedNames(callee, scope);
    if (names.some((name) => WORKING_DIRECTORY_CALLS.has(name))) return 'the working directory';
    // `os.path.abspath(".")` is still the working directory, fixed at the time of the call.
    const first = node.childForFieldName('arguments')?.firstNamedChild;
    if (depth > 3 || first === null || first === undefined || !names.some((name) => PATH_BUILDERS.has(name)))
      return undefined;
    return riskOfPath(first, scope, depth + 1);
  }
  const constant = constantOf(node, scope);
  if (constant?.kind === 'reference' && constant.names.includes('os.curdir')) return 'the working directory';
  if (constant?.kind !== 'string') return undefined;
  for (const entry of constant.value.split(':')) {
    if (WRITABLE_DIR.test(entry)) return `"${entry}" (a directory other users can write to)`;
    if (!ANCHORED_PATH.test(entry)) return `"${entry}" (relative to the working directory)`;
  }
  return undefined;
}

export const importPathCheck: CodeRule = {
  rule: PY_SUP_007,
  calls: ['sys.path.insert', 'sys.path.append', 'site.addsitedir', 'os.putenv', 'os.environ.setdefault'],
  check(call) {
    const environment = call.name === 'os.putenv' || call.name === 'os.environ.setdefault';
    const key = call.positional[0]?.constant;
    if (environment && (key?.kind !== 'string' || key.value !== 'PYTHONPATH')) return undefined;
    const path = call.name === 'sys.path.insert' || environment ? call.positional[1] : call.positional[0];
    const risk = path === undefined ? undefined : riskOfPath(path.node, call.scope);
    if (risk === undefined) return undefined;
    return { message: `${call.name} puts ${risk} on the import path` };
  },
};

/** `os.environ["PYTHONPATH"] = ...`: what child Python processes import from. */
export const pythonPathAssignmentCheck: NodeRule = {
  rule: PY_SUP_007,
  nodes: ['assignment'],
  textHint: /pythonpath/,
  check(node, site) {
    const left = node.childForFieldName('left');
    // Cheap textual test before any resolution: assignments are frequent.
    if (left?.type !== 'subscript' || !left.text.includes('PYTHONPATH')) return undefined;
    const target = left.childForFieldName('value');
    if (target === null || !qualifiedNames(target, site.scope).includes('os.environ')) return undefined;
    const right = node.childForFieldName('right');
    const risk = right === null ? undefined : riskOfPath(right, site.scope);
    if (risk === undefined) return undefined;
    return { message: `os.environ["PYTHONPATH"] puts ${risk} on the import path of child processes` };
  },
};
