import type { Node } from 'web-tree-sitter';
import { constantOf, isLiteral } from './resolve.js';
import type { Scope } from './scopes.js';

/**
 * The kinds of untrusted data. `file` is data read from a file whose path is not written in the source: it
 * counts for code execution (running a downloaded script) but not for deserialisers, whose whole purpose is
 * reading files; for those, a file is untrusted when its path is.
 */
export type TaintKind = 'user' | 'environment' | 'network' | 'file' | 'llm';

export interface TaintSource {
  readonly kind: TaintKind;
  /** What the data is, for messages: `sys.argv`, `flask.request`, `an HTTP response (requests.get)`. */
  readonly label: string;
  /** 1-based line where the source is read. */
  readonly line: number;
}

/** References whose value (and every attribute, item and method result of it) is untrusted. */
const REFERENCES: readonly { readonly name: string; readonly kind: TaintKind }[] = [
  { name: 'sys.argv', kind: 'user' },
  { name: 'sys.stdin', kind: 'user' },
  { name: 'sys.orig_argv', kind: 'user' },
  { name: 'flask.request', kind: 'user' },
  { name: 'quart.request', kind: 'user' },
  { name: 'bottle.request', kind: 'user' },
  { name: 'os.environ', kind: 'environment' },
  { name: 'os.environb', kind: 'environment' },
];

/** Calls that return untrusted data, by exact qualified name. */
const CALLS = new Map<string, TaintKind>([
  ['builtins.input', 'user'],
  ['builtins.raw_input', 'user'],
  ['__builtin__.raw_input', 'user'],
  ['getpass.getpass', 'user'],
  ['argparse.ArgumentParser().parse_args', 'user'],
  ['argparse.ArgumentParser().parse_known_args', 'user'],
  ['optparse.OptionParser().parse_args', 'user'],
  ['fire.Fire', 'user'],
  ['os.getenv', 'environment'],
  ['os.getenvb', 'environment'],
  ['dotenv.dotenv_values', 'environment'],
  ['urllib.request.urlopen', 'network'],
  ['urllib2.urlopen', 'network'],
  ['urllib.urlopen', 'network'],
  ['ollama.chat', 'llm'],
  ['ollama.generate', 'llm'],
  ['litellm.completion', 'llm'],
  ['litellm.acompletion', 'llm'],
  ['openai.ChatCompletion.create', 'llm'],
  ['openai.Completion.create', 'llm'],
  ['transformers.pipeline()', 'llm'],
]);

export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'head',
  'options',
  'request',
  'stream',
]);
/** Modules and client objects whose HTTP methods return a response from the network. */
export const HTTP_CLIENTS: readonly string[] = [
  'requests',
  'requests.Session()',
  'requests.session()',
  'httpx',
  'httpx.Client()',
  'httpx.AsyncClient()',
  'aiohttp.ClientSession()',
  'urllib3.PoolManager()',
];
const SOCKET_READS = new Set(['recv', 'recvfrom', 'recv_into', 'recvmsg', 'makefile', 'read', 'readline']);
const SOCKETS = ['socket.socket()', 'socket.create_connection()', 'ssl.SSLContext().wrap_socket()'];

/** Suffixes of the methods of LLM clients that return model output, whatever the client object is. */
const LLM_METHOD_SUFFIXES = [
  '.chat.completions.create',
  '.chat.completions.parse',
  '.completions.create',
  '.messages.create',
  '.responses.create',
  '.generate_content',
];
/** Methods of LangChain and LlamaIndex objects (models, chains, agents, query engines) that return output. */
const FRAMEWORK_LLM_METHODS = new Set([
  'invoke',
  'ainvoke',
  'predict',
  'apredict',
  'run',
  'arun',
  'stream',
  'batch',
  'generate',
  'query',
  'chat',
  'complete',
]);
const LLM_FRAMEWORKS = /^(?:langchain\w*|llama_index)\./;

const FILE_READS = new Set(['read', 'readline', 'readlines', 'read_text', 'read_bytes']);
const FILE_OPENERS = new Set([
  'builtins.open',
  'io.open',
  'codecs.open',
  'pathlib.Path',
  'gzip.open',
  'bz2.open',
]);

/**
 * Functions whose result carries none of their input's taint: numbers and booleans, quoted or escaped text, a
 * path's last component. A flow through one of these stops.
 */
