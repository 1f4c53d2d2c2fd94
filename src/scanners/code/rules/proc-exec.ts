import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { argumentOf, type Argument, type CallSite, type CodeMatch, type CodeRule } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { constantOf, qualifiedNames } from '../resolve.js';
import { commandOf, literalText, shellMatch, SUBPROCESS_STARTERS, SYSTEM_CALLS, truthy } from './proc.js';

const COMMAND_INJECTION = { verdict: 'suspicious', cwe: ['CWE-78'], owasp: [] } as const;

export const PY_PROC_002 = defineRule({
  id: 'PY-PROC-002',
  domain: 'code',
  title: 'subprocess call without a shell (audit)',
  description:
    '`subprocess.Popen`, `run`, `call`, `check_call` and `check_output` without `shell=True` start a program ' +
    'directly. No shell parses the command, but whoever chooses the program or its arguments still decides ' +
    'what runs (`--upload-pack=...` for git, `-o ProxyCommand=...` for ssh). An audit listing of every place ' +
    'a process starts, off by default.',
  fix: 'Keep the program a fixed absolute path, pass outside values only as separate list items after a `--` end-of-options marker, and check them against an allow-list (`if model_id not in ALLOWED: raise ValueError`).',
  severity: 'low',
  confidence: 'medium',
  ...COMMAND_INJECTION,
  bandit: ['B603'],
  ruff: ['S603'],
  enabledByDefault: false,
});

export const PY_PROC_003 = defineRule({
  id: 'PY-PROC-003',
  domain: 'code',
  title: 'call with shell=True outside subprocess',
  description:
    "A function that is not one of `subprocess`'s, called with `shell=True`: wrappers such as `invoke`, " +
    "`fabric`, `sh`, `plumbum` or a project's own `run_command(cmd, shell=True)` usually hand the command to " +
    '`/bin/sh -c`, so a command built from an outside value runs whatever that value adds.',
  fix: 'Call the wrapper with a list of arguments and `shell=False`, or quote every outside value with `shlex.quote` before it reaches the command string.',
  severity: 'medium',
  confidence: 'low',
  ...COMMAND_INJECTION,
  bandit: ['B604'],
  ruff: ['S604'],
});

export const PY_PROC_005 = defineRule({
  id: 'PY-PROC-005',
  domain: 'code',
  title: 'process started by os.exec*, os.spawn* or os.startfile',
  description:
    '`os.execl`/`execv`/`execvp` and friends replace the running process, `os.spawn*`, `os.posix_spawn` and ' +
    '`pty.spawn` start a new one, `os.startfile` opens a file with its associated program. None uses a shell, ' +
    'but a program path or argument list chosen by someone else runs their program.',
  fix: 'Start a fixed absolute program with `subprocess.run([...], check=True)`, pass outside values only as checked list items, and never let an outside value choose the program or the file given to `os.startfile`.',
  severity: 'low',
  confidence: 'medium',
  ...COMMAND_INJECTION,
  bandit: ['B606'],
  ruff: ['S606'],
});

export const PY_PROC_007 = defineRule({
  id: 'PY-PROC-007',
  domain: 'code',
  title: 'wildcard in a tar, chmod, chown or rsync command run through a shell',
  description:
    'The shell expands `*` into the names of the files in the directory, and a file named like an option is ' +
    'read as one: `--checkpoint-action=exec=sh x.sh` for tar, `--reference=...` for chmod/chown, `-e sh x.sh` ' +
    'for rsync. Whoever can create a file in that directory (an upload, a dataset, a checkpoint folder) runs ' +
    'commands.',
  fix: 'Use `tarfile`/`shutil.make_archive`, `os.chmod`/`shutil.chown` over `pathlib.Path(...).iterdir()`, or end the options with `--` and pass `./*`; better, list the files in Python and pass them as list items without a shell.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-155'],
  owasp: [],
  bandit: ['B609'],
  ruff: ['S609'],
});

