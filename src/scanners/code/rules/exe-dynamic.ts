import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { argumentOf, everyCall, type Argument, type CallSite, type CodeRule } from '../call-site.js';
import { constantOf, isLiteral } from '../resolve.js';
import type { Scope } from '../scopes.js';

export const PY_EXE_003 = defineRule({
  id: 'PY-EXE-003',
  domain: 'code',
  title: 'interactive interpreter or sub-interpreter runs code',
  description:
    '`code.interact()` opens a Python console on the process, and `InteractiveInterpreter.runsource`/`runcode`, ' +
    '`InteractiveConsole.push` and the sub-interpreter `run_string`/`exec` functions run the text they are ' +
    'given as Python. Left in a served app, a notebook helper or an agent tool, they give whoever writes that ' +
    'text (or reaches the console) the process.',
  fix: 'Remove debugging consoles from code that is deployed; run only reviewed code by importing it as a module, and parse data with `ast.literal_eval` or `json.loads` instead of running it.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-95'],
  owasp: [],
});

/** Methods of `code.InteractiveInterpreter`/`InteractiveConsole` objects that run the source they receive. */
const INTERPRETER_RUNNERS = ['InteractiveInterpreter', 'InteractiveConsole'].flatMap((kind) =>
  ['runsource', 'runcode', 'push'].map((method) => `code.${kind}().${method}`),
);
const SUBINTERPRETER_RUNNERS = [
  '_testcapi.run_in_subinterp',
  '_xxsubinterpreters.run_string',
  '_interpreters.run_string',
  '_interpreters.exec',
  'concurrent.interpreters.create().exec',
];
const CONSOLES = ['code.interact', 'code.InteractiveConsole().interact'];

export const interactiveCodeCheck: CodeRule = {
  rule: PY_EXE_003,
  calls: [...CONSOLES, ...INTERPRETER_RUNNERS, ...SUBINTERPRETER_RUNNERS],
  sink: { arguments: (call) => [sourceArgument(call)] },
  check(call) {
    if (CONSOLES.includes(call.name))
      return { message: `${call.name}() opens an interactive Python console on the process` };
    const source = sourceArgument(call);
    // runsource("x = 1") runs only what the author wrote.
    if (source === undefined || isLiteral(source.constant)) return undefined;
    return { message: `${call.name} runs a value that is not a literal in the source as Python code` };
  },
};

/** The code a runner executes: `source`/`code`/`line`/`script` by keyword, else the first (second for ids). */
function sourceArgument(call: CallSite): Argument | undefined {
  // The sub-interpreter functions take the interpreter id first.
  const position = call.name.startsWith('_interpreters.') || call.name.startsWith('_xxsub') ? 1 : 0;
  return (
    argumentOf(call, 'source', position) ??
    argumentOf(call, 'code') ??
    argumentOf(call, 'line') ??
    argumentOf(call, 'script')
  );
}

export const PY_EXE_004 = defineRule({
  id: 'PY-EXE-004',
  domain: 'code',
  title: 'dynamic import of a module named by a non-literal',
  description:
    '`importlib.import_module(name)`, `__import__(name)` and `importlib.__import__(name)` import, and so run, ' +
    'whatever module the name designates. When the name comes from a request, a config file or a model card ' +
    '(a `model_type`, a plugin or a tokenizer class), whoever chooses it picks which code on `sys.path` runs, ' +
    'including a module they managed to write there.',
  fix: 'Map the allowed names to modules with a fixed table (`PLUGINS = {"bert": "myproj.models.bert"}`) and import only from that table, or check the name against an allow-list before importing.',
  severity: 'medium',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-470'],
  owasp: [],
});

export const dynamicImportCheck: CodeRule = {
  rule: PY_EXE_004,
  calls: ['importlib.import_module', 'importlib.__import__', 'builtins.__import__', '__builtin__.__import__'],
  sink: { arguments: (call) => [argumentOf(call, 'name', 0)] },
  check(call) {
    const name = argumentOf(call, 'name', 0);
    if (name === undefined || isLiteral(name.constant) || isTableLookup(name.node, call.scope))
      return undefined;
    // f"transformers.models.{kind}" can only reach modules of one package the author chose.
    const prefix = fixedPackagePrefix(name.node);
    if (prefix !== undefined)
      return {
        message: `${importer(call)} imports a module whose name is not a literal but starts with "${prefix}"`,
        severity: 'low',
      };
    return { message: `${importer(call)} imports a module whose name is not a literal in the source` };
  },
};

/**
 * `PLUGINS[name]` or `PLUGINS.get(name)` where `PLUGINS` is bound once to a dict, list or tuple of string
 * literals: the allow-list the fix recommends, so only the author's module names can be imported.
 */
function isTableLookup(node: Node, scope: Scope): boolean {
  const table =
    node.type === 'subscript'
      ? node.childForFieldName('value')
      : node.type === 'call' &&
          node.childForFieldName('function')?.childForFieldName('attribute')?.text === 'get'
        ? (node.childForFieldName('function')?.childForFieldName('object') ?? null)
        : null;
  if (table?.type !== 'identifier') return false;
  const found = scope.lookup(table.text, table.startIndex);
  const [binding] = found?.bindings ?? [];
  if (found?.total !== 1 || binding?.kind !== 'value') return false;
  const entries =
    binding.value.type === 'dictionary'
      ? binding.value.namedChildren.map((pair) => pair?.childForFieldName('value') ?? null)
      : binding.value.type === 'list' || binding.value.type === 'tuple'
        ? binding.value.namedChildren
        : [];
  return (
    entries.length > 0 &&
    entries.every((entry) => entry !== null && constantOf(entry, binding.scope)?.kind === 'string')
  );
}

