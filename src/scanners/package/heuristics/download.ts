import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeMatch, Site } from '../../code/call-site.js';
import type { NodeRule, RuleFamily } from '../../code/node-site.js';
import { constantOf } from '../../code/resolve.js';
import type { Scope } from '../../code/scopes.js';
import { calleeNames, foldString, positionalArguments } from './decoding.js';

export const PKG_DL_001 = defineRule({
  id: 'PKG-DL-001',
  domain: 'package',
  title: 'downloaded content is executed',
  description:
    'Content fetched over the network (requests, httpx, urllib, urllib3, `curl`/`wget` in a command) that reaches ' +
    'exec/eval/compile, a process or shell command, or is saved to a file that is then made executable, run, ' +
    'or loaded with ctypes; `pip install` of a URL at run time; and shell download cradles (`curl … | sh`, ' +
    'PowerShell `DownloadString … | iex`). This is how droppers fetch their second stage, so that the package ' +
    'itself looks harmless.',
  fix: 'Do not install the package. Code a package runs must ship inside it, pinned and reviewable; tools that really need to fetch a binary must pin its URL and verify a hash before running it.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-494', 'CWE-506'],
  owasp: ['ML06:2023'],
});

const CODE_RUNNERS = /^(?:builtins\.(?:exec|eval|compile|execfile)|runpy\.run_path)$/;
const COMMAND_RUNNERS =
  /^(?:os\.(?:system|popen\d?|exec\w+|spawn\w+|startfile|posix_spawnp?)|subprocess\.(?:Popen|call|run|check_call|check_output|getoutput|getstatusoutput)|commands\.getoutput|pty\.spawn|asyncio\.create_subprocess_(?:exec|shell))$/;
const NATIVE_LOADERS =
  /^ctypes\.(?:CDLL|PyDLL|WinDLL|OleDLL|cdll\.LoadLibrary|windll\.LoadLibrary|LibraryLoader\(\)\.LoadLibrary)$|^ctypes\.(?:cdll|windll|oledll)\.LoadLibrary$/;

