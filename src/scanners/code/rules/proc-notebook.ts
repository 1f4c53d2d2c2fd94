import { defineRule } from '../../../core/rule.js';
import type { CallSite, CodeMatch, CodeRule, Site } from '../call-site.js';
import type { TaintSource } from '../taint.js';

/*
 * Notebook shell escapes and magics reach the rules as the calls IPython itself makes (see notebook/ipython.ts):
 * `!cmd` is `get_ipython().system("cmd")`, `%pip install x` is `get_ipython().run_line_magic("pip", "install x")`,
 * a `%%bash` cell is `get_ipython().run_cell_magic("bash", "args", "body")`. Scripts exported from notebooks
 * (jupytext, nbconvert) contain the same calls.
 */

/** How code reaches the running IPython shell: the builtin in a kernel, or the import in an exported script. */
const IPYTHON_SHELLS = [
  'builtins.get_ipython()',
  'IPython.get_ipython()',
  'IPython.core.getipython.get_ipython()',
];

/** Qualified names of a method of the IPython shell, however the shell was reached. */
export function ipythonMethod(method: string): string[] {
  return IPYTHON_SHELLS.map((shell) => `${shell}.${method}`);
}

/** The literal string at `position`, or undefined: the translation always passes literals. */
function literalArgument(call: CallSite, position: number): string | undefined {
  const constant = call.positional[position]?.constant;
  return constant?.kind === 'string' ? unescaped(constant.value) : undefined;
}

/** The text IPython sees: the translation writes it as a JSON string, whose escapes Python shares. */
export function unescaped(written: string): string {
  try {
    return JSON.parse(`"${written}"`) as string;
  } catch {
    // Python-only escapes (`\x41`, octal) in an exported script: the written form is close enough.
    return written;
  }
}

/** A shell command an IPython call runs, and how it was written in the notebook. */
export interface NotebookCommand {
  readonly command: string;
  readonly spelling: string;
}

/** Line magics that run their argument as a shell command, like `!`. */
const SHELL_LINE_MAGICS = new Set(['system', 'sx', 'sc']);
/** Cell magics whose body a shell runs. */
const SHELL_CELL_MAGICS = new Set(['bash', 'sh', 'zsh', 'script']);

/**
 * The command text IPython expands Python values into before a shell runs it: the `!` line, the arguments of
 * `%system`/`%sx`, and only the arguments line of a shell cell magic (IPython does not expand a cell's body).
 */
function expandedCommand(call: CallSite): NotebookCommand | undefined {
  const method = call.name.slice(call.name.lastIndexOf('.') + 1);
  const first = literalArgument(call, 0);
  if (first === undefined) return undefined;
  if (method === 'system' || method === 'getoutput') return { command: first, spelling: `!${first}` };
  const args = literalArgument(call, 1);
  if (args === undefined) return undefined;
  if (method === 'run_line_magic' && SHELL_LINE_MAGICS.has(first))
    return { command: args, spelling: `%${first} ${args}` };
  if (method === 'run_cell_magic' && SHELL_CELL_MAGICS.has(first))
    return { command: args, spelling: `%%${first} ${args}` };
  return undefined;
}

export const PY_PROC_010 = defineRule({
  id: 'PY-PROC-010',
  domain: 'code',
  title: 'notebook shell command with interpolated Python values',
  description:
    'IPython substitutes `{expression}` and `$name` in `!cmd` lines, `%system`/`%sx` magics and the arguments ' +
    'of `%%bash`/`%%sh`/`%%script` cells with the Python value before a shell parses the line. A value that ' +
    'holds a space, `;`, `$(...)` or a quote (a file name from a dataset, a model id, a widget input, a ' +
    'parameter injected by papermill) runs its own commands.',
  fix: 'Run the command from Python with `subprocess.run(["wget", "-O", dest, url], check=True)`, or quote the value first: `q = shlex.quote(url)` and `!wget {q}`.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-78'],
  owasp: [],
});

/** `{expression}` (not `{{`) and `$name` (not `$$`), as IPython's formatter reads them. */
const INTERPOLATION = /(?<![{$])\{\s*([A-Za-z_]\w*)[^{}]*\}(?!\})|(?<!\$)\$\{?([A-Za-z_]\w*)/g;

/**
 * The Python names a command interpolates. IPython leaves a placeholder untouched when it does not evaluate
 * (`$HOME`, awk's `{print $1}`), so only names the notebook binds count.
 */
function interpolatedNames(command: string, call: CallSite): string[] {
  const names = new Set<string>();
  for (const found of command.matchAll(INTERPOLATION)) {
    const name = found[1] ?? found[2];
    if (name !== undefined && call.scope.lookup(name, call.node.startIndex) !== undefined) names.add(name);
  }
  return [...names];
}

/** The first untrusted source among the values the names were last assigned. */
function taintOfNames(names: readonly string[], call: CallSite, site: Site): TaintSource | undefined {
  for (const name of names) {
    for (const binding of call.scope.lookup(name, call.node.startIndex)?.bindings ?? []) {
      const source = binding.kind === 'value' ? site.taint(binding.value) : undefined;
      if (source !== undefined) return source;
    }
  }
  return undefined;
}

export const notebookShellCheck: CodeRule = {
  rule: PY_PROC_010,
  calls: ['system', 'getoutput', 'run_line_magic', 'run_cell_magic'].flatMap(ipythonMethod),
  check(call): CodeMatch | undefined {
    const expanded = expandedCommand(call);
    if (expanded === undefined) return undefined;
    const names = interpolatedNames(expanded.command, call);
    if (names.length === 0) return undefined;
    const message = `${expanded.spelling} interpolates ${names.join(', ')} into a shell command`;
    const source = taintOfNames(names, call, call);
    if (source === undefined) return { message };
    return {
      message: `${message}; it receives ${source.label} from line ${source.line}`,
      severity: 'high',
      confidence: 'high',
    };
  },
};

export const PY_SUP_006 = defineRule({
  id: 'PY-SUP-006',
  domain: 'code',
  title: 'notebook magic loading code from a URL',
  description:
    '`%load https://...` pastes code fetched from the URL into the cell, `%run` and `%install_ext` with a URL ' +
    'run or install code fetched at that moment. Whoever controls that address, its DNS or the connection ' +
    'decides what the notebook runs, and the code is not what the author reviewed.',
  fix: 'Vendor the script into the repository (or install a pinned, hash-checked package) and load it from a local path: `%run scripts/prepare_data.py`.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-494'],
  owasp: ['ML06:2023'],
});

/** Magics that read code from their argument, which may be a URL. */
const CODE_LOADING_MAGICS = new Set(['load', 'loadpy', 'run', 'install_ext']);
const URL = /\b(?:https?|ftp):\/\/\S+/;

export const remoteMagicCheck: CodeRule = {
  rule: PY_SUP_006,
  calls: ipythonMethod('run_line_magic'),
  check(call) {
    const magic = literalArgument(call, 0);
    if (magic === undefined || !CODE_LOADING_MAGICS.has(magic)) return undefined;
    const url = URL.exec(literalArgument(call, 1) ?? '');
    if (url === null) return undefined;
    return { message: `%${magic} loads code from ${url[0]}` };
  },
};
