import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeMatch, Site } from '../../code/call-site.js';
import type { NodeRule, RuleFamily } from '../../code/node-site.js';
import { constantOf } from '../../code/resolve.js';
import type { Scope } from '../../code/scopes.js';
import { calleeNames, positionalArguments } from './decoding.js';
import { commandWords, keywordValue } from './download.js';

export const PKG_PROC_001 = defineRule({
  id: 'PKG-PROC-001',
  domain: 'package',
  title: 'process started silently in the background',
  description:
    'A process started so that nobody sees it: output thrown away to DEVNULL and the child detached from the ' +
    'installer or the importing program (`start_new_session=True`, `preexec_fn=os.setsid`, `creationflags` ' +
    'with DETACHED_PROCESS or CREATE_NO_WINDOW, `close_fds=True`), shell commands ending in `>/dev/null 2>&1 &`, ' +
    '`nohup`, `setsid`, hidden PowerShell windows, `pythonw`, or the fork-and-setsid daemon idiom. Malware ' +
    'uses it to keep a payload running after `pip install` returns.',
  fix: 'Find out what the process is and why a package starts it unseen. Libraries that need a helper process should start it in the foreground, on demand, with its output logged; do not install a package whose setup.py or import starts one.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-912', 'CWE-78'],
  owasp: ['ML06:2023'],
});

const SPAWNERS =
  /^(?:subprocess\.(?:Popen|call|run|check_call|check_output)|asyncio\.create_subprocess_(?:exec|shell))$/;
const SHELLS = /^(?:os\.(?:system|popen\d?)|subprocess\.(?:getoutput|getstatusoutput)|commands\.getoutput)$/;

/** Shell commands that hide their output and outlive the caller, or hide their window. */
const SILENT_COMMANDS: readonly RegExp[] = [
  // `… >/dev/null 2>&1 &`, `… &>/dev/null &`
  /(?:>|&>)\s*\/dev\/null[^&|;]*(?:2>&1\s*)?&\s*(?:disown\b.*)?$/,
  /\bnohup\b/,
  /(?:^|[;&|]\s*|\s)setsid\s+\S/,
  /\bdisown\b/,
  /\bstart\s+\/b\b/i,
  /-w(?:indowstyle)?\s+hidden\b/i,
  /\bpythonw(?:\.exe)?\b/i,
  /(?:>|&>)\s*nul\b[^&|]*&\s*$/i,
];

function text(node: Node | undefined, scope: Scope, depth = 0): string {
  if (node === undefined) return '';
  if (node.type === 'identifier' && depth < 4) {
    const found = scope.lookup(node.text, node.startIndex);
    const [binding] = found?.bindings ?? [];
    if (found?.total === 1 && binding?.kind === 'value') return text(binding.value, binding.scope, depth + 1);
  }
  return node.text;
}

