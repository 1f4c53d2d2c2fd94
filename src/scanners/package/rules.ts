import { defineRule, type Rule } from '../../core/rule.js';
import { HEURISTIC_RULES } from './heuristics/families.js';
import { INSTALL_RULES } from './install/index.js';
import { METADATA_RULES } from './metadata/index.js';

export const PKG_ARC_001 = defineRule({
  id: 'PKG-ARC-001',
  domain: 'package',
  title: 'Package archive member escapes the extraction folder or is not a plain file',
  description:
    'A wheel or sdist member whose name is absolute or climbs out with `..` (zip-slip), a symbolic or hard link ' +
    'whose target leaves the archive or that forms a loop, a device or FIFO member, or a name that appears twice. ' +
    'Build tools never write these; an installer or `tar -x` that trusts them writes outside the target folder.',
  fix:
    'Do not extract or install the package. Obtain it again from the project itself; a real build never contains ' +
    'such members.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-22', 'CWE-59'],
  owasp: ['ML06:2023'],
});

export const PKG_BIN_001 = defineRule({
  id: 'PKG-BIN-001',
  domain: 'package',
  title: 'Package bundles a prebuilt binary',
  description:
    'An ELF, PE or Mach-O file inside a source distribution, inside a pure-Python wheel (`none-any`), or an ' +
    'executable program rather than an extension module in any wheel. Binaries cannot be reviewed like source, ' +
    'and droppers ship their payload this way. Extension modules (`.so`, `.pyd`, `.dylib`) in a platform wheel ' +
    'are what such wheels are for and are not reported.',
  fix:
    'Find out what the binary is and who built it. Prefer packages that build their binaries from the source in ' +
    "the sdist, or platform wheels from the project's own CI.",
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-506'],
  owasp: ['ML06:2023'],
});

export const PKG_PTH_001 = defineRule({
  id: 'PKG-PTH-001',
  domain: 'package',
  title: 'Wheel installs a .pth file that runs code at every Python start',
  description:
    'A `.pth` file at the root of a wheel (or in its `.data/purelib` or `.data/platlib` folder) lands in ' +
    'site-packages, where `site` executes its `import` lines in every Python process. Known templates written ' +
    "by packaging tools for the wheel's own distribution (namespace packages, setuptools' distutils shim) are " +
    'accepted; dangerous lines (exec, decoding, processes, network, environment) are critical.',
  fix:
    'Do not install the wheel. If the package is yours, replace the `.pth` hook with an explicit import or an ' +
    'entry point.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-506', 'CWE-94'],
  owasp: ['ML06:2023'],
});

export const PKG_RISK_001 = defineRule({
  id: 'PKG-RISK-001',
  domain: 'package',
  title: 'Package is likely malicious: threats combined with the capabilities to act on them',
  description:
    'The package risk score (0 to 10) combines the threats found in the package (obfuscation, downloads that ' +
    'are executed, exfiltration, reverse shells, persistence, install hooks, typosquatting…) with what its code ' +
    'can do (network, processes, dynamic code, file writes) and where that code runs (at install or at import). ' +
    'A score of 7 or more is reported; ordinary packages, whose capabilities come without threats, score 0.',
  fix:
    'Do not install the package. If it is already installed, remove it and rotate every credential the machine ' +
    'held; report it to the index (PyPI: "Report project as malware").',
  severity: 'critical',
  confidence: 'high',
  verdict: 'malicious',
  cwe: ['CWE-506'],
  owasp: ['ML06:2023'],
});

export const PACKAGE_RULES: readonly Rule[] = [
  PKG_ARC_001,
  PKG_BIN_001,
  PKG_PTH_001,
  PKG_RISK_001,
  ...HEURISTIC_RULES,
  ...INSTALL_RULES,
  ...METADATA_RULES,
];
