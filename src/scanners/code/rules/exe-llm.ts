import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import {
  argumentOf,
  callSite,
  type Argument,
  type CallSite,
  type CodeMatch,
  type CodeRule,
  type Site,
} from '../call-site.js';
import { constantOf, qualifiedNames } from '../resolve.js';
import type { Scope } from '../scopes.js';

export const PY_EXE_010 = defineRule({
  id: 'PY-EXE-010',
  domain: 'code',
  title: 'LLM output runs as code or as a command',
  description:
    "An LLM's answer is text an attacker can steer through prompt injection (a web page, a document, a dataset " +
    'row the model reads). LangChain `PythonREPL`/`PythonREPLTool`/`PythonAstREPLTool`, DataFrame agents with ' +
    '`allow_dangerous_code=True`, `LLMMathChain` (numexpr) and any `exec`, `eval`, `os.system` or `subprocess` ' +
    'call fed with model output run that text in the process, so whoever controls the model input controls ' +
    'the machine.',
  fix: 'Do not run model output: give the agent narrow tools that take typed arguments, validate them against an allow-list, or run generated code only in a sandbox with no credentials or network (a separate container, E2B, a WebAssembly Python), never with `allow_dangerous_code=True` in the serving process.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-94'],
  owasp: [],
});

const LANGCHAIN_PACKAGES = ['langchain', 'langchain_experimental', 'langchain_community'];
const inLangchain = (names: readonly string[]): string[] =>
  LANGCHAIN_PACKAGES.flatMap((module) => names.map((name) => `${module}.*.${name}`));

/** LangChain tools and chains whose purpose is to run the code or expression the model writes. */
const CODE_RUNNING_TOOLS = inLangchain([
  'PythonREPL',
  'PythonREPLTool',
  'PythonAstREPLTool',
  'LLMMathChain',
  'LLMMathChain.from_llm',
  'LLMSymbolicMathChain',
  'LLMSymbolicMathChain.from_llm',
  'create_python_agent',
]);
/** Agent factories that get a Python REPL tool when `allow_dangerous_code=True`. */
const DATAFRAME_AGENTS = inLangchain([
  'create_pandas_dataframe_agent',
  'create_csv_agent',
  'create_spark_dataframe_agent',
  'create_xorbits_agent',
]);
/** `load_tools([...])`, which builds tools by name; these names give the model a code or expression runner. */
const TOOL_LOADERS = inLangchain(['load_tools']);
const CODE_RUNNING_TOOL_NAMES = new Set(['python_repl', 'llm-math', 'terminal']);

/** Calls that run their first argument as code or as a command line. */
const CODE_AND_COMMAND_RUNNERS = [
  'builtins.exec',
  'builtins.eval',
  'builtins.compile',
  'os.system',
  'os.popen',
  'subprocess.Popen',
  'subprocess.run',
  'subprocess.call',
  'subprocess.check_call',
  'subprocess.check_output',
  'subprocess.getoutput',
  'subprocess.getstatusoutput',
  'numexpr.evaluate',
];

export const llmCodeExecutionCheck: CodeRule = {
  rule: PY_EXE_010,
  calls: [...CODE_RUNNING_TOOLS, ...DATAFRAME_AGENTS, ...TOOL_LOADERS, ...CODE_AND_COMMAND_RUNNERS],
  check(call) {
    const tool = call.name.replace(/^.*?\.(\w+(?:\.from_llm)?)$/, '$1');
    if (tool === 'load_tools') return toolLoaderMatch(call);
    if (CODE_RUNNING_TOOLS.some((pattern) => pattern.endsWith(`.${tool}`)))
      return { message: `${tool} runs code or expressions written by the LLM in this process` };
    if (DATAFRAME_AGENTS.some((pattern) => pattern.endsWith(`.${tool}`))) {
      const allowed = call.keywords.get('allow_dangerous_code')?.constant;
      if (allowed?.kind !== 'bool' || !allowed.value) return undefined;
      return { message: `${tool}(allow_dangerous_code=True) gives the LLM a Python REPL in this process` };
    }
    const [code] = call.positional;
    const argument: Argument | undefined = code ?? argumentOf(call, 'args') ?? argumentOf(call, 'ex');
    if (argument === undefined) return undefined;
    // File reads do not count: this rule is about the model's text, other EXE rules cover scripts read from disk.
    const source = call.taint(argument.node, { fileReads: false });
    if (source?.kind !== 'llm') return undefined;
    return {
      message: `${call.name.replace(/^builtins\./, '')} runs ${source.label} from line ${source.line}`,
    };
  },
};

