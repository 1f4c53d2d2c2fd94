import { defineRule } from '../../../core/rule.js';
import type { CodeRule } from '../call-site.js';
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
  check(call) {
    const [source] = call.positional;
    // eval("1 + 2") runs only what the author wrote; there is nothing an attacker controls.
    if (source === undefined || isLiteral(source.constant)) return undefined;
    return { message: 'eval() runs a value that is not a literal in the source as Python code' };
  },
};
