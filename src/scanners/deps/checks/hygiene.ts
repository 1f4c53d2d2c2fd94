import { defineRule } from '../../../core/rule.js';
import { isRequirementsManifest } from '../formats/requirements.js';
import {
  packageLabel,
  type Component,
  type DependencyCheck,
  type DependencyContext,
  type Hash,
  type IndexSetting,
  type Manifest,
} from '../model.js';

export const DEP_PIN_001 = defineRule({
  id: 'DEP-PIN-001',
  domain: 'deps',
  title: 'application dependency not pinned to one version',
  description:
    'A requirement in a requirements file (or in the pip section of a conda environment file) that declares a ' +
    'range (`>=1.2`, `~=1.2`, `==1.*`) or no version at all. Each install then takes whatever release is newest ' +
    'on the index that day: builds are not reproducible, an audit of the file says nothing about what is ' +
    'installed, and a hijacked or malicious new release is picked up automatically. Library metadata ' +
    '(pyproject.toml `[project]`, Poetry and Pipfile declarations) and pip-tools `*.in` inputs are not reported: ' +
    'ranges are right there, and the lock or compiled file pins them.',
  fix:
    'Pin every requirement with `==` (ideally with `--hash`), for instance by compiling the ranges with ' +
    '`pip-compile --generate-hashes requirements.in` or `uv pip compile`, and keep ranges in the `.in` file or in ' +
    'pyproject.toml.',
  severity: 'low',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-1357'],
  owasp: ['ML06:2023'],
});

export const DEP_HASH_001 = defineRule({
  id: 'DEP-HASH-001',
  domain: 'deps',
  title: 'requirement without a hash in a hash-checking requirements file',
  description:
    'pip switches to hash-checking mode when `--require-hashes` is set or when any requirement (in the file or ' +
    'the files it includes with `-r`) carries `--hash`. In that mode it refuses to install a requirement without a ' +
    'hash, so a line added by hand without one breaks the install, and the usual "fix" of dropping the hashes ' +
    'removes the integrity check for every package.',
  fix:
    'Add `--hash=sha256:…` for every wheel and sdist of the pinned version (regenerate the file with ' +
    '`pip-compile --generate-hashes` or `uv pip compile --generate-hashes`), and pin it with `==`. Editable and ' +
    'VCS requirements cannot be hashed: build them as wheels or move them to a file installed without hashes.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-353'],
  owasp: ['ML06:2023'],
});

export const DEP_HASH_002 = defineRule({
  id: 'DEP-HASH-002',
  domain: 'deps',
  title: 'weak or malformed package hash',
  description:
    'A `--hash` option or lock-file hash that uses MD5 or SHA-1 (collisions can be computed, so a different ' +
    'artifact can match), an algorithm pip does not accept (only sha256, sha384 and sha512), a digest of the wrong ' +
    'length for its algorithm, or one that is not hexadecimal. pip rejects the file, or the hash does not protect ' +
    'the install it is meant to protect.',
  fix:
    'Replace the hash with the sha256 digest of each artifact as published on the index (`pip hash FILE`, or ' +
    'regenerate the file with `pip-compile --generate-hashes`).',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-328', 'CWE-354'],
  owasp: ['ML06:2023'],
});

export const DEP_CONF_001 = defineRule({
  id: 'DEP-CONF-001',
  domain: 'deps',
  title: 'package index configuration open to dependency confusion or tampering',
  description:
    '`--extra-index-url` (or another extra source consulted for every package): pip takes the highest version ' +
    'of a name from any index, so whoever publishes a private package name on PyPI with a higher version gets ' +
    'their code installed. Several primary indexes: which one serves a package depends on search order and file ' +
    'order. `--trusted-host`: pip accepts plain HTTP and any TLS certificate from that host, so anyone on the ' +
    'network path can serve any package.',
  fix:
    'Use a single `--index-url` pointing at a proxy (devpi, Artifactory, Nexus, a private index with PyPI ' +
    'upstream) that serves internal names only from the private repository, or pin each package to its index ' +
    '(Poetry `priority = "explicit"`, uv `explicit = true`). Install pinned versions with `--hash`. Serve the ' +
    'index over HTTPS with a valid certificate (or pass the CA with `--cert`) instead of `--trusted-host`.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-427', 'CWE-295'],
  owasp: ['ML06:2023'],
});

