import { defineRule, type Rule } from '../../core/rule.js';

/** A file that can run code (module, `.pth`, extension, script) differs from RECORD, or sits unlisted in a package. */
export const ENV_INT_001 = defineRule({
  id: 'ENV-INT-001',
  domain: 'env',
  title: 'installed file that can run code was modified, added or points outside the environment',
  description:
    "A file of an installed distribution that Python executes — a `.py`/`.pyc` module, a `.pth` file, an extension (`.so`, `.pyd`, `.dll`, `.dylib`) or a script in `bin/`/`Scripts/` — no longer has the sha256 digest or size its `*.dist-info/RECORD` lists, is present in one of the distribution's own package folders without being listed, or RECORD names a path outside the environment. This is what a tampered install looks like.",
  fix: 'Reinstall the distribution from a trusted index (`pip install --force-reinstall --no-deps name==version`), compare the changed file with the wheel, and find out who could write to the environment. Never patch installed packages in place.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-494', 'CWE-353'],
  owasp: ['ML06:2023'],
});

/** A listed file is missing, or a data file differs from RECORD. */
export const ENV_INT_002 = defineRule({
  id: 'ENV-INT-002',
  domain: 'env',
  title: 'installed file missing, or installed data file modified',
  description:
    "A file listed with a digest in an installed distribution's `*.dist-info/RECORD` is absent, or a file that does not execute by itself (data, certificates, metadata, type stubs) no longer matches its recorded sha256 digest or size. Changed data can still change behaviour (a replaced CA bundle, a swapped model or config file).",
  fix: 'Reinstall the distribution (`pip install --force-reinstall --no-deps name==version`). On Debian and Ubuntu system folders, check the file with `dpkg --verify` or `debsums`, which know the packaging changes RECORD does not.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-353'],
  owasp: ['ML06:2023'],
});

/** One line per distribution with problems: the counts of the integrity table. */
export const ENV_INT_003 = defineRule({
  id: 'ENV-INT-003',
  domain: 'env',
  title: 'installed-file integrity summary of a distribution with problems',
  description:
    'For each installed distribution whose RECORD check found a problem, one summary: files verified, modified, missing, unlisted and skipped, and the bytes hashed. Clean distributions get no summary, so a clean environment stays quiet.',
  fix: 'Read the ENV-INT-001 and ENV-INT-002 findings of the same RECORD file; reinstall the distribution.',
  severity: 'info',
  confidence: 'high',
  verdict: 'clean',
  cwe: ['CWE-353'],
  owasp: ['ML06:2023'],
});

export const INTEGRITY_RULES: readonly Rule[] = [ENV_INT_001, ENV_INT_002, ENV_INT_003];