/** The importer as written in Python: `__import__` rather than its resolved `builtins.__import__`. */
function importer(call: CallSite): string {
  return call.name.replace(/^(?:builtins|__builtin__)\./, '');
}

/** The literal package a built module name starts with (`f"pkg.models.{x}"`, `"." + x`), if any. */
function fixedPackagePrefix(node: Node): string | undefined {
  if (node.type === 'binary_operator' && node.childForFieldName('operator')?.text === '+') {
    const left = node.childForFieldName('left');
    return left === null ? undefined : fixedPackagePrefix(left);
  }
  if (node.type !== 'string') return undefined;
  const first = node.namedChildren.find((part) => part?.type !== 'string_start');
  if (first?.type !== 'string_content') return undefined;
  return first.text.endsWith('.') ? first.text : undefined;
}

export const PY_EXE_005 = defineRule({
  id: 'PY-EXE-005',
  domain: 'code',
  title: 'pandas eval or query of a non-literal expression',
  description:
    '`pandas.eval(expr)`, `DataFrame.eval(expr)` and `DataFrame.query(expr)` evaluate their expression. The ' +
    'expression language allows attribute access and calls on local variables (`@name`) and, with ' +
    "`engine='python'`, is Python itself, so an expression built from a request, a dashboard filter or a label " +
    'name can reach `os.system` through a module attribute and run code in the process.',
  fix: "Filter with boolean masks on columns instead of text: `df[df[column] == value]` or `df.loc[df['label'].isin(allowed)]`; if `query` must be used, keep the expression a literal and pass values as `@name` local variables.",
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-95'],
  owasp: [],
});

/** Pandas functions that make DataFrames, whose `query`/`eval` methods evaluate text. */
const DATAFRAME_MAKERS = [
  'DataFrame',
  'read_csv',
  'read_table',
  'read_parquet',
  'read_json',
  'read_excel',
  'read_feather',
  'read_orc',
  'read_sql',
  'read_sql_query',
  'read_sql_table',
  'read_pickle',
  'read_hdf',
  'read_fwf',
  'read_html',
  'concat',
  'merge',
  'json_normalize',
].map((maker) => `pandas.${maker}()`);

export const pandasEvalCheck: CodeRule = {
  rule: PY_EXE_005,
  calls: [
    'pandas.eval',
    // `*` also reaches chained results: `pd.read_csv(p).dropna().query(expr)`.
    ...DATAFRAME_MAKERS.flatMap((frame) => [`${frame}.query`, `${frame}.eval`]),
    ...DATAFRAME_MAKERS.flatMap((frame) => [`${frame}.*.query`, `${frame}.*.eval`]),
  ],
  sink: { arguments: (call) => [argumentOf(call, 'expr', 0)] },
  check(call) {
    const expression = argumentOf(call, 'expr', 0);
    if (expression === undefined || isLiteral(expression.constant)) return undefined;
    const what =
      call.name === 'pandas.eval' ? 'pandas.eval' : `DataFrame.${call.name.split('.').pop() ?? ''}`;
    return { message: `${what} evaluates an expression that is not a literal in the source` };
  },
};

export const PY_EXE_007 = defineRule({
  id: 'PY-EXE-007',
  domain: 'code',
  title: 'numpy.f2py.compile of non-literal Fortran source',
  description:
    '`numpy.f2py.compile(source, modulename)` compiles Fortran (or C) source into an extension module that the ' +
    'program then imports: native code with no sandbox. Source that is not written in the file (downloaded, read ' +
    'from a config or a request) lets whoever supplies it run native code in the process.',
  fix: 'Ship the Fortran sources with the package and build them at install time (`meson`/`f2py` in the build backend); never compile source text received at run time.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-94'],
  owasp: [],
});

export const f2pyCompileCheck: CodeRule = {
  rule: PY_EXE_007,
  calls: ['numpy.f2py.compile'],
  sink: { arguments: (call) => [argumentOf(call, 'source', 0)], fileReads: true },
  check(call) {
    const source = argumentOf(call, 'source', 0);
    if (source === undefined || isLiteral(source.constant)) return undefined;
    return { message: 'numpy.f2py.compile builds native code from source that is not a literal in the file' };
  },
};

export const PY_EXE_009 = defineRule({
  id: 'PY-EXE-009',
  domain: 'code',
  title: 'logging.config.listen opens a configuration socket',
  description:
    '`logging.config.listen()` starts a socket server that accepts logging configurations and applies them with ' +
    '`fileConfig`, which evaluates class names and arguments. Anyone who can connect to the port (localhost ' +
    'includes every user and container on the host) can make the process import and run code.',
  fix: 'Configure logging from a file or dict the process owns (`logging.config.dictConfig(config)`); if remote reconfiguration is really needed, pass `verify=` a function that checks a signature over the received bytes.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-94'],
  owasp: [],
  bandit: ['B612'],
  ruff: ['S612'],
});

export const loggingListenCheck: CodeRule = everyCall(
  PY_EXE_009,
  ['logging.config.listen'],
  'accepts logging configurations, which can run code, from a socket',
);