/** Hash algorithms pip accepts, and the weak ones lock files and old tools still write, with digest lengths. */
const STRONG_HASHES: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
const WEAK_HASHES: Readonly<Record<string, number>> = { md5: 32, sha1: 40 };
const REFERENCE_PINS: ReadonlySet<Component['pin']> = new Set(['url', 'path', 'vcs']);

/** Findings are about lines of the file scanned; an included file's lines are reported when it is scanned itself. */
function ownComponents(manifest: Manifest): Component[] {
  return manifest.components.filter((component) => component.origin.path === manifest.path);
}

/** The requirement as written when the parser kept it, else rebuilt from its specifiers. */
function evidenceOf(component: Component, manifest: Manifest): string {
  const written = isRequirementsManifest(manifest) ? manifest.lineTexts.get(component) : undefined;
  return (
    written ?? `${component.name}${component.specifiers.map((s) => `${s.operator}${s.version}`).join(',')}`
  );
}

/**
 * Requirements files and the pip list of conda environment files install as written; pip-tools `*.in` files,
 * pyproject.toml, Pipfile and lock files are either inputs of a lock or locks themselves.
 */
function pinsApply(manifest: Manifest): boolean {
  if (manifest.lock) return false;
  if (manifest.format === 'conda') return true;
  return manifest.format === 'requirements' && !/\.in$/i.test(manifest.path);
}

function checkPins(context: DependencyContext): void {
  const { manifest } = context;
  if (!pinsApply(manifest)) return;
  for (const component of ownComponents(manifest)) {
    if (!component.direct || component.ecosystem !== 'PyPI') continue;
    if (component.pin !== 'range' && component.pin !== 'unpinned') continue;
    const declared = component.specifiers.map((s) => `${s.operator}${s.version}`).join(',');
    const message =
      component.pin === 'unpinned'
        ? `${component.name} has no version constraint: each install takes the newest release`
        : `${component.name} is not pinned to one version: it declares ${declared}, so each install may take a different release`;
    context.report({
      ruleId: DEP_PIN_001.id,
      message,
      ...(component.origin.line !== undefined && { line: component.origin.line }),
      evidence: evidenceOf(component, manifest),
      package: packageLabel(component),
    });
  }
}

/** Why pip checks hashes for this file, or `undefined` when it does not. */
function hashModeReason(manifest: Manifest): string | undefined {
  if (!isRequirementsManifest(manifest)) return undefined;
  if (manifest.requireHashes) return '--require-hashes is set';
  const hashed = manifest.components.find((component) => component.direct && component.hashes.length > 0);
  if (hashed === undefined) return undefined;
  const where =
    hashed.origin.line === undefined ? hashed.origin.path : `${hashed.origin.path}:${hashed.origin.line}`;
  return `other requirements have --hash (${hashed.name} at ${where})`;
}

function checkMissingHashes(context: DependencyContext): void {
  const { manifest } = context;
  const reason = hashModeReason(manifest);
  if (reason === undefined) return;
  for (const component of ownComponents(manifest)) {
    if (!component.direct || component.hashes.length > 0) continue;
    context.report({
      ruleId: DEP_HASH_001.id,
      message: `${component.name} has no --hash, but ${reason}: pip runs in hash-checking mode and refuses to install it`,
      ...(component.origin.line !== undefined && { line: component.origin.line }),
      evidence: evidenceOf(component, manifest),
      package: packageLabel(component),
    });
  }
}

/** What is wrong with a hash, or `undefined` when it is a well-formed strong one. */
function hashProblem(hash: Hash): string | undefined {
  const algorithm = hash.algorithm.toLowerCase();
  const expected = STRONG_HASHES[algorithm] ?? WEAK_HASHES[algorithm];
  if (expected === undefined)
    return `unknown hash algorithm ${JSON.stringify(hash.algorithm)}: pip accepts only sha256, sha384 and sha512`;
  if (!/^[0-9a-f]*$/i.test(hash.digest)) return `the ${algorithm} digest is not hexadecimal`;
  if (hash.digest.length !== expected)
    return `the ${algorithm} digest has ${hash.digest.length} hex digits instead of ${expected}`;
  if (WEAK_HASHES[algorithm] !== undefined)
    return `${algorithm} is broken for integrity: a different artifact with the same digest can be made`;
  return undefined;
}

