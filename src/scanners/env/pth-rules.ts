import { defineRule } from '../../core/rule.js';

export const ENV_PTH_001 = defineRule({
  id: 'ENV-PTH-001',
  domain: 'env',
  title: '.pth file runs dangerous code at every Python start',
  description:
    'A `.pth` file in a site folder whose `import` line (which `site` passes to `exec` when any Python process ' +
    'starts) executes or decodes code (`exec`, `eval`, `compile`, base64/zlib/marshal/codecs decoding), starts ' +
    'processes, opens sockets or HTTP connections, reads the environment, or writes files. This is how the 2026 ' +
    'litellm compromise (`litellm_init.pth`) and many malicious PyPI packages persist.',
  fix:
    'Delete the `.pth` file, find the distribution that dropped it (its RECORD, or `pip show -f`), uninstall it and ' +
    'rotate any credential the environment held. Rebuild the environment from pinned, hashed requirements.',
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-506', 'CWE-94'],
  owasp: ['ML06:2023'],
});

export const ENV_PTH_002 = defineRule({
  id: 'ENV-PTH-002',
  domain: 'env',
  title: '.pth file imports a module or adds a world-writable folder at every Python start',
  description:
    "A `.pth` file whose `import` line only imports modules, which runs those modules' code in every Python " +
    'process of the environment, or whose path line appends a world-writable folder (`/tmp`, `/var/tmp`, ' +
    '`/dev/shm`) to `sys.path`, where any local user can plant modules. Known templates owned by the right ' +
    'distribution (setuptools, editable installs, namespace packages, pytest-cov, coverage, pywin32) are not reported.',
  fix:
    'Check which distribution owns the file and what the imported module does at import time; remove the file if ' +
    'nothing installed needs it. Keep `sys.path` entries inside the environment.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

export const ENV_PTH_003 = defineRule({
  id: 'ENV-PTH-003',
  domain: 'env',
  title: 'executable .pth file is not installed by any distribution, or was modified',
  description:
    'A `.pth` file with executable `import` lines that no `*.dist-info/RECORD` in its folder (nor the system ' +
    'package manager) lists, or whose content no longer matches the hash recorded for it. Installers record every ' +
    'file they write, so an unlisted startup hook was dropped by something else (a `setup.py`, a post-install ' +
    'script, an attacker) and a mismatching one was changed after installation.',
  fix:
    'Compare the file with the one in the wheel of the owning distribution, reinstall that distribution, and delete ' +
    'unowned startup hooks after finding what created them.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-506', 'CWE-353'],
  owasp: ['ML06:2023'],
});

export const PTH_RULES = [ENV_PTH_001, ENV_PTH_002, ENV_PTH_003] as const;
