import { defineRule } from '../../../core/rule.js';
import { argumentOf, CODE_SINK, type CodeRule } from '../call-site.js';
import { isLiteral } from '../resolve.js';

export const PY_EXE_001 = defineRule({
  id: 'PY-EXE-001',
  domain: 'code',
  title: 'eval() of a non-literal expression',
  description:
    'The built-in `eval` runs its argument as Python code. When the argument is not a literal written in the ' +
    'source, whoever controls it (a request, a config file, a model card, an LLM answer) runs code in the process.',
  fix: 'Parse data instead of running it: use `ast.literal_eval(text)` for Python literals, `json.loads(text)` for JSON, or a lookup table for a fixed set of names.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-95'],
  owasp: [],
  bandit: ['B307'],
  ruff: ['S307'],
});

export const evalCheck: CodeRule = {
  rule: PY_EXE_001,
  calls: ['builtins.eval', '__builtin__.eval'],
  sink: CODE_SINK,
  check(call) {
    const [source] = call.positional;
    // eval("1 + 2") runs only what the author wrote; there is nothing an attacker controls.
    if (source === undefined || isLiteral(source.constant)) return undefined;
    return { message: 'eval() runs a value that is not a literal in the source as Python code' };
  },
};

export const PY_EXE_002 = defineRule({
  id: 'PY-EXE-002',
  domain: 'code',
  title: 'exec() or compile(..., "exec") of a non-literal',
  description:
    'The built-in `exec` runs its argument as Python statements, and `compile(source, filename, "exec")` turns ' +
    'source into a code object made to be run. When the source is not a literal written in the file (a config ' +
    'file, a downloaded script, a request, an LLM answer), whoever controls it runs code in the process.',
  fix: 'Avoid running text as code: read settings with `ast.literal_eval(text)`, `json` or `tomllib`, import reviewed code as a module (`importlib.import_module` of a fixed name), or map names to functions with a lookup table.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-95'],
  owasp: [],
  bandit: ['B102'],
  ruff: ['S102'],
});

export const execCheck: CodeRule = {
  rule: PY_EXE_002,
  calls: ['builtins.exec', 'builtins.compile', '__builtin__.compile'],
  sink: CODE_SINK,
  check(call) {
    const source = argumentOf(call, 'source', 0);
    if (source === undefined || isLiteral(source.constant)) return undefined;
    if (call.name.endsWith('.exec'))
      return { message: 'exec() runs a value that is not a literal in the source as Python code' };
    // compile(source, filename, mode): only "exec" mode builds statements made for exec(); "eval" results reach
    // eval(), which PY-EXE-001 reports.
    const mode = argumentOf(call, 'mode', 2)?.constant;
    if (mode?.kind !== 'string' || mode.value !== 'exec') return undefined;
    return {
      message: 'compile(..., "exec") turns a value that is not a literal in the source into code to run',
    };
  },
};