function checkHashQuality(context: DependencyContext): void {
  const { manifest } = context;
  for (const component of ownComponents(manifest)) {
    for (const hash of component.hashes) {
      const problem = hashProblem(hash);
      if (problem === undefined) continue;
      context.report({
        ruleId: DEP_HASH_002.id,
        message: `${component.name}: ${problem}`,
        ...(component.origin.line !== undefined && { line: component.origin.line }),
        evidence: `${hash.algorithm}:${hash.digest}`,
        package: packageLabel(component),
      });
    }
  }
}

/** Index URLs may carry credentials (`https://user:token@host/simple`): they never reach a report. */
function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}

const REQUIREMENTS_FLAGS: Readonly<Partial<Record<IndexSetting['kind'], string>>> = {
  primary: '--index-url',
  extra: '--extra-index-url',
  'trusted-host': '--trusted-host',
};

function settingEvidence(setting: IndexSetting, manifest: Manifest): string {
  const flag = manifest.format === 'requirements' ? REQUIREMENTS_FLAGS[setting.kind] : undefined;
  return `${flag ?? `${setting.kind} index`} ${redact(setting.url)}`;
}

/**
 * Whether pip or the resolver may take any package from every configured index: no per-package index pins
 * (requirements files have none; Poetry, Pipfile and uv can pin each package). A file that installs nothing
 * itself may be combined with others on the command line, so it counts as unpinned.
 */
function sharedIndexesServeAll(manifest: Manifest): boolean {
  const indexed = manifest.components.filter(
    (component) => component.ecosystem === 'PyPI' && !REFERENCE_PINS.has(component.pin),
  );
  return indexed.length === 0 || indexed.some((component) => component.index === undefined);
}

/** pip uses the last `--index-url` it reads, PyPI when there is none. */
function describePrimary(primaries: readonly string[]): string {
  const last = primaries.at(-1);
  return last === undefined ? 'PyPI' : redact(last);
}

function indexMessage(
  setting: IndexSetting,
  manifest: Manifest,
  primaries: readonly string[],
): string | undefined {
  const url = redact(setting.url);
  const noIndex = isRequirementsManifest(manifest) && manifest.noIndex;
  switch (setting.kind) {
    case 'trusted-host':
      return `${url} is a trusted host: pip accepts plain HTTP and any TLS certificate from it, so anyone on the network path can serve any package`;
    case 'extra':
      if (noIndex || manifest.lock || !sharedIndexesServeAll(manifest)) return undefined;
      return `${url} is consulted for every package beside ${describePrimary(primaries)}, and the highest version on any index wins: a package name published on the other index with a higher version is installed instead (dependency confusion)`;
    case 'primary':
      if (noIndex || manifest.lock || primaries.length < 2 || !sharedIndexesServeAll(manifest))
        return undefined;
      return manifest.format === 'requirements'
        ? `--index-url is given more than once (${primaries.map(redact).join(', ')}): pip uses only the last one it reads, so the index serving every package depends on line and include order`
        : `several primary indexes are configured (${primaries.map(redact).join(', ')}) and packages are not pinned to one: a name published on any of them can be installed in place of the intended package`;
    default:
      return undefined;
  }
}

function checkIndexes(context: DependencyContext): void {
  const { manifest } = context;
  // Settings from included files count (pip applies them to the whole install) but are reported in their own file.
  const primaries = [
    ...new Set(
      manifest.indexes.filter((setting) => setting.kind === 'primary').map((setting) => setting.url),
    ),
  ];
  for (const setting of manifest.indexes) {
    if (setting.origin.path !== manifest.path) continue;
    const message = indexMessage(setting, manifest, primaries);
    if (message === undefined) continue;
    context.report({
      ruleId: DEP_CONF_001.id,
      message,
      ...(setting.origin.line !== undefined && { line: setting.origin.line }),
      evidence: settingEvidence(setting, manifest),
    });
  }
}

/**
 * Supply-chain hygiene of any dependency file: unpinned application requirements, hash-checking gaps, weak or
 * malformed hashes, and index settings that let another index or the network path choose the package.
 */
export const hygieneCheck: DependencyCheck = {
  rules: [DEP_PIN_001, DEP_HASH_001, DEP_HASH_002, DEP_CONF_001],
  run(context: DependencyContext): void {
    checkPins(context);
    checkMissingHashes(context);
    checkHashQuality(context);
    checkIndexes(context);
  },
};
