import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CallSite, type CodeRule } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { constantOf, qualifiedNames, UNKNOWN_OBJECT } from '../resolve.js';
import type { Scope } from '../scopes.js';
import { inSharedTmp, modeValue } from './fs-temp.js';

/** Path expressions are followed through this many names, calls and operators. */
const MAX_PATH_DEPTH = 8;

const PATH_JOINS = new Set([
  'os.path.join',
  'posixpath.join',
  'ntpath.join',
  'pathlib.Path',
  'pathlib.PurePath',
  'pathlib.PosixPath',
  'pathlib.PurePosixPath',
]);
/** Functions that return their path argument in another form: traversal survives them. */
const PATH_WRAPPERS = new Set([
  'os.path.abspath',
  'os.path.normpath',
  'os.path.realpath',
  'os.path.expanduser',
]);
const PATH_METHOD_WRAPPERS = new Set(['resolve', 'absolute', 'expanduser', 'with_suffix']);

function firstArgument(call: Node): Node | undefined {
  return (
    call.childForFieldName('arguments')?.namedChildren.find((child) => child?.type !== 'comment') ?? undefined
  );
}

function operatorOf(node: Node): string | undefined {
  return node.childForFieldName('operator')?.type;
}

/**
 * The component of a path expression that is joined onto a base and carries untrusted data: the `name` of
 * `os.path.join(base, name)`, `Path(base) / name`, `base + "/" + name`, `f"{base}/{name}"`, followed through names
 * bound to such expressions and through `abspath`/`resolve()`. A path that is untrusted as a whole (a
 * command-line argument) is the user's own choice, not a traversal.
 */