export const PY_PROC_008 = defineRule({
  id: 'PY-PROC-008',
  domain: 'code',
  title: 'command run on a remote host with paramiko exec_command',
  description:
    "`SSHClient.exec_command` runs its string through the remote user's login shell. A command built from a " +
    'host name, a path or a job parameter lets whoever chose that value run commands on the remote machine, ' +
    'often a GPU node or a training cluster with shared credentials.',
  fix: 'Build the remote command from fixed words and quote every outside value with `shlex.quote`; prefer SFTP (`client.open_sftp()`) for file transfers instead of shell commands.',
  severity: 'medium',
  confidence: 'medium',
  ...COMMAND_INJECTION,
  bandit: ['B601'],
  ruff: ['S601'],
});

export const PY_PROC_009 = defineRule({
  id: 'PY-PROC-009',
  domain: 'code',
  title: 'process started by asyncio',
  description:
    '`asyncio.create_subprocess_shell` and `loop.subprocess_shell` run a command string through `/bin/sh -c`; ' +
    '`create_subprocess_exec` and `loop.subprocess_exec` start a program directly. Async inference servers ' +
    "and agents use them to call tools: a command or program built from a request or a model's output runs " +
    'whatever that value says.',
  fix: 'Use `asyncio.create_subprocess_exec("/usr/bin/tool", "--", value)` with a fixed absolute program and outside values as separate, allow-listed arguments; never build a `create_subprocess_shell` command from outside values (or quote them with `shlex.quote`).',
  severity: 'medium',
  confidence: 'medium',
  ...COMMAND_INJECTION,
});

/** A shell flag Python reads as false: bandit counts empty containers and None as "no shell" too. */
function isFalsyShell(argument: Argument | undefined): boolean {
  if (argument === undefined) return true;
  const node = argument.node;
  if (['list', 'tuple', 'dictionary', 'set'].includes(node.type)) return node.namedChildCount === 0;
  return truthy(argument.constant) === false;
}

export const noShellCheck: CodeRule = {
  rule: PY_PROC_002,
  calls: SUBPROCESS_STARTERS,
  sink: { arguments: (call) => [argumentOf(call, 'args', 0), argumentOf(call, 'executable')] },
  check(call) {
    if (!isFalsyShell(call.keywords.get('shell'))) return undefined;
    return { message: `${call.name} starts a process without a shell` };
  },
};

const SUBPROCESS_NAMES: ReadonlySet<string> = new Set(SUBPROCESS_STARTERS);

/** The call a `shell=` keyword argument belongs to. */
function callOfKeyword(keyword: Node): Node | undefined {
  const list = keyword.parent;
  const call = list?.type === 'argument_list' ? list.parent : null;
  return call?.type === 'call' ? call : undefined;
}

export const otherShellCheck: NodeRule = {
  rule: PY_PROC_003,
  nodes: ['keyword_argument'],
  textHint: /shell/,
  check(node, site) {
    // Cheapest test first: keyword arguments are everywhere.
    if (node.childForFieldName('name')?.text !== 'shell') return undefined;
    const value = node.childForFieldName('value');
    if (value === null || truthy(constantOf(value, site.scope)) !== true) return undefined;
    const call = callOfKeyword(node);
    const callee = call?.childForFieldName('function');
    if (call === undefined || callee === null || callee === undefined) return undefined;
    // subprocess's own functions are PY-PROC-001's.
    const names = qualifiedNames(callee, site.scope, 0, true);
    if (names.some((name) => SUBPROCESS_NAMES.has(name))) return undefined;
    return { message: `${callee.text} is called with shell=True`, node: call };
  },
};

const EXEC_FUNCTIONS = ['l', 'le', 'lp', 'lpe', 'v', 've', 'vp', 'vpe'];
const OS_EXEC = EXEC_FUNCTIONS.map((suffix) => `os.exec${suffix}`);
const OS_SPAWN = [
  ...EXEC_FUNCTIONS.map((suffix) => `os.spawn${suffix}`),
  'os.posix_spawn',
  'os.posix_spawnp',
];

/** Everything but the spawn mode (`os.P_WAIT`): the program, its arguments and environment. */
function programAndArguments(call: CallSite): readonly Argument[] {
  return call.name.startsWith('os.spawn') ? call.positional.slice(1) : call.positional;
}

export const execSpawnCheck: CodeRule = {
  rule: PY_PROC_005,
  calls: [...OS_EXEC, ...OS_SPAWN, 'os.startfile', 'pty.spawn'],
  sink: { arguments: programAndArguments },
  check(call) {
    return { message: `${call.name} starts a program without a shell` };
  },
};

