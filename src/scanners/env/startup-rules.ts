import { defineRule } from '../../core/rule.js';

export const ENV_SITE_001 = defineRule({
  id: 'ENV-SITE-001',
  domain: 'env',
  title: 'sitecustomize or usercustomize module runs code at every Python start',
  description:
    'A `sitecustomize.py` or `usercustomize.py` module (or a `sitecustomize/` package), which `site` imports after ' +
    'processing `.pth` files in every Python process. It is rated like a `.pth` executable line: code that ' +
    'executes or decodes code, starts processes, opens connections, reads the environment or writes files is ' +
    'critical, except that an unmodified copy its RECORD owns that only reads the environment is medium; any ' +
    'other copy that no RECORD in its folder lists (or that no longer matches its recorded hash) is medium. ' +
    "Debian's apport hook and unmodified owned copies without dangerous calls are not reported.",
  fix:
    'Read the module and find what put it there (its RECORD, `pip show -f`, the image build). Delete it unless a ' +
    'distribution you installed on purpose (an instrumentation agent, say) owns it, and rebuild the environment.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-506', 'CWE-829'],
  owasp: ['ML06:2023'],
});

export const ENV_START_001 = defineRule({
  id: 'ENV-START-001',
  domain: 'env',
  title: 'PEP 829 .start entry point names a module that is not in its site folder',
  description:
    'A PEP 829 `<name>.start` file in a site folder names an entry point (`pkg.mod:callable`) whose module is ' +
    'neither a file nor a package in that folder. Python 3.15+ imports it from wherever it is found on `sys.path` ' +
    'and calls it at every start, so a module planted in another path entry (the current directory, a ' +
    '`PYTHONPATH` folder) runs instead.',
  fix: 'Reinstall the distribution that owns the `.start` file, or remove the file when nothing installed needs it.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-427', 'CWE-829'],
  owasp: ['ML06:2023'],
});

export const ENV_START_002 = defineRule({
  id: 'ENV-START-002',
  domain: 'env',
  title: 'PEP 829 .start entry point runs at every Python start (inventory)',
  description:
    'Each entry point (`pkg.mod:callable`) of a PEP 829 `<name>.start` file in a site folder, which Python 3.15+ ' +
    'imports and calls at every start. Listed so that the startup hooks of an environment can be reviewed.',
  fix: 'Check that the distribution owning the `.start` file is one you installed on purpose.',
  severity: 'low',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

export const STARTUP_RULES = [ENV_SITE_001, ENV_START_001, ENV_START_002] as const;