/** `load_tools(["python_repl", "serpapi"])`: reported when a literal tool name runs code or commands. */
function toolLoaderMatch(call: CallSite): CodeMatch | undefined {
  const names = argumentOf(call, 'tool_names', 0)?.node;
  if (names?.type !== 'list' && names?.type !== 'tuple') return undefined;
  for (const item of names.namedChildren) {
    const name = item === null ? undefined : constantOf(item, call.scope);
    if (name?.kind === 'string' && CODE_RUNNING_TOOL_NAMES.has(name.value))
      return { message: `load_tools with "${name.value}" lets the LLM run code or commands in this process` };
  }
  return undefined;
}

export const PY_EXE_011 = defineRule({
  id: 'PY-EXE-011',
  domain: 'code',
  title: 'obfuscated code execution',
  description:
    '`exec`, `eval` or `compile` of data decoded on the spot (`base64`, `zlib`, `bz2`, `lzma`, `codecs`, ' +
    '`binascii`, `bytes.fromhex`, `marshal.loads`), and `__import__("os").system(...)`-style chains, hide what ' +
    'runs from readers and reviewers. Legitimate code has no reason to do this; it is the signature of ' +
    'malicious packages, backdoored notebooks and poisoned `setup.py` files.',
  fix: 'Remove the code, and treat the package, notebook or commit it came from as compromised until reviewed: decode the payload offline (never by running it) to see what it does, and rotate any credentials the environment held.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-506'],
  owasp: [],
});

/** Functions that turn an opaque string into code or text, by module. */
const DECODERS = new Set([
  ...[
    'b64decode',
    'b32decode',
    'b16decode',
    'b85decode',
    'a85decode',
    'decodebytes',
    'decodestring',
    'standard_b64decode',
    'urlsafe_b64decode',
  ].map((name) => `base64.${name}`),
  ...['zlib', 'bz2', 'lzma', 'gzip'].map((module) => `${module}.decompress`),
  'codecs.decode',
  'binascii.unhexlify',
  'binascii.a2b_base64',
  'binascii.a2b_hex',
  'builtins.bytes.fromhex',
  'builtins.bytearray.fromhex',
  'marshal.loads',
]);
/** How the resolver names the attributes of `__import__(...)`'s result. */
const HIDDEN_IMPORT = 'builtins.__import__()';
/** Nested expressions looked at for a decoder: enough for `exec(compile(zlib.decompress(b64decode(x)), …))`. */
const MAX_NESTING = 8;

/** Process-starting functions reached through `__import__("os")` without an import statement. */
const HIDDEN_IMPORT_RUNNERS = [
  ...['system', 'popen', 'execv', 'execve', 'execl', 'execvp', 'spawnl', 'spawnv', 'spawn'],
  ...['Popen', 'run', 'call', 'check_call', 'check_output', 'getoutput'],
].map((name) => `${HIDDEN_IMPORT}.${name}`);
/** Modules whose process starters `__import__("os").system(...)` reaches. */
const PROCESS_MODULES = new Set(['os', 'subprocess', 'pty', 'posix', 'nt']);

export const obfuscatedExecutionCheck: CodeRule = {
  rule: PY_EXE_011,
  calls: ['builtins.exec', 'builtins.eval', 'builtins.compile', ...HIDDEN_IMPORT_RUNNERS],
  check(call) {
    if (call.name.startsWith(`${HIDDEN_IMPORT}.`)) return hiddenImportMatch(call);
    // eval(compile(decoded, …)) is one finding, on the outer call.
    if (call.name === 'builtins.compile' && isArgumentOfRunner(call)) return undefined;
    const [code] = call.positional;
    const argument = code ?? argumentOf(call, 'source');
    if (argument === undefined) return undefined;
    const decoder = decoderIn(argument.node, call, 0);
    if (decoder === undefined) return undefined;
    return {
      message: `${call.name.replace(/^builtins\./, '')}() runs code decoded with ${decoder}, hiding what it runs`,
    };
  },
};

