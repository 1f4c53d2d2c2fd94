import { defineRule } from '../../../core/rule.js';

export const PKG_INST_001 = defineRule({
  id: 'PKG-INST-001',
  domain: 'package',
  title: 'setup.py replaces an install-time command with its own class',
  description:
    'The `cmdclass` given to `setup()` (or `[tool.setuptools.cmdclass]`) maps a command that runs while the ' +
    'package is built or installed (install, develop, egg_info, build, build_py, bdist_wheel, sdist…) to a class ' +
    'of the package. Its methods run with the installing user’s rights. An override that starts processes, ' +
    'touches the network, runs dynamic code, reads the environment or writes files is rated high; a plain one ' +
    'medium. `build_ext`/`build_clib` overrides count only when they run programs other than compilers and build ' +
    'tools, or use the network.',
  fix:
    'Read the overriding class. Packaging needs no code at install time beyond compiling extensions: move ' +
    'post-install steps into an explicit command the user runs, or drop the package if the class has no reason ' +
    'to exist.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-506', 'CWE-829'],
  owasp: ['ML06:2023'],
});

export const PKG_INST_002 = defineRule({
  id: 'PKG-INST-002',
  domain: 'package',
  title: 'setup.py runs processes, network, dynamic code or file writes at module level',
  description:
    'Statements of setup.py outside any function or class (or functions of setup.py called from there) that start ' +
    'processes, open network connections, run dynamically built code, harvest the whole environment or write files. ' +
    'setup.py is executed whenever the sdist is built or installed, before any check by the installer. Reading a ' +
    'README or version file, `exec` of a version file, single environment variables and read-only `git` commands ' +
    'for the version are ordinary and not reported.',
  fix:
    'Remove the code: `setup()` needs metadata, not actions. A package that must run something after ' +
    'installation should document a command the user runs; treat a package that hides such code as malicious.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-506', 'CWE-94'],
  owasp: ['ML06:2023'],
});

export const PKG_INST_003 = defineRule({
  id: 'PKG-INST-003',
  domain: 'package',
  title: 'pyproject.toml builds the package with a backend shipped inside the sdist',
  description:
    'The `[build-system]` table points `backend-path` into the source tree (an in-tree build backend), or names a ' +
    'non-standard `build-backend` whose module the sdist ships. That code runs on every build and install from ' +
    'source. A `backend-path` that leaves the project (`..`, absolute paths) or names a backend module the sdist ' +
    'does not contain is rated high.',
  fix:
    'Use a standard backend (setuptools.build_meta, hatchling.build, flit_core.buildapi, poetry.core.masonry.api, ' +
    'pdm.backend, maturin, scikit_build_core.build, mesonpy) and review any in-tree backend module line by line.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

export const INSTALL_RULES = [PKG_INST_001, PKG_INST_002, PKG_INST_003] as const;
