import { defineRule } from '../../core/rule.js';

export const ENV_SHADOW_001 = defineRule({
  id: 'ENV-SHADOW-001',
  domain: 'env',
  title: 'module in a script or working folder shadows a standard-library module',
  description:
    'A top-level `.py` or `.pyc` file, package (`name/__init__.py`) or extension module (`name.so`, ' +
    '`name.cpython-311-x86_64-linux-gnu.so`, `name.abi3.so`, `name.pyd`) named like a standard-library module of ' +
    'Python 3.10–3.13, in a folder that is not itself a package. `python script.py` puts the script folder first ' +
    'on `sys.path`, and `python -m`, `-c` and the REPL put the current folder there, so `import json` (or the ' +
    "REPL's own `import readline`) loads this file instead of the standard library. Extension modules are high, " +
    'shadows of security-relevant modules (`ssl`, `hashlib`, `json`, `pickle`, `subprocess`, …) medium, other ' +
    'collisions (`types.py`, `calendar/`, `token.py`) low.',
  fix:
    'Rename the module or package (or move it into a package). Run Python with `-P` or `PYTHONSAFEPATH=1` ' +
    '(3.11+), or `-I`, so that the script or current folder is not put on `sys.path`, e.g. `ENV PYTHONSAFEPATH=1` ' +
    'in a Dockerfile.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-427'],
  owasp: ['ML06:2023'],
});

export const SHADOW_RULES = [ENV_SHADOW_001] as const;