/** Shell download cradles: fetch and run in one command. */
const CRADLES: readonly RegExp[] = [
  /\b(?:curl|wget|fetch)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:(?:ba|z|da|k|fi)?sh|python\d?(?:\.\d+)?|perl|ruby|node)\b/i,
  /\b(?:curl|wget)\b[^\n]*?(?:&&|;|\|\|)\s*(?:sudo\s+)?(?:chmod\s+[+0-7]*x|\.\/|(?:ba)?sh\s|python\d?\s|\/tmp\/)/i,
  /(?:downloadstring|downloadfile|invoke-webrequest|\biwr\b|invoke-restmethod|\birm\b)[^\n]*(?:\biex\b|invoke-expression|start-process|\.exe\b)/i,
  /\b(?:iex|invoke-expression)\b[^\n]*(?:downloadstring|net\.webclient|invoke-webrequest|\biwr\b)/i,
  /\bcertutil\b[^\n]*-urlcache[^\n]*(?:&&|;)/i,
  /\bmshta\b\s+https?:\/\//i,
];
const PIP_INSTALL_URL = /\bpip\d?(?:\.\d+)?["']?\s+install\b[^\n]*?(?:https?:\/\/|git\+|ftp:\/\/)/i;

/** Files known to hold downloaded content, by path key, per module (each analysis has its own module scope). */
const downloads = new WeakMap<Scope, Map<string, number>>();

function downloadsOf(scope: Scope): Map<string, number> {
  const module = scope.moduleScope();
  let found = downloads.get(module);
  if (found === undefined) {
    found = new Map();
    downloads.set(module, found);
  }
  return found;
}

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** A key that names the same file wherever it is written: the path string when known, else the expression. */
function pathKey(node: Node, scope: Scope, depth = 0): string {
  const folded = foldString(node, scope);
  if (folded !== undefined) return `"${folded.value}"`;
  if (node.type === 'identifier' && depth < 8) {
    const found = scope.lookup(node.text, node.startIndex);
    const [binding] = found?.bindings ?? [];
    if (found?.total === 1 && binding?.kind === 'value')
      return pathKey(binding.value, binding.scope, depth + 1);
  }
  return node.text.replace(/\s+/g, '');
}

export function keywordValue(call: Node, name: string): Node | undefined {
  for (const argument of call.childForFieldName('arguments')?.namedChildren ?? []) {
    if (argument?.type === 'keyword_argument' && argument.childForFieldName('name')?.text === name)
      return argument.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

/** The path a file object was opened on: `open(p, 'wb')`, `with open(p, 'wb') as f`, `Path(p).open('wb')`. */
function openedPath(node: Node | null, scope: Scope, depth = 0): Node | undefined {
  if (node === null || depth > 8) return undefined;
  if (node.type === 'call') {
    const names = calleeNames(node, scope);
    if (names.some((name) => /^(?:builtins|io|codecs)\.open$/.test(name)))
      return positionalArguments(node)[0] ?? keywordValue(node, 'file');
    const callee = node.childForFieldName('function');
    if (callee?.type === 'attribute' && callee.childForFieldName('attribute')?.text === 'open') {
      const object = callee.childForFieldName('object');
      if (object?.type === 'call') return positionalArguments(object)[0];
    }
    return undefined;
  }
  if (node.type !== 'identifier') return undefined;
  const found = scope.lookup(node.text, node.startIndex);
  const [binding] = found?.bindings ?? [];
  if (found?.bindings.length !== 1 || binding?.kind !== 'value') return undefined;
  return openedPath(binding.value, binding.scope, depth + 1);
}

/** The words of a command: a string, or a list of strings (unknown elements as their expression text). */
export function commandWords(node: Node, scope: Scope): string[] {
  if (node.type === 'list' || node.type === 'tuple')
    return node.namedChildren.flatMap((child) =>
      child === null ? [] : [foldString(child, scope)?.value ?? child.text],
    );
  const folded = foldString(node, scope);
  if (folded !== undefined) return [folded.value];
  // f-strings and `%`/`+` with unknown parts: their literal pieces are what matter.
  return [node.text];
}

/** `-o path` / `-O path` / `--output path` of curl and wget in a command, as path keys. */
function shellDownloadTargets(command: string): string[] {
  if (!/\b(?:curl|wget)\b/.test(command)) return [];
  const targets: string[] = [];
  for (const match of command.matchAll(/(?:^|\s)(?:-o|-O|--output(?:-document)?)[=\s]+["']?([^\s"'|;&]+)/g))
    if (match[1] !== undefined && match[1] !== '-') targets.push(`"${match[1]}"`);
  return targets;
}

function recordDownload(node: Node, site: Site): void {
  const scope = site.scope;
  const names = calleeNames(node, scope);
  const store = downloadsOf(scope);
  const record = (path: Node | undefined): void => {
    if (path !== undefined) store.set(pathKey(path, scope), lineOf(node));
  };
  if (
    names.some((name) =>
      /^(?:urllib\.request|urllib|six\.moves\.urllib\.request)\.urlretrieve$|^wget\.download$/.test(name),
    )
  ) {
    record(positionalArguments(node)[1] ?? keywordValue(node, 'filename') ?? keywordValue(node, 'out'));
    return;
  }
  const callee = node.childForFieldName('function');
  const method = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : undefined;
  const [first, second] = positionalArguments(node);
  if ((method === 'write' || method === 'writelines') && first !== undefined && isNetworkData(first, site)) {
    record(openedPath(callee?.childForFieldName('object') ?? null, scope));
    return;
  }
  if (
    (method === 'write_bytes' || method === 'write_text') &&
    first !== undefined &&
    isNetworkData(first, site)
  ) {
    const object = callee?.childForFieldName('object');
    if (object?.type === 'call') record(positionalArguments(object)[0]);
    return;
  }
  if (
    names.includes('shutil.copyfileobj') &&
    first !== undefined &&
    second !== undefined &&
    isNetworkData(first, site)
  ) {
    record(openedPath(second, scope));
    return;
  }
  if (names.some((name) => COMMAND_RUNNERS.test(name)) && first !== undefined) {
    for (const target of shellDownloadTargets(commandWords(first, scope).join(' ')))
      store.set(target, lineOf(node));
  }
}

function isNetworkData(node: Node, site: Site): boolean {
  return site.taint(node)?.kind === 'network';
}

const INTERPRETERS =
  /^(?:.*\/)?(?:(?:ba|z|da|k)?sh|python\d?(?:\.\d+)?w?|pythonw|perl|ruby|node|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh|start|open|xdg-open|wine|nohup|setsid|sudo|\/c|-c)$/i;

/**
 * The downloaded file a command runs, if any: as the program (first word), after an interpreter or launcher
 * (`sh x`, `python x`, `nohup x`, `sys.executable x`), or in a shell string at the start of a command (after
 * `&&`, `;`, `|`) or after `chmod +x`. A downloaded file that is only an argument (`head data.csv`) is not run.
 */
function downloadedIn(
  words: readonly string[],
  node: Node,
  scope: Scope,
): { key: string; line: number } | undefined {
  const store = downloadsOf(scope);
  if (store.size === 0) return undefined;
  const programs: string[] = [];
  if (node.type === 'list' || node.type === 'tuple') {
    const elements = node.namedChildren.filter((child): child is Node => child !== null);
    for (const [index, element] of elements.entries()) {
      const previous = elements[index - 1];
      const launcher =
        previous !== undefined &&
        (INTERPRETERS.test(foldString(previous, scope)?.value ?? '') ||
          /\bsys\.executable$/.test(previous.text));
      if (index === 0 || launcher) programs.push(pathKey(element, scope));
    }
  } else programs.push(pathKey(node, scope));
  const text = words.join(' ');
  for (const [key, line] of store) {
    if (programs.includes(key)) return { key, line };
    const literal = key.startsWith('"') ? key.slice(1, -1) : undefined;
    if (literal === undefined || literal.length < 3) continue;
    const escaped = literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const run = new RegExp(
      `(?:^|&&|;|\\|\\||\\||\\b(?:(?:ba|z)?sh|python\\d?|nohup|setsid|start|chmod\\s+[+0-7]*x)\\s+)\\s*["']?(?:\\.\\/)?${escaped}`,
    );
    if (run.test(text.trim())) return { key, line };
  }
  return undefined;
}

function describe(key: string): string {
  return key.length > 60 ? `${key.slice(0, 60)}…` : key;
}

function executesExecBit(mode: Node | undefined, scope: Scope): boolean {
  if (mode === undefined) return false;
  const constant = constantOf(mode, scope);
  if (constant?.kind === 'number') return (constant.value & 0o111) !== 0;
  return /S_IX(?:USR|GRP|OTH)|S_IEXEC|0o?[0-7]*[157][0-7]{0,2}\b|\b0?7[0-7]{2}\b/.test(mode.text);
}

function downloadAndRun(node: Node, site: Site): CodeMatch | undefined {
  const scope = site.scope;
  const names = calleeNames(node, scope);
  const args = positionalArguments(node);
  const [first] = args;
  const found = check(node, site, names, first);
  // A binary fetched and run by a library (a profiler fetching its tool) is less clear-cut than one run by
  // setup.py or on import.
  const match =
    found !== undefined && found.severity === undefined && !runsUnasked(site.file.path)
      ? { ...found, confidence: 'medium' as const }
      : found;
  // Record after checking, so that a command that both downloads and runs is judged on its cradle alone.
  recordDownload(node, site);
  return match;
  function check(
    call: Node,
    where: Site,
    callNames: readonly string[],
    argument: Node | undefined,
  ): CodeMatch | undefined {
    const code = callNames.find((name) => CODE_RUNNERS.test(name));
    const command = callNames.find((name) => COMMAND_RUNNERS.test(name));
    const native = callNames.find((name) => NATIVE_LOADERS.test(name));
    const runner = (code ?? command ?? native ?? '').replace(/^builtins\./, '');
    const executed =
      argument ??
      keywordValue(call, 'args') ??
      keywordValue(call, 'source') ??
      keywordValue(call, 'path_name');
    if (runner === '' || executed === undefined) {
      if (
        callNames.some(
          (name) =>
            name === 'pip.main' || name === 'pip._internal.main' || name === 'pip._internal.cli.main.main',
        )
      ) {
        const words = argument === undefined ? [] : commandWords(argument, scope);
        if (words.includes('install') && words.some((word) => /^(?:https?|ftp):\/\/|^git\+/.test(word)))
          return { message: `${callNames[0] ?? 'pip.main'} installs a package from a URL at run time` };
      }
      if (callNames.includes('os.chmod')) {
        const [path, mode] = args;
        if (path === undefined || !executesExecBit(mode, scope)) return undefined;
        const downloaded = downloadedIn([], path, scope);
        if (downloaded !== undefined)
          return {
            message: `os.chmod makes ${describe(downloaded.key)}, downloaded at line ${downloaded.line}, executable`,
          };
      }
      return undefined;
    }
    const source = where.taint(executed);
    if (source?.kind === 'network') {
      const what =
        code !== undefined ? 'as Python code' : native !== undefined ? 'as a native library' : 'as a command';
      return {
        message: `${runner} runs ${what} ${source.label} from line ${source.line}`,
        severity: 'critical',
      };
    }
    if (code !== undefined) {
      // exec(open(p).read()) and runpy.run_path(p) of a downloaded file.
      const opened =
        executed.type === 'call'
          ? openedPath(executed.childForFieldName('function')?.childForFieldName('object') ?? null, scope)
          : undefined;
      const target = opened ?? (runner === 'runpy.run_path' ? executed : undefined);
      const downloaded = target === undefined ? undefined : downloadedIn([], target, scope);
      if (downloaded !== undefined)
        return {
          message: `${runner} runs the file ${describe(downloaded.key)} downloaded at line ${downloaded.line}`,
          severity: 'critical',
        };
      return undefined;
    }
    const words = commandWords(executed, scope);
    const text = words.join(' ');
    const cradle = CRADLES.find((pattern) => pattern.test(text));
    if (cradle !== undefined && command !== undefined)
      return {
        message: `${runner} runs a shell command that downloads and runs code: ${shorten(text)}`,
        severity: 'critical',
      };
    if (PIP_INSTALL_URL.test(text) && command !== undefined)
      return { message: `${runner} installs a package from a URL at run time: ${shorten(text)}` };
    const downloaded = downloadedIn(words, executed, scope);
    if (downloaded !== undefined) {
      const what = native !== undefined ? 'loads as a native library' : 'runs';
      return {
        message: `${runner} ${what} ${describe(downloaded.key)}, downloaded at line ${downloaded.line}`,
      };
    }
    return undefined;
  }
}

function runsUnasked(path: string): boolean {
  return path === 'setup.py' || path.endsWith('/setup.py') || /^[^/]+\/__init__\.py$/.test(path);
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 100 ? `${line.slice(0, 100)}…` : line;
}

export const downloadAndRunCheck: NodeRule = {
  rule: PKG_DL_001,
  nodes: ['call'],
  textHint:
    /http|urlretrieve|curl|wget|iwr|invoke-|downloadstring|certutil|urlopen|requests|httpx|urllib|mshta|socket/,
  check: downloadAndRun,
};

export const DOWNLOAD_FAMILY: RuleFamily = {
  rules: [PKG_DL_001],
  calls: [],
  nodes: [downloadAndRunCheck],
};