function taintedComponent(node: Node, scope: Scope, call: CallSite, depth = 0): Node | undefined {
  if (depth > MAX_PATH_DEPTH) return undefined;
  const tainted = (component: Node): Node | undefined =>
    call.taint(component) === undefined ? undefined : component;
  switch (node.type) {
    case 'parenthesized_expression':
      return node.firstNamedChild === null
        ? undefined
        : taintedComponent(node.firstNamedChild, scope, call, depth + 1);
    case 'identifier': {
      for (const binding of scope.lookup(node.text, node.startIndex)?.bindings ?? []) {
        if (binding.kind !== 'value') continue;
        const found = taintedComponent(binding.value, binding.scope, call, depth + 1);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    case 'binary_operator': {
      const operator = operatorOf(node);
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if ((operator !== '/' && operator !== '+') || left === null || right === null) return undefined;
      return (
        (call.taint(left) === undefined ? tainted(right) : undefined) ??
        taintedComponent(left, scope, call, depth + 1)
      );
    }
    case 'string': {
      // Past the first part of an f-string: `f"{base}/{name}"` but not `f"{path}"`.
      const parts = node.namedChildren.filter((child) => child !== null && child.type !== 'string_start');
      return parts
        .slice(1)
        .filter((part) => part?.type === 'interpolation')
        .map((part) => (part === null ? undefined : tainted(part)))
        .find((part) => part !== undefined);
    }
    case 'call':
      return callComponent(node, scope, call, depth);
    default:
      return undefined;
  }
}

function callComponent(node: Node, scope: Scope, call: CallSite, depth: number): Node | undefined {
  const callee = node.childForFieldName('function');
  if (callee === null) return undefined;
  const names = qualifiedNames(callee, scope);
  const args = (node.childForFieldName('arguments')?.namedChildren ?? []).filter(
    (child): child is Node => child !== null && child.type !== 'comment' && child.type !== 'keyword_argument',
  );
  if (names.some((name) => PATH_JOINS.has(name)))
    return args.slice(1).find((argument) => call.taint(argument) !== undefined);
  const first = firstArgument(node);
  if (names.some((name) => PATH_WRAPPERS.has(name)) && first !== undefined)
    return taintedComponent(first, scope, call, depth + 1);
  if (callee.type !== 'attribute') return undefined;
  const method = callee.childForFieldName('attribute')?.text;
  const object = callee.childForFieldName('object');
  if (object === null) return undefined;
  if (method === 'joinpath')
    return (
      args.find((argument) => call.taint(argument) !== undefined) ??
      taintedComponent(object, scope, call, depth + 1)
    );
  if (method !== undefined && PATH_METHOD_WRAPPERS.has(method))
    return taintedComponent(object, scope, call, depth + 1);
  return undefined;
}

export const PY_FS_005 = defineRule({
  id: 'PY-FS-005',
  domain: 'code',
  title: 'path traversal: untrusted name joined into a file path',
  description:
    'A file name from a request, an LLM tool call or another untrusted source is joined onto a base directory ' +
    '(`os.path.join(UPLOAD_DIR, name)`, `Path(base) / name`, `f"{base}/{name}"`) and the result is opened, ' +
    'written, deleted or sent. A name such as `../../.ssh/authorized_keys` walks out of the base, and ' +
    '`os.path.join` drops the base entirely when the name is absolute (`/etc/passwd`).',
  fix: 'Reduce the name to a plain file name with `werkzeug.utils.secure_filename(name)` or `os.path.basename(name)`, or resolve the joined path and check it stays inside the base: `target = (base / name).resolve(); target.relative_to(base.resolve())` (raises ValueError otherwise); serve files with `flask.send_from_directory(base, name)`.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-22', 'CWE-73'],
  owasp: [],
  bandit: [],
  ruff: [],
});

/** Functions whose path arguments (by position) are opened, written, removed or sent. */
const PATH_SINKS: ReadonlyMap<string, readonly number[]> = new Map([
  ['builtins.open', [0]],
  ['io.open', [0]],
  ['codecs.open', [0]],
  ['os.open', [0]],
  ['os.remove', [0]],
  ['os.unlink', [0]],
  ['shutil.rmtree', [0]],
  ['shutil.copy', [0, 1]],
  ['shutil.copy2', [0, 1]],
  ['shutil.copyfile', [0, 1]],
  ['shutil.move', [0, 1]],
  ['flask.send_file', [0]],
  ['flask.helpers.send_file', [0]],
  ['fastapi.responses.FileResponse', [0]],
  ['starlette.responses.FileResponse', [0]],
]);
/** Methods of path objects that open, write or remove the file the receiver names. */
const PATH_METHODS = ['open', 'read_text', 'read_bytes', 'write_text', 'write_bytes', 'unlink'];
const PATH_OBJECTS = ['pathlib.Path()', 'pathlib.PurePath()', 'pathlib.PosixPath()', UNKNOWN_OBJECT];

/** The path expressions a sink call uses: its path arguments, or the receiver of a path method. */
function pathExpressions(call: CallSite): Node[] {
  const positions = PATH_SINKS.get(call.name);
  if (positions !== undefined)
    return positions
      .map(
        (position) =>
          call.positional[position]?.node ?? (position === 0 ? argumentOf(call, 'file')?.node : undefined),
      )
      .filter((node): node is Node => node !== undefined);
  const receiver = call.node.childForFieldName('function')?.childForFieldName('object');
  return receiver === null || receiver === undefined ? [] : [receiver];
}

function traversal(call: CallSite): Node | undefined {
  for (const path of pathExpressions(call)) {
    const component = taintedComponent(path, call.scope, call);
    if (component !== undefined) return component;
  }
  return undefined;
}

export const pathTraversalCheck: CodeRule = {
  rule: PY_FS_005,
  calls: [
    ...PATH_SINKS.keys(),
    ...PATH_OBJECTS.flatMap((object) => PATH_METHODS.map((method) => `${object}.${method}`)),
  ],
  sink: {
    arguments: (call) => {
      const component = traversal(call);
      return component === undefined ? [] : [{ node: component, constant: undefined }];
    },
  },
  check(call) {
    // Only a flow makes this a finding: joining a fixed or internal name is how every program builds paths.
    const component = traversal(call);
    if (component === undefined) return undefined;
    return {
      message: `${call.name} on a path joined with ${component.text}, an untrusted name ("../" escapes the base)`,
    };
  },
};

export const PY_FS_006 = defineRule({
  id: 'PY-FS-006',
  domain: 'code',
  title: 'model or dataset cache in a shared or world-writable directory',
  description:
    'Hugging Face, datasets and torch.hub caches hold pickled weights, dataset scripts and processed Arrow files ' +
    'that the library loads back without re-checking them. A cache under `/tmp`, `/var/tmp` or `/dev/shm` (or ' +
    'created with mode `0o777`) can be pre-created or filled by any other user or job on the machine, who then ' +
    'plants a malicious `pytorch_model.bin` or dataset script that the next run loads and executes.',
  fix: 'Keep caches in a directory only the service account can write: the default `~/.cache/huggingface` / `~/.cache/torch`, or `cache_dir=os.path.expanduser("~/.cache/myapp")` created with `os.makedirs(path, mode=0o700, exist_ok=True)`; on shared machines set `HF_HOME` to a per-user path; prefer safetensors weights.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-377', 'CWE-502'],
  owasp: ['ML06:2023'],
  bandit: [],
  ruff: [],
});

/**
 * Whether a path expression lies in a shared temporary directory: a literal under `/tmp`, `tempfile.gettempdir()`,
 * or a join / f-string / name built on one.
 */