const SANITIZERS = new Set([
  'builtins.int',
  'builtins.float',
  'builtins.bool',
  'builtins.len',
  'builtins.abs',
  'builtins.round',
  'builtins.isinstance',
  'builtins.hash',
  'builtins.id',
  'builtins.type',
  'shlex.quote',
  'shlex.join',
  'pipes.quote',
  'os.path.basename',
  'os.path.exists',
  'os.path.isfile',
  'os.path.isdir',
  'werkzeug.utils.secure_filename',
  'html.escape',
  'markupsafe.escape',
  'flask.escape',
  'urllib.parse.quote',
  'urllib.parse.quote_plus',
  're.escape',
  'uuid.uuid4',
]);
const SANITIZER_MODULES = ['hashlib.', 'uuid.', 'secrets.'];

/** Parameters with these names are request objects in the frameworks that pass the request in (Django). */
export const TAINTED_PARAMETER_NAMES = new Set(['request', 'req']);
/** Last segments of decorators that make a function a web or command-line handler (`@app.route`). */
export const HANDLER_DECORATOR_SUFFIXES = new Set([
  'route',
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'websocket',
  'api_route',
  'command',
  'option',
  'argument',
]);
/** Decorators that turn a function into a tool an LLM calls with arguments it writes. */
export const LLM_DECORATORS = new Set(['tool', 'function_tool', 'kernel_function']);

export function isSanitizer(name: string): boolean {
  return SANITIZERS.has(name) || SANITIZER_MODULES.some((module) => name.startsWith(module));
}

/** The source a qualified name refers to: `sys.argv`, `flask.request.args`, `os.environ.get`. */
export function sourceOfReference(name: string, line: number): TaintSource | null {
  for (const reference of REFERENCES) {
    if (name === reference.name || name.startsWith(`${reference.name}.`))
      return { kind: reference.kind, label: reference.name, line };
  }
  return null;
}

/**
 * The source a call with callee `name` returns, if any. `call` is the call node, read for file reads: a file
 * whose path is a literal in the source is the program's own, not a source.
 */
export function sourceOfCall(name: string, call: Node, scope: Scope, line: number): TaintSource | null {
  const exact = CALLS.get(name);
  if (exact !== undefined) return { kind: exact, label: `${name.replace(/^builtins\./, '')}()`, line };
  const reference = sourceOfReference(name, line);
  if (reference !== null) return reference;
  const dot = name.lastIndexOf('.');
  const object = name.slice(0, dot);
  const method = name.slice(dot + 1);
  if (HTTP_METHODS.has(method) && HTTP_CLIENTS.includes(object))
    return { kind: 'network', label: `an HTTP response (${name})`, line };
  if (SOCKET_READS.has(method) && SOCKETS.includes(object))
    return { kind: 'network', label: `data read from a socket (${name})`, line };
  if (LLM_METHOD_SUFFIXES.some((suffix) => name.endsWith(suffix)))
    return { kind: 'llm', label: `LLM output (${name})`, line };
  if (FRAMEWORK_LLM_METHODS.has(method) && LLM_FRAMEWORKS.test(name) && object.endsWith(')'))
    return { kind: 'llm', label: `LLM output (${name})`, line };
  if (FILE_READS.has(method) && FILE_OPENERS.has(object.replace(/\(\)$/, '')) && object.endsWith('()'))
    return fileRead(call, scope, line);
  return null;
}

/** `open(path).read()` or `fh.read()` after `fh = open(path)`: a source unless `path` is a literal. */
function fileRead(call: Node, scope: Scope, line: number): TaintSource | null {
  const opener = openerCall(call.childForFieldName('function')?.childForFieldName('object') ?? null, scope);
  const path = opener
    ?.childForFieldName('arguments')
    ?.namedChildren.find((child) => child?.type !== 'comment');
  if (path !== undefined && path !== null && isLiteral(constantOf(path, scope))) return null;
  return { kind: 'file', label: 'data read from a file whose path is not fixed', line };
}

/** The call that made a file object: the expression itself, or what a name was bound to (`with … as fh`). */
function openerCall(node: Node | null, scope: Scope): Node | null {
  if (node === null) return null;
  if (node.type === 'call') return node;
  if (node.type !== 'identifier') return null;
  const found = scope.lookup(node.text, node.startIndex);
  const [binding] = found?.bindings ?? [];
  if (found?.bindings.length !== 1 || binding?.kind !== 'value') return null;
  return binding.value.type === 'call' ? binding.value : null;
}
