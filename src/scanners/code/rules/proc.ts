import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { argumentOf, type Argument, type CallSite, type CodeRule } from '../call-site.js';
import type { Constant } from '../resolve.js';

/** What bandit's B602-B605 and ruff's S602-S605 share: a command line handed to a shell. */
const SHELL_COMMAND = {
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-78'],
  owasp: [],
} as const;

export const PY_PROC_001 = defineRule({
  id: 'PY-PROC-001',
  domain: 'code',
  title: 'subprocess call with shell=True',
  description:
    '`subprocess.Popen`, `run`, `call`, `check_call` and `check_output` with `shell=True` hand the command to ' +
    '`/bin/sh -c`, which expands `;`, `|`, `$(...)` and quotes. A command built from a file name, a dataset ' +
    'path, a model id or any other outside value lets whoever chose that value run their own commands.',
  fix: 'Pass the command as a list of arguments without `shell=True`: `subprocess.run(["git", "clone", url, dest], check=True)`. If a shell is truly needed, quote every outside value with `shlex.quote`.',
  ...SHELL_COMMAND,
  bandit: ['B602'],
  ruff: ['S602'],
});

export const PY_PROC_004 = defineRule({
  id: 'PY-PROC-004',
  domain: 'code',
  title: 'command run through a shell by os.system, os.popen and friends',
  description:
    '`os.system`, `os.popen` (and `popen2`/`popen3`/`popen4`), `subprocess.getoutput`, ' +
    '`subprocess.getstatusoutput` and the Python 2 `popen2` and `commands` modules always run their command ' +
    'through `/bin/sh -c` (or `cmd.exe`), so a command built from an outside value lets whoever chose it run ' +
    'their own commands.',
  fix: 'Use `subprocess.run([...], check=True)` with a list of arguments and no shell; read output with `capture_output=True, text=True`. Quote any value that must reach a shell with `shlex.quote`.',
  ...SHELL_COMMAND,
  bandit: ['B605'],
  ruff: ['S605'],
});

export const SUBPROCESS_STARTERS = ['Popen', 'run', 'call', 'check_call', 'check_output'].map(
  (name) => `subprocess.${name}`,
);

/** Python's truth value of a constant, or undefined when it is not statically known. */
export function truthy(constant: Constant | undefined): boolean | undefined {
  switch (constant?.kind) {
    case 'bool':
      return constant.value;
    case 'number':
      return constant.value !== 0;
    case 'string':
      return constant.value !== '';
    case 'none':
      return false;
    default:
      return undefined;
  }
}

/** The command as the shell receives it: only a string written in the source is fixed by the author. */
function isLiteralCommand(command: Argument | undefined): boolean {
  return command?.constant?.kind === 'string';
}

/** A literal command runs only what the author wrote: still a shell, but nobody else chooses what it runs. */
export function shellMatch(call: CallSite, command: Argument | undefined, what: string) {
  if (isLiteralCommand(command))
    return { message: `${call.name} ${what} a fixed command through a shell`, severity: 'low' as const };
  return { message: `${call.name} ${what} a command that is not a literal in the source through a shell` };
}

export const shellTrueCheck: CodeRule = {
  rule: PY_PROC_001,
  calls: SUBPROCESS_STARTERS,
  sink: { arguments: (call) => [argumentOf(call, 'args', 0)] },
  check(call) {
    // shell=<variable> is not reported: whether a shell runs is not known statically.
    if (truthy(call.keywords.get('shell')?.constant) !== true) return undefined;
    return shellMatch(call, argumentOf(call, 'args', 0), 'with shell=True runs');
  },
};

/** Functions that always hand their command string to a shell. */
export const SYSTEM_CALLS = [
  'os.system',
  'os.popen',
  'os.popen2',
  'os.popen3',
  'os.popen4',
  'popen2.popen2',
  'popen2.popen3',
  'popen2.popen4',
  'popen2.Popen3',
  'popen2.Popen4',
  'commands.getoutput',
  'commands.getstatusoutput',
  'subprocess.getoutput',
  'subprocess.getstatusoutput',
];

/** The command argument: `args` for subprocess, `cmd`/`command` for the shell helpers, else the first. */
export function commandOf(call: CallSite): Argument | undefined {
  return argumentOf(call, 'args', 0) ?? argumentOf(call, 'cmd') ?? argumentOf(call, 'command');
}

export const systemCallCheck: CodeRule = {
  rule: PY_PROC_004,
  calls: SYSTEM_CALLS,
  sink: { arguments: (call) => [commandOf(call)] },
  check(call) {
    return shellMatch(call, commandOf(call), 'runs');
  },
};

export const PY_PROC_006 = defineRule({
  id: 'PY-PROC-006',
  domain: 'code',
  title: 'process started with a partial executable path',
  description:
    'A command whose program is a bare name (`"curl"`, `["nvidia-smi", ...]`) is looked up in `PATH` when it ' +
    'runs. Whoever can put a directory early in `PATH` (a virtualenv, a writable `~/.local/bin`, a CI ' +
    'step, a notebook kernel environment) decides which program that is.',
  fix: 'Resolve the program once to an absolute path you trust (`shutil.which("curl", path="/usr/bin:/bin")` checked against an expected directory, or a configured absolute path) and start that, or run with a controlled `env={"PATH": "/usr/bin:/bin"}`.',
  severity: 'low',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-426'],
  owasp: [],
  bandit: ['B607'],
  ruff: ['S607'],
});

/** The text of a string literal without interpolations, or undefined. */
export function literalText(node: Node): string | undefined {
  if (node.type !== 'string') return undefined;
  let text = '';
  for (const part of node.namedChildren) {
    if (part?.type === 'interpolation') return undefined;
    if (part?.type === 'string_content') text += part.text;
  }
  return text;
}

/** The program a literal command starts: the first word of a command string, or the first item of a list. */
function literalProgram(command: Argument): string | undefined {
  if (command.constant?.kind === 'string') return command.constant.value.trimStart().split(/\s/, 1)[0];
  if (command.node.type !== 'list' && command.node.type !== 'tuple') return undefined;
  const first = command.node.firstNamedChild;
  return first === null ? undefined : literalText(first);
}

/** POSIX absolute paths and Windows drive or UNC paths, as bandit's B607 tells them apart. */
const ABSOLUTE_PATH = /^(?:\/|[A-Za-z]:[\\/]|\\\\)/;

export const partialPathCheck: CodeRule = {
  rule: PY_PROC_006,
  calls: [...SUBPROCESS_STARTERS, ...SYSTEM_CALLS],
  check(call) {
    // An explicit executable= decides the program whatever the first word says.
    if (call.keywords.has('executable')) return undefined;
    const command = commandOf(call);
    const program = command === undefined ? undefined : literalProgram(command);
    if (program === undefined || program === '' || ABSOLUTE_PATH.test(program)) return undefined;
    return { message: `${call.name} starts "${program}", which is looked up in PATH` };
  },
};