function inSharedDirectory(node: Node, scope: Scope, depth = 0): boolean {
  if (depth > MAX_PATH_DEPTH) return false;
  const constant = constantOf(node, scope);
  if (constant?.kind === 'string') return inSharedTmp(constant.value);
  switch (node.type) {
    case 'string': {
      const first = node.namedChildren.find((child) => child !== null && child.type !== 'string_start');
      return first?.type === 'string_content' && inSharedTmp(first.text);
    }
    case 'identifier': {
      const found = scope.lookup(node.text, node.startIndex);
      const [binding] = found?.bindings ?? [];
      return (
        found?.total === 1 &&
        binding?.kind === 'value' &&
        inSharedDirectory(binding.value, binding.scope, depth + 1)
      );
    }
    case 'binary_operator': {
      const left = node.childForFieldName('left');
      return left !== null && inSharedDirectory(left, scope, depth + 1);
    }
    case 'call': {
      const callee = node.childForFieldName('function');
      const names = callee === null ? [] : qualifiedNames(callee, scope);
      if (names.includes('tempfile.gettempdir')) return true;
      const first = firstArgument(node);
      return (
        names.some((name) => PATH_JOINS.has(name)) &&
        first !== undefined &&
        inSharedDirectory(first, scope, depth + 1)
      );
    }
    default:
      return false;
  }
}

/** Where each loader takes its cache directory: keyword, and position when it has one. */
const CACHE_ARGUMENTS: ReadonlyMap<string, readonly [string, number?]> = new Map([
  ['datasets.load_dataset', ['cache_dir']],
  ['huggingface_hub.hf_hub_download', ['cache_dir']],
  ['huggingface_hub.snapshot_download', ['cache_dir']],
  ['huggingface_hub.file_download.hf_hub_download', ['cache_dir']],
  ['torch.hub.set_dir', ['d', 0]],
  ['torch.hub.load_state_dict_from_url', ['model_dir', 1]],
  ['sentence_transformers.SentenceTransformer', ['cache_folder']],
  ['os.environ.setdefault', ['value', 1]],
]);
/** Environment variables that move the Hugging Face and torch caches. */
const CACHE_VARIABLES = new Set([
  'HF_HOME',
  'HF_HUB_CACHE',
  'HF_DATASETS_CACHE',
  'HUGGINGFACE_HUB_CACHE',
  'TRANSFORMERS_CACHE',
  'TORCH_HOME',
  'SENTENCE_TRANSFORMERS_HOME',
  'XDG_CACHE_HOME',
]);
const FROM_PRETRAINED = [
  'transformers.*.from_pretrained',
  'diffusers.*.from_pretrained',
  'peft.*.from_pretrained',
];
/** Directory names that say a directory made with `os.makedirs` is a model or data cache. */
const CACHE_NAME = /cache|hf_home|huggingface|hub|checkpoint|models?\b|weights/i;

function makedirsCheck(call: CallSite): ReturnType<CodeRule['check']> {
  const path = argumentOf(call, 'name', 0) ?? argumentOf(call, 'path', 0);
  const modeArgument = argumentOf(call, 'mode', 1);
  if (path === undefined || modeArgument === undefined || !CACHE_NAME.test(path.node.text)) return undefined;
  const mode = modeValue(modeArgument.node, call.scope);
  if (mode === undefined || (mode & 0o002) === 0) return undefined;
  return {
    message: `${call.name}(${path.node.text}, mode=0o${mode.toString(8)}) asks for a cache every user can write (the umask may narrow it)`,
    confidence: 'low',
  };
}

export const sharedCacheCheck: CodeRule = {
  rule: PY_FS_006,
  calls: [...CACHE_ARGUMENTS.keys(), ...FROM_PRETRAINED, 'os.makedirs', 'os.mkdir'],
  check(call) {
    if (call.name === 'os.makedirs' || call.name === 'os.mkdir') return makedirsCheck(call);
    const [keyword, position] = CACHE_ARGUMENTS.get(call.name) ?? ['cache_dir'];
    if (call.name === 'os.environ.setdefault') {
      const variable = argumentOf(call, 'key', 0)?.constant;
      if (variable?.kind !== 'string' || !CACHE_VARIABLES.has(variable.value)) return undefined;
    }
    const directory = argumentOf(call, keyword, position);
    if (directory === undefined || !inSharedDirectory(directory.node, call.scope)) return undefined;
    return {
      message: `${call.name} keeps its cache in the shared directory ${directory.node.text}: another user can plant files the next load trusts`,
    };
  },
};

/** `os.environ["HF_HOME"] = "/tmp/hf"`: the cache of every later load moves to a shared directory. */
export const sharedCacheVariableCheck: NodeRule = {
  rule: PY_FS_006,
  nodes: ['assignment'],
  textHint: /environ/,
  check(node, site) {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (left?.type !== 'subscript' || right === null || !left.text.includes('environ')) return undefined;
    const container = left.childForFieldName('value');
    const key = left.childForFieldName('subscript');
    if (container === null || key === null || !qualifiedNames(container, site.scope).includes('os.environ'))
      return undefined;
    const variable = constantOf(key, site.scope);
    if (variable?.kind !== 'string' || !CACHE_VARIABLES.has(variable.value)) return undefined;
    if (!inSharedDirectory(right, site.scope)) return undefined;
    return {
      message: `${variable.value} set to the shared directory ${right.text}: another user can plant files the next load trusts`,
    };
  },
};
