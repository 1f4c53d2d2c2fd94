import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CodeRule, everyCall } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { constantOf } from '../resolve.js';
import type { Scope } from '../scopes.js';

export const PY_FS_001 = defineRule({
  id: 'PY-FS-001',
  domain: 'code',
  title: 'insecure temporary file name (tempfile.mktemp)',
  description:
    '`tempfile.mktemp` (and Python 2 `os.tempnam` / `os.tmpnam`) only returns a name that did not exist when it ' +
    'was chosen; the file is created later by the caller. Another local user or process can create that path ' +
    '(or a symlink to a file of yours) in between, and the program then writes checkpoints, datasets or ' +
    'credentials into a file the attacker controls or reads.',
  fix: 'Create the file atomically: `tempfile.NamedTemporaryFile(delete=False)`, `tempfile.mkstemp()` (returns an open descriptor), or a private directory with `tempfile.mkdtemp()` / `tempfile.TemporaryDirectory()` and files inside it.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-377'],
  owasp: [],
  bandit: ['B306', 'B325'],
  ruff: ['S306'],
});

export const mktempCheck = everyCall(
  PY_FS_001,
  ['tempfile.mktemp', 'os.tempnam', 'os.tmpnam'],
  'returns a file name without creating the file: another process can create it first',
);

export const PY_FS_002 = defineRule({
  id: 'PY-FS-002',
  domain: 'code',
  title: 'hard-coded path in a shared temporary directory',
  description:
    'A string literal naming a fixed path under `/tmp`, `/var/tmp` or `/dev/shm`. These directories are shared ' +
    'by every user and process on the machine (and every job on a shared training node): anyone can create the ' +
    'same name first, as a file, directory or symlink, and so read what the program writes there or feed it a ' +
    'planted checkpoint, cache or config.',
  fix: 'Make a private location at run time with `tempfile.mkdtemp()` / `tempfile.TemporaryDirectory()` (mode 0o700, unpredictable name), or use a directory the program owns (`~/.cache/<app>`, a configured `--output-dir`).',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-377'],
  owasp: [],
  bandit: ['B108'],
  ruff: ['S108'],
});

