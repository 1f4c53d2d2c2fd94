import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CallSite, CodeMatch, CodeRule } from '../../code/call-site.js';
import type { NodeRule, RuleFamily } from '../../code/node-site.js';
import { constantOf, qualifiedNames } from '../../code/resolve.js';
import type { Scope } from '../../code/scopes.js';
import {
  fileIndex,
  isDocstring,
  lineOf,
  literalText,
  wholeStringText,
  type MarkFinder,
  marksOf,
  topLevelUnit,
} from './value-marks.js';

export const PKG_RSH_001 = defineRule({
  id: 'PKG-RSH-001',
  domain: 'package',
  title: 'package opens a reverse shell',
  description:
    'Package code that hands a shell to a remote machine: a socket duplicated onto standard input, output and ' +
    'error (`os.dup2(s.fileno(), 0)`), a process started with the socket as its input or output, `pty.spawn` ' +
    'of a shell next to a socket connection, commands read from a socket and run, socket data relayed into a ' +
    "process's standard input, or the shell one-liners " +
    'attackers paste (`bash -i >& /dev/tcp/…`, `nc -e /bin/sh`, `socat … exec:`, a `mkfifo` pipe into `nc`, ' +
    'PowerShell `TCPClient`). No library has a reason to do this: whoever listens at the other end gets ' +
    "the user's account.",
  fix: "Do not install the package. On a machine where it was installed or imported, assume an attacker had interactive access with the user's rights: look for the connection and processes it started, rotate every credential the account could read, and rebuild the machine or container from a clean image.",
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-506', 'CWE-78'],
  owasp: ['ML06:2023'],
});