/** The call is an argument of a direct `exec(...)` or `eval(...)`, which reports the decoded code itself. */
function isArgumentOfRunner(call: CallSite): boolean {
  const outer = call.node.parent?.parent;
  const callee = outer?.type === 'call' ? outer.childForFieldName('function') : null;
  if (callee === null || call.node.parent?.type !== 'argument_list') return false;
  return qualifiedNames(callee, call.scope).some(
    (name) => name === 'builtins.exec' || name === 'builtins.eval',
  );
}

/** `__import__("os").system(...)`: only a literal module that starts processes is the known evasion. */
function hiddenImportMatch(call: CallSite) {
  const module = hiddenImportModule(call.node, call.scope);
  if (module === undefined || !PROCESS_MODULES.has(module)) return undefined;
  const method = call.name.slice(HIDDEN_IMPORT.length + 1);
  return { message: `__import__("${module}").${method}() starts a process without an import statement` };
}

/** For `__import__("m").f(...)`, the literal module name `m`. */
function hiddenImportModule(call: Node, scope: Scope): string | undefined {
  const importCall = call.childForFieldName('function')?.childForFieldName('object');
  const [module] = importCall?.childForFieldName('arguments')?.namedChildren ?? [];
  const name = module === null || module === undefined ? undefined : constantOf(module, scope);
  return name?.kind === 'string' ? name.value : undefined;
}

/** Codecs that hide text (`rot13`, `base64`, `hex`, `zlib`), as opposed to character sets such as `utf-8`. */
const OBFUSCATING_CODEC = /^(?:rot.?13|base.?64|hex|zlib|zip|bz2|uu|quopri)(?:_codec)?$/i;

/** `codecs.decode(data, "rot13")`: a literal encoding that hides text. */
function isObfuscatingCodec(call: Node, site: Site): boolean {
  const encoding = argumentOf(callSite('codecs.decode', call, site), 'encoding', 1)?.constant;
  return encoding?.kind === 'string' && OBFUSCATING_CODEC.test(encoding.value);
}

/** The decoder a call resolves to: a name in DECODERS, also when reached through `__import__("base64")`. */
function decoderName(call: Node, name: string, site: Site): string | undefined {
  const resolved = name.startsWith(`${HIDDEN_IMPORT}.`)
    ? `${hiddenImportModule(call, site.scope) ?? HIDDEN_IMPORT}.${name.slice(HIDDEN_IMPORT.length + 1)}`
    : name;
  if (!DECODERS.has(resolved)) return undefined;
  if (resolved === 'codecs.decode' && !isObfuscatingCodec(call, site)) return undefined;
  return resolved.replace(/^builtins\./, '');
}

/** The decoder a value is produced by, looking through nested calls and one assignment of a local name. */
function decoderIn(node: Node, site: Site, depth: number): string | undefined {
  if (depth > MAX_NESTING) return undefined;
  if (node.type === 'identifier') {
    const found = site.scope.lookup(node.text, node.startIndex);
    const [binding] = found?.bindings ?? [];
    if (found?.bindings.length !== 1 || binding?.kind !== 'value') return undefined;
    return decoderIn(binding.value, { ...site, scope: binding.scope }, depth + 1);
  }
  if (node.type === 'call') {
    const callee = node.childForFieldName('function');
    for (const name of callee === null ? [] : qualifiedNames(callee, site.scope)) {
      const decoder = decoderName(node, name, site);
      if (decoder !== undefined) return decoder;
    }
    // `b64decode(x).decode()` and `compile(zlib.decompress(x), …)`: the decoder is inside.
    const inner = [
      callee?.childForFieldName('object'),
      ...(node.childForFieldName('arguments')?.namedChildren ?? []),
    ];
    for (const child of inner) {
      if (child === null || child === undefined) continue;
      const found = decoderIn(
        child.type === 'keyword_argument' ? (child.childForFieldName('value') ?? child) : child,
        site,
        depth + 1,
      );
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (node.type === 'parenthesized_expression' || node.type === 'await') {
    const inner = node.firstNamedChild;
    return inner === null ? undefined : decoderIn(inner, site, depth + 1);
  }
  return undefined;
}
