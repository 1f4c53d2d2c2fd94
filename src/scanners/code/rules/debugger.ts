import { defineRule } from '../../../core/rule.js';
import { argumentOf, type Argument, type CodeRule } from '../call-site.js';

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

/** True when the argument is the literal `True`: a flag read from a variable is not known to enable anything. */
function isLiteralTrue(argument: Argument | undefined): boolean {
  return argument?.constant?.kind === 'bool' && argument.constant.value;
}

/**
 * `run_simple(..., use_debugger=True)`, and Flask's `app.run(debug=True)` on an app made by `flask.Flask(...)`,
 * which passes `use_debugger` through to `run_simple`.
 */
export const werkzeugDebuggerCheck: CodeRule = {
  rule: PY_EXE_008,
  calls: ['werkzeug.serving.run_simple', 'werkzeug.run_simple', 'flask.Flask().run'],
  check(call) {
    if (call.name === 'flask.Flask().run') {
      // Flask.run(host, port, debug, load_dotenv, **options); options go to run_simple.
      if (!isLiteralTrue(argumentOf(call, 'debug', 2)) && !isLiteralTrue(argumentOf(call, 'use_debugger')))
        return undefined;
      return { message: 'Flask app.run with debug=True serves the interactive Werkzeug debugger' };
    }
    // run_simple(hostname, port, application, use_reloader, use_debugger, ...)
    if (!isLiteralTrue(argumentOf(call, 'use_debugger', 4))) return undefined;
    return { message: `${call.name} with use_debugger=True serves the interactive Werkzeug debugger` };
  },
};