/** Shell one-liners that connect a shell to a remote host. */
const SHELL_PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/\/dev\/(?:tcp|udp)\/[^\s/'"]+\/\d+/, 'a shell redirected to /dev/tcp'],
  [
    /\b(?:nc|ncat|netcat)(?:\.exe)?\s[^;|&\n]*?-(?:e|c)\s*['"]?\S*(?:sh|bash|zsh|cmd(?:\.exe)?|powershell(?:\.exe)?)\b/i,
    'netcat running a shell (nc -e)',
  ],
  [
    /\b(?:ba|z|da)?sh\s+-i\s*(?:\d?>&|>\s*&|&>)/,
    'an interactive shell with its output redirected (sh -i >&)',
  ],
  [/\bsocat\b[^\n]*\bexec:/i, 'socat running a program for the connection (socat exec:)'],
  [
    /^(?:exec|system):['"]?[^,'"]*\b(?:ba|z|da)?sh\b[^,]*,(?:[^,]*,)*?\s*pty\b/i,
    'a socat address running a shell on a terminal',
  ],
  [
    /\bmkfifo\b[^\n]*\b(?:nc|ncat|netcat|telnet|openssl\s+s_client)\b/,
    'a named pipe between a shell and nc (mkfifo)',
  ],
  [/System\.Net\.Sockets\.TCPClient/i, 'a PowerShell TCPClient shell'],
];
const SHELL_HINT = /\/dev\/tcp|\/dev\/udp|nc|netcat|sh -i|socat|exec:|system:|mkfifo|tcpclient/;

function checkShellString(node: Node): CodeMatch | undefined {
  // Parts of an implicit concatenation are checked as a whole.
  const text = wholeStringText(node);
  if (text === undefined) return undefined;
  for (const [pattern, what] of SHELL_PATTERNS) {
    const found = pattern.exec(text);
    if (found === null) continue;
    if (isDocstring(node))
      return {
        message: `a docstring shows ${what} (${found[0]})`,
        severity: 'medium',
        confidence: 'low',
        evidence: found[0],
      };
    return { message: `${what}: ${found[0]}` };
  }
  return undefined;
}

const shellStringCheck: NodeRule = {
  rule: PKG_RSH_001,
  nodes: ['string', 'concatenated_string'],
  textHint: SHELL_HINT,
  check: (node) => checkShellString(node),
};

/** Calls that make a connected or listening socket (and the connection `accept` returns). */
const SOCKET_MAKERS = new Set([
  'socket.socket',
  'socket.create_connection',
  'socket.fromfd',
  'ssl.wrap_socket',
  'ssl.SSLContext().wrap_socket',
  'ssl.create_default_context().wrap_socket',
]);

const socketFinder: MarkFinder = (node, scope) => {
  if (node.type !== 'call') return undefined;
  const callee = node.childForFieldName('function');
  if (callee === null) return undefined;
  return qualifiedNames(callee, scope).some((name) => SOCKET_MAKERS.has(name))
    ? [{ kind: 'socket', label: 'a socket', line: lineOf(node) }]
    : undefined;
};

function isSocket(node: Node, scope: Scope): boolean {
  return marksOf(node, scope, socketFinder).length > 0;
}

/**
 * A standard stream: `0`, `1`, `2`, `sys.stdout.fileno()`, or a name that is not a known other number (the loop
 * variable of `for fd in (0, 1, 2)`).
 */
function isStandardStream(node: Node | undefined, scope: Scope): boolean {
  if (node === undefined) return false;
  const value = constantOf(node, scope);
  if (value?.kind === 'number') return value.value >= 0 && value.value <= 2;
  if (node.type === 'identifier') return true;
  return /\bsys\.(?:__)?std(?:in|out|err)(?:__)?\.fileno\(\)$/.test(node.text);
}

const dup2Check: CodeRule = {
  rule: PKG_RSH_001,
  calls: ['os.dup2'],
  check(call) {
    const [source, target] = call.positional;
    if (source === undefined || !isStandardStream(target?.node, call.scope)) return undefined;
    if (!isSocket(source.node, call.scope)) return undefined;
    return {
      message: `os.dup2 puts a socket on standard stream ${target?.node.text ?? ''}: a shell started next talks to the remote end`,
    };
  },
};

const PROCESS_CALLS = ['Popen', 'call', 'run', 'check_call', 'check_output'].map(
  (name) => `subprocess.${name}`,
);

const SOCKET_READ = /^data read from a socket/;

/** A process with a socket as a standard stream, or running commands read from a socket. */
const processCheck: CodeRule = {
  rule: PKG_RSH_001,
  calls: [...PROCESS_CALLS, 'os.system', 'os.popen', 'subprocess.getoutput', 'subprocess.getstatusoutput'],
  check(call) {
    for (const stream of ['stdin', 'stdout', 'stderr']) {
      const argument = call.keywords.get(stream);
      if (argument !== undefined && isSocket(argument.node, call.scope))
        return { message: `${call.name} runs a program with a socket as its ${stream}` };
    }
    const command = call.positional[0] ?? call.keywords.get('args');
    if (command === undefined) return undefined;
    const source = call.taint(command.node);
    if (source === undefined || !SOCKET_READ.test(source.label)) return undefined;
    return { message: `${call.name} runs commands read from a socket (line ${source.line}): a remote shell` };
  },
};

const SHELLS = /(?:^|\/)(?:ba|z|da|k|c|tc)?sh$|^(?:cmd|powershell|pwsh)(?:\.exe)?$/i;
const CONNECTORS = new Set([
  'socket.socket().connect',
  'socket.socket().connect_ex',
  'socket.create_connection',
]);

/** Whether the top-level unit of `node` also connects a socket. */
function connectsNearby(node: Node): boolean {
  const unit = topLevelUnit(node);
  return fileIndex(node).calls.some(({ node: call, scope }) => {
    if (topLevelUnit(call) !== unit) return false;
    const callee = call.childForFieldName('function');
    return callee !== null && qualifiedNames(callee, scope).some((name) => CONNECTORS.has(name));
  });
}

function shellOf(call: CallSite): string | undefined {
  const first = call.positional[0]?.constant;
  if (first?.kind === 'string' && SHELLS.test(first.value)) return first.value;
  const node = call.positional[0]?.node;
  if (node?.type !== 'list') return undefined;
  const head = node.namedChildren[0];
  if (head?.type !== 'string') return undefined;
  const text = literalText(head);
  return SHELLS.test(text) ? text : undefined;
}

const ptyCheck: CodeRule = {
  rule: PKG_RSH_001,
  calls: ['pty.spawn'],
  check(call) {
    const shell = shellOf(call);
    if (shell === undefined || !connectsNearby(call.node)) return undefined;
    return {
      message: `pty.spawn starts ${shell} in code that connects a socket: an interactive remote shell`,
    };
  },
};

/** Data received from a socket: `sock.recv(1024)`, whatever `sock` is (a thread's parameter, say). */
const receivedFinder: MarkFinder = (node) => {
  if (node.type !== 'call') return undefined;
  const callee = node.childForFieldName('function');
  const method = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : undefined;
  return method === 'recv' || method === 'recvfrom'
    ? [{ kind: 'received', label: 'data received from a socket', line: lineOf(node) }]
    : undefined;
};

/** Socket data fed to a process's standard input: the relay threads of a Windows-style reverse shell. */
const relayCheck: CodeRule = {
  rule: PKG_RSH_001,
  calls: ['subprocess.Popen().stdin.write', '?.stdin.write'],
  check(call) {
    const data = call.positional[0];
    if (data === undefined) return undefined;
    const [received] = marksOf(data.node, call.scope, receivedFinder);
    if (received === undefined) return undefined;
    return {
      message: `${call.name} feeds a process the ${received.label} (line ${received.line}): a shell driven from the network`,
    };
  },
};

export const REVERSE_SHELL_FAMILY: RuleFamily = {
  rules: [PKG_RSH_001],
  calls: [dup2Check, processCheck, ptyCheck, relayCheck],
  nodes: [shellStringCheck],
};