/** The commands whose options a file name can smuggle in through `*`, as bandit's B609 lists them. */
const WILDCARD_PRONE = /\b(?:tar|chmod|chown|rsync)\b[^;&|\n]*\*/;

/** The words of a literal command string, or of a list of literals joined with spaces (as bandit does). */
function commandText(command: Argument | undefined): string | undefined {
  if (command === undefined) return undefined;
  if (command.constant?.kind === 'string') return command.constant.value;
  if (command.node.type !== 'list' && command.node.type !== 'tuple') return undefined;
  return command.node.namedChildren.map((item) => (item === null ? '' : (literalText(item) ?? ''))).join(' ');
}

function wildcardMatch(call: CallSite, command: Argument | undefined): CodeMatch | undefined {
  const text = commandText(command);
  const found = text === undefined ? null : WILDCARD_PRONE.exec(text);
  if (found === null) return undefined;
  return { message: `${call.name} runs "${found[0]}" through a shell, which expands * into file names` };
}

export const wildcardCheck: CodeRule = {
  rule: PY_PROC_007,
  calls: [...SUBPROCESS_STARTERS, ...SYSTEM_CALLS],
  check(call) {
    // Without a shell, `*` reaches the program as a literal asterisk.
    if (SUBPROCESS_NAMES.has(call.name) && truthy(call.keywords.get('shell')?.constant) !== true)
      return undefined;
    return wildcardMatch(call, commandOf(call));
  },
};

export const paramikoCheck: CodeRule = {
  rule: PY_PROC_008,
  calls: [
    'paramiko.SSHClient().exec_command',
    'paramiko.client.SSHClient().exec_command',
    'paramiko.Transport().open_session().exec_command',
    // The client is usually a parameter or an attribute (`self.ssh`); the method name is paramiko's own.
    '?.exec_command',
  ],
  sink: { arguments: (call) => [argumentOf(call, 'command', 0)] },
  check(call) {
    return shellMatch(call, argumentOf(call, 'command', 0), 'runs');
  },
};

const ASYNC_LOOPS = ['asyncio.get_event_loop()', 'asyncio.get_running_loop()', 'asyncio.new_event_loop()'];
const ASYNC_SHELL = [
  'asyncio.create_subprocess_shell',
  'asyncio.subprocess.create_subprocess_shell',
  ...ASYNC_LOOPS.map((loop) => `${loop}.subprocess_shell`),
  '?.subprocess_shell',
];
const ASYNC_EXEC = [
  'asyncio.create_subprocess_exec',
  'asyncio.subprocess.create_subprocess_exec',
  ...ASYNC_LOOPS.map((loop) => `${loop}.subprocess_exec`),
  '?.subprocess_exec',
];

/** Where the command sits: `loop.subprocess_*` take a protocol factory first, `create_subprocess_*` do not. */
function asyncCommandIndex(call: CallSite): number {
  return call.name.includes('create_subprocess_') ? 0 : 1;
}

function asyncCommand(call: CallSite): Argument | undefined {
  return (
    call.keywords.get(call.name.endsWith('_shell') ? 'cmd' : 'program') ??
    call.positional[asyncCommandIndex(call)]
  );
}

export const asyncProcessCheck: CodeRule = {
  rule: PY_PROC_009,
  calls: [...ASYNC_SHELL, ...ASYNC_EXEC],
  sink: { arguments: (call) => [asyncCommand(call), ...call.positional.slice(asyncCommandIndex(call) + 1)] },
  check(call) {
    const command = asyncCommand(call);
    if (call.name.endsWith('_shell')) return shellMatch(call, command, 'runs');
    if (command?.constant?.kind !== 'string')
      return { message: `${call.name} starts a program that is not a literal in the source` };
    // A program and arguments all written in the source run only what their author chose.
    const words = call.positional.slice(asyncCommandIndex(call) + 1);
    if (!call.hasUnpacking && words.every((word) => word.constant?.kind === 'string')) return undefined;
    return {
      message: `${call.name} starts "${command.constant.value}" with arguments that are not literals`,
      severity: 'low',
    };
  },
};