/** A string literal (any prefix and quote) whose text starts with a shared temporary directory. */
const SHARED_TMP_LITERAL = /^[A-Za-z]{0,2}(?:'''|"""|'|")(\/(?:var\/)?tmp|\/dev\/shm)(?:[/'"{]|$)/;

/** Whether a constant path is in a shared temporary directory: `/tmp`, `/tmp/x`, `/var/tmp/x`, `/dev/shm/x`. */
export function inSharedTmp(path: string): boolean {
  return /^(?:\/(?:var\/)?tmp|\/dev\/shm)(?:\/|$)/.test(path);
}

export const sharedTmpCheck: NodeRule = {
  rule: PY_FS_002,
  nodes: ['string'],
  textHint: /\/tmp|\/dev\/shm/,
  check(node) {
    // String nodes are the most frequent subscription: one cheap character test before the regex.
    if (!node.text.includes('/tmp') && !node.text.includes('/dev/shm')) return undefined;
    const match = SHARED_TMP_LITERAL.exec(node.text);
    if (match === null) return undefined;
    // A docstring or bare string statement mentions the path; it does not use it.
    if (node.parent?.type === 'expression_statement') return undefined;
    return {
      message: `hard-coded path in the shared directory ${match[1] ?? ''}: anyone on the machine can create it first`,
    };
  },
};

export const PY_FS_003 = defineRule({
  id: 'PY-FS-003',
  domain: 'code',
  title: 'file permissions let other users write (chmod 0o777)',
  description:
    '`os.chmod`, `os.lchmod`, `os.fchmod` or `Path.chmod` with a mode that lets every user write the file ' +
    '(`0o777`, `0o666`, `stat.S_IWOTH`), or lets the group both write and execute it. A world-writable script, model file, cache ' +
    'or config can be replaced by any local user or process, whose content the program then runs or loads.',
  fix: 'Grant the owner only what it needs: `0o600` for data and secrets, `0o700` for directories and scripts, `0o644` / `0o755` when others must read; share with a group (`0o770` without execute bits on data) rather than with everyone.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-732'],
  owasp: [],
  bandit: ['B103'],
  ruff: ['S103'],
});

/** The permission bits of the `stat` module, which modes are built from. */
const STAT_BITS: ReadonlyMap<string, number> = new Map([
  ['S_ISUID', 0o4000],
  ['S_ISGID', 0o2000],
  ['S_ISVTX', 0o1000],
  ['S_IRWXU', 0o700],
  ['S_IRUSR', 0o400],
  ['S_IWUSR', 0o200],
  ['S_IXUSR', 0o100],
  ['S_IREAD', 0o400],
  ['S_IWRITE', 0o200],
  ['S_IEXEC', 0o100],
  ['S_IRWXG', 0o70],
  ['S_IRGRP', 0o40],
  ['S_IWGRP', 0o20],
  ['S_IXGRP', 0o10],
  ['S_IRWXO', 0o7],
  ['S_IROTH', 0o4],
  ['S_IWOTH', 0o2],
  ['S_IXOTH', 0o1],
]);

const MAX_MODE_DEPTH = 8;

/** The value of a mode: an integer, `stat.S_*` bits, or `|` / `+` of those, through names bound once. */
export function modeValue(node: Node, scope: Scope, depth = 0): number | undefined {
  if (depth > MAX_MODE_DEPTH) return undefined;
  if (node.type === 'binary_operator') {
    const operator = node.childForFieldName('operator')?.type;
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if ((operator !== '|' && operator !== '+') || left === null || right === null) return undefined;
    const a = modeValue(left, scope, depth + 1);
    const b = modeValue(right, scope, depth + 1);
    return a === undefined || b === undefined ? undefined : a | b;
  }
  if (node.type === 'parenthesized_expression' && node.firstNamedChild !== null)
    return modeValue(node.firstNamedChild, scope, depth + 1);
  if (node.type === 'identifier') {
    const found = scope.lookup(node.text, node.startIndex);
    const [binding] = found?.bindings ?? [];
    if (found?.total === 1 && binding?.kind === 'value')
      return modeValue(binding.value, binding.scope, depth + 1);
  }
  const constant = constantOf(node, scope);
  if (constant?.kind === 'number') return constant.value;
  if (constant?.kind === 'reference') {
    for (const name of constant.names) {
      const bits = name.startsWith('stat.') ? STAT_BITS.get(name.slice('stat.'.length)) : undefined;
      if (bits !== undefined) return bits;
    }
  }
  return undefined;
}

const WORLD_WRITABLE = 0o002;
/** Group write and execute together: group members can replace a program that then runs (bandit reports any group execute bit; 0o750 and 0o755 are normal for directories and scripts). */
const GROUP_WRITE_EXECUTE = 0o030;

/** Where the mode argument sits: `os.chmod(path, mode)`, `Path(p).chmod(mode)`. */
const MODE_POSITION: ReadonlyMap<string, number> = new Map([
  ['os.chmod', 1],
  ['os.lchmod', 1],
  ['os.fchmod', 1],
  ['pathlib.Path().chmod', 0],
  ['pathlib.Path().lchmod', 0],
  ['pathlib.PosixPath().chmod', 0],
  ['?.chmod', 0],
]);

export const chmodCheck: CodeRule = {
  rule: PY_FS_003,
  calls: [...MODE_POSITION.keys()],
  check(call) {
    const argument = argumentOf(call, 'mode', MODE_POSITION.get(call.name));
    const mode = argument === undefined ? undefined : modeValue(argument.node, call.scope);
    if (mode === undefined) return undefined;
    const octal = `0o${mode.toString(8)}`;
    if ((mode & WORLD_WRITABLE) !== 0)
      return { message: `${call.name} with mode ${octal} lets every user write the file`, severity: 'high' };
    if ((mode & GROUP_WRITE_EXECUTE) === GROUP_WRITE_EXECUTE)
      return {
        message: `${call.name} with mode ${octal} lets the group replace and execute the file`,
        severity: 'low',
      };
    return undefined;
  },
};