/** `subprocess.DEVNULL`, `open(os.devnull, …)`, or a name bound once to one of them. */
function isDevNull(node: Node | undefined, scope: Scope, depth = 0): boolean {
  if (node === undefined || depth > 4) return false;
  const constant = constantOf(node, scope);
  if (constant?.kind === 'reference') return constant.names.some((name) => /(?:^|\.)DEVNULL$/.test(name));
  if (node.type === 'call') {
    const [path] = positionalArguments(node);
    return (
      calleeNames(node, scope).some((name) => /^(?:builtins|io)\.open$/.test(name)) &&
      path !== undefined &&
      /devnull|\/dev\/null|^["']nul["']$/i.test(path.text)
    );
  }
  if (node.type === 'identifier') {
    const found = scope.lookup(node.text, node.startIndex);
    const [binding] = found?.bindings ?? [];
    return (
      found?.total === 1 && binding?.kind === 'value' && isDevNull(binding.value, binding.scope, depth + 1)
    );
  }
  return false;
}

function isTrue(node: Node | undefined, scope: Scope): boolean {
  if (node === undefined) return false;
  const constant = constantOf(node, scope);
  return constant?.kind === 'bool'
    ? constant.value
    : constant?.kind === 'number'
      ? constant.value !== 0
      : false;
}

/**
 * How a spawned process is detached from its parent or hidden: `strong` ways (a new session, DETACHED_PROCESS)
 * count with either output stream discarded; `weak` ones (close_fds, no console window) only with both.
 */
function detachment(call: Node, scope: Scope): { how: string; strong: boolean } | undefined {
  if (isTrue(keywordValue(call, 'start_new_session'), scope))
    return { how: 'start_new_session=True', strong: true };
  const preexec = keywordValue(call, 'preexec_fn');
  if (preexec !== undefined && /setsid|setpgrp|setpgid|daemon/i.test(text(preexec, scope)))
    return { how: `preexec_fn=${preexec.text}`, strong: true };
  const flags = keywordValue(call, 'creationflags');
  if (flags !== undefined) {
    const value = constantOf(flags, scope);
    const written = text(flags, scope);
    const numeric = value?.kind === 'number' ? value.value : undefined;
    if (
      /DETACHED_PROCESS|CREATE_BREAKAWAY_FROM_JOB|\b0x0*8\b/i.test(written) ||
      (numeric !== undefined && (numeric & 0x8) !== 0)
    )
      return { how: `creationflags=${flags.text}`, strong: true };
    if (
      /CREATE_NO_WINDOW|0x0*8000000\b|134217728/i.test(written) ||
      (numeric !== undefined && (numeric & 0x08000000) !== 0)
    )
      return { how: `creationflags=${flags.text}`, strong: false };
  }
  if (isTrue(keywordValue(call, 'close_fds'), scope)) return { how: 'close_fds=True', strong: false };
  if (
    keywordValue(call, 'startupinfo') !== undefined &&
    /SW_HIDE|wShowWindow\s*=\s*0\b/.test(call.tree.rootNode.text)
  )
    return { how: 'a hidden window (startupinfo with SW_HIDE)', strong: false };
  return undefined;
}

/** The output streams sent to DEVNULL; `stderr=STDOUT` follows stdout. */
function silencedStreams(call: Node, scope: Scope): string[] {
  const stdout = isDevNull(keywordValue(call, 'stdout'), scope);
  const stderrValue = keywordValue(call, 'stderr');
  const followsStdout =
    stderrValue !== undefined &&
    constantOf(stderrValue, scope)?.kind === 'reference' &&
    /STDOUT$/.test(stderrValue.text);
  const stderr = isDevNull(stderrValue, scope) || (stdout && followsStdout);
  return [...(stdout ? ['stdout'] : []), ...(stderr ? ['stderr'] : [])];
}

function roleSeverity(path: string): CodeMatch['severity'] {
  const setup = path === 'setup.py' || path.endsWith('/setup.py');
  const topInit = /^[^/]+\/__init__\.py$/.test(path);
  return setup || topInit ? undefined : 'medium';
}

function silentProcess(node: Node, site: Site): CodeMatch | undefined {
  const scope = site.scope;
  const names = calleeNames(node, scope);
  const severity = roleSeverity(site.file.path);
  const spawner = names.find((name) => SPAWNERS.test(name));
  const shell = names.find((name) => SHELLS.test(name));
  const first = positionalArguments(node)[0] ?? keywordValue(node, 'args');
  const command = first === undefined ? '' : commandWords(first, scope).join(' ');
  const silentCommand = SILENT_COMMANDS.find((pattern) => pattern.test(command.trim()));
  const at = (message: string): CodeMatch => ({ message, ...(severity !== undefined && { severity }) });
  if (spawner !== undefined) {
    const streams = silencedStreams(node, scope);
    const detached = detachment(node, scope);
    if (detached !== undefined && streams.length >= (detached.strong ? 1 : 2))
      return at(
        `${spawner} starts a process with ${streams.join(' and ')} sent to DEVNULL and detached (${detached.how})`,
      );
  }
  if ((spawner !== undefined || shell !== undefined) && silentCommand !== undefined)
    return at(`${spawner ?? shell} runs a command hidden in the background: ${shorten(command)}`);
  if (names.includes('os.setsid') && forksFirst(node, scope))
    return at(
      'os.fork() followed by os.setsid() detaches a daemon from the installer or the importing program',
    );
  if (
    names.some((name) => /^os\.(?:spawn\w+|startfile|posix_spawnp?)$/.test(name)) &&
    /pythonw/i.test(command)
  )
    return at(`${names[0] ?? 'os.spawn'} starts pythonw, a Python without a console window`);
  return undefined;
}

/** Whether `os.fork()` is called before this call in the same function (or module). */
function forksFirst(call: Node, scope: Scope): boolean {
  let container: Node | null = call.parent;
  while (container !== null && container.type !== 'function_definition' && container.type !== 'module')
    container = container.parent;
  if (container === null) return false;
  return container
    .descendantsOfType('call')
    .some(
      (other) =>
        other !== null && other.startIndex < call.startIndex && calleeNames(other, scope).includes('os.fork'),
    );
}

function shorten(command: string): string {
  const line = command.replace(/\s+/g, ' ').trim();
  return line.length > 100 ? `${line.slice(0, 100)}…` : line;
}

export const silentProcessCheck: NodeRule = {
  rule: PKG_PROC_001,
  nodes: ['call'],
  textHint:
    /devnull|\/dev\/null|nohup|setsid|setpgrp|disown|creationflags|startupinfo|pythonw|hidden|start \/b|>\s*nul/,
  check: silentProcess,
};

export const PROCESS_FAMILY: RuleFamily = {
  rules: [PKG_PROC_001],
  calls: [],
  nodes: [silentProcessCheck],
};
