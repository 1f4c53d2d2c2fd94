import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CodeRule } from '../call-site.js';

export const PY_EXE_008 = defineRule({
  id: 'PY-EXE-008',
  domain: 'code',
  title: 'Werkzeug interactive debugger enabled',
  description:
    'The Werkzeug debugger (`run_simple(..., use_debugger=True)`, which is what `app.run(debug=True)` starts ' +
    'for Flask) shows a Python console in the browser on every error page. Anyone who reaches the server and ' +
    'gets past or guesses the PIN runs code in it; a demo or model-serving app started this way on ' +
    '`0.0.0.0` hands the machine to the network.',
  fix: 'Keep the debugger for local development only: pass `use_debugger=False` (`app.run(debug=False)`), or read the flag from an environment variable that defaults to off, and serve with a production server such as `gunicorn`.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-94', 'CWE-489'],
  owasp: [],
  bandit: ['B201'],
  ruff: ['S201'],
});

/**
 * `app.run(debug=True)` is not matched: the resolver names module members, not instances, so it cannot tell a
 * `flask.Flask` object's `run` from any other `run` method. `run_simple` is a module function it does resolve.
 */
export const werkzeugDebuggerCheck: CodeRule = {
  rule: PY_EXE_008,
  calls: ['werkzeug.serving.run_simple', 'werkzeug.run_simple'],
  check(call) {
    // run_simple(hostname, port, application, use_reloader, use_debugger, ...)
    const debuggerFlag = argumentOf(call, 'use_debugger', 4)?.constant;
    if (debuggerFlag?.kind !== 'bool' || !debuggerFlag.value) return undefined;
    return { message: `${call.name} with use_debugger=True serves the interactive Werkzeug debugger` };
  },
};
