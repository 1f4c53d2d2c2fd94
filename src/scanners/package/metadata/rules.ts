import { defineRule } from '../../../core/rule.js';

export const PKG_META_001 = defineRule({
  id: 'PKG-META-001',
  domain: 'package',
  title: "package's own name looks like a typosquat of a popular PyPI package",
  description:
    'The Name in the package metadata (or, without metadata, in the archive file name) is not a popular project ' +
    'but is one edit, a homoglyph, a py/python swap, a reordering of terms or a delimiter or plural variant away ' +
    'from one of the top 5,000 (measured against the list given by `--popular` or `[deps] popular`).',
  fix:
    'Do not install the package unless you know its publisher. Compare it with the project it imitates (the ' +
    'finding names it) and use that one; report the impostor to PyPI.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

export const PKG_META_002 = defineRule({
  id: 'PKG-META-002',
  domain: 'package',
  title: 'package summary is missing or a placeholder',
  description:
    'The Summary in PKG-INFO or METADATA is missing, `UNKNOWN`, the package name again, or template text ' +
    '(`test`, `description`, `A short description`, `lorem ipsum`, `A small example package`). Throw-away ' +
    'malicious uploads rarely bother to describe themselves; real projects almost always do.',
  fix:
    'On its own this is weak evidence: check who publishes the package and whether it has a home page and ' +
    'history. As a publisher, set a real `description` in setup() or `[project]`.',
  severity: 'low',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-1104'],
  owasp: ['ML06:2023'],
});

export const PKG_META_003 = defineRule({
  id: 'PKG-META-003',
  domain: 'package',
  title: 'package version is 0.0.0',
  description:
    'The version in the package metadata equals 0 under PEP 440 (`0`, `0.0`, `0.0.0`, with any local label): ' +
    'the default of templates and of packages uploaded once to run their install code, not a real release.',
  fix:
    'Weak evidence on its own: check the publisher and the project history. As a publisher, give releases real ' +
    'version numbers.',
  severity: 'low',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-1104'],
  owasp: ['ML06:2023'],
});

export const PKG_META_004 = defineRule({
  id: 'PKG-META-004',
  domain: 'package',
  title: 'package metadata disagrees with the archive file name',
  description:
    'The Name or Version in PKG-INFO (sdist) or `.dist-info/METADATA` (wheel) differs from the archive file ' +
    'name, compared after PEP 503 name and PEP 440 version normalisation; or the `.dist-info` folder or the sdist ' +
    'top folder is named for another distribution; or a wheel has no METADATA at all. Build tools never produce ' +
    'this; a renamed file is how a package is passed off as another one.',
  fix:
    'Do not install the file. Download the package again from its index and compare hashes; the metadata, not ' +
    'the file name, tells what installs.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-345'],
  owasp: ['ML06:2023'],
});

export const PKG_META_005 = defineRule({
  id: 'PKG-META-005',
  domain: 'package',
  title: 'package depends on a typosquat or a known malicious package',
  description:
    'A `Requires-Dist` of the package names a project that looks like a typosquat of a popular one, or that the ' +
    'configured OSV database lists as malicious (`MAL-` records). Installing the package installs it too: ' +
    'malicious uploads hide their payload one dependency away.',
  fix:
    'Do not install the package. If it is your own, correct the dependency name; otherwise report the package ' +
    'to PyPI.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829', 'CWE-506'],
  owasp: ['ML06:2023'],
});

export const METADATA_RULES = [PKG_META_001, PKG_META_002, PKG_META_003, PKG_META_004, PKG_META_005] as const;
