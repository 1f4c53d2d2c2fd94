import { RequirementError, type Specifier } from './parse.js';
import { isSpecifierVersion } from './syntax.js';
import {
  baseVersion,
  compareVersions,
  isPrerelease,
  parseVersion,
  publicVersion,
  type Version,
} from './version.js';

/**
 * PEP 440 specifier matching, written to agree with Python's `packaging` (checked against 23.0 by the vectors
 * in test/fixtures/deps/pep508). @renovatebot/pep440's own `satisfies` gets local versions and the exclusive
 * ordered comparisons wrong, so only its version grammar is used (see version.ts).
 */

export interface ContainsOptions {
  /**
   * Whether pre-releases may match. Left out, they may when a specifier in the set names one with an
   * inclusive operator (`>=1.0a1`, `==2.0rc1`), as `packaging` decides.
   */
  readonly prereleases?: boolean;
}

function versionOf(text: string): Version {
  const version = parseVersion(text);
  if (version === undefined)
    throw new RequirementError(`${JSON.stringify(text)} is not a PEP 440 version`, 0);
  return version;
}

function checked(specifier: Specifier): void {
  if (!isSpecifierVersion(specifier.operator, specifier.version)) {
    throw new RequirementError(`invalid specifier ${specifier.operator}${specifier.version}`, 0);
  }
}

/** `==V.*`: the epoch is equal and the release, padded with zeros, starts with V's release. */
function matchesPrefix(version: Version, prefix: Version): boolean {
  if (version.epoch !== prefix.epoch) return false;
  return prefix.release.every((part, index) => (version.release[index] ?? 0n) === part);
}

function equals(version: Version, text: string): boolean {
  if (text.endsWith('.*')) return matchesPrefix(version, versionOf(text.slice(0, -2)));
  const wanted = versionOf(text);
  // A specifier without a local segment matches every local build of its version.
  const candidate = wanted.local === undefined ? publicVersion(version) : version;
  return compareVersions(candidate, wanted) === 0;
}

function sameBase(left: Version, right: Version): boolean {
  return compareVersions(baseVersion(left), baseVersion(right)) === 0;
}

/** Whether one specifier matches a parsed version, pre-release policy aside. */
function matches(parsed: Version | undefined, text: string, specifier: Specifier): boolean {
  const { operator } = specifier;
  // Arbitrary equality compares the strings as written, without normalising either.
  if (operator === '===') return text.trim().toLowerCase() === specifier.version.toLowerCase();
  const version = parsed ?? versionOf(text);
  switch (operator) {
    case '==':
      return equals(version, specifier.version);
    case '!=':
      return !equals(version, specifier.version);
    case '~=': {
      // ~=2.2.post3 is >=2.2.post3 together with ==2.*: the release without its last part.
      const wanted = versionOf(specifier.version);
      const prefix: Version = { epoch: wanted.epoch, release: wanted.release.slice(0, -1) };
      return compareVersions(publicVersion(version), wanted) >= 0 && matchesPrefix(version, prefix);
    }
    case '<=':
      return compareVersions(publicVersion(version), versionOf(specifier.version)) <= 0;
    case '>=':
      return compareVersions(publicVersion(version), versionOf(specifier.version)) >= 0;
    case '<': {
      // <V never matches a pre-release of V itself unless V is one: <3.1 excludes 3.1.dev0.
      const limit = versionOf(specifier.version);
      if (compareVersions(version, limit) >= 0) return false;
      return isPrerelease(limit) || !isPrerelease(version) || !sameBase(version, limit);
    }
    case '>': {
      // >V never matches a post-release (unless V is one) or a local build of V itself.
      const limit = versionOf(specifier.version);
      if (compareVersions(version, limit) <= 0) return false;
      if (limit.post === undefined && version.post !== undefined && sameBase(version, limit)) return false;
      return version.local === undefined || !sameBase(version, limit);
    }
  }
}

/** Whether this specifier lets pre-releases match when the caller does not say. */
function allowsPrereleases(specifier: Specifier): boolean {
  if (!['==', '>=', '<=', '~=', '==='].includes(specifier.operator)) return false;
  const text = specifier.version.endsWith('.*') ? specifier.version.slice(0, -2) : specifier.version;
  const version = parseVersion(text);
  return version !== undefined && isPrerelease(version);
}

/**
 * Whether `version` satisfies every specifier (an empty set matches every final release). Throws
 * `RequirementError` when `version` is not PEP 440 or a specifier is malformed.
 */
export function contains(
  version: string,
  specifiers: readonly Specifier[],
  options: ContainsOptions = {},
): boolean {
  for (const specifier of specifiers) checked(specifier);
  // `===` exists for versions PEP 440 cannot parse, so a set of only `===` compares them as text.
  if (specifiers.length > 0 && specifiers.every((specifier) => specifier.operator === '===')) {
    if (parseVersion(version) === undefined) {
      return specifiers.every((specifier) => matches(undefined, version, specifier));
    }
  }
  const parsed = versionOf(version);
  const prereleases = options.prereleases ?? specifiers.some(allowsPrereleases);
  if (isPrerelease(parsed) && !prereleases) return false;
  return specifiers.every((specifier) => matches(parsed, version, specifier));
}

/**
 * The version an exact pin names: a single `==X` without `*`, or `===X`. Anything else is a range and has no
 * version (a range is never read as its lowest version).
 */
export function isExactPin(specifiers: readonly Specifier[]): string | undefined {
  if (specifiers.length !== 1) return undefined;
  const [specifier] = specifiers;
  if (specifier === undefined) return undefined;
  if (specifier.operator === '===') return specifier.version;
  if (specifier.operator !== '==' || specifier.version.includes('*')) return undefined;
  return specifier.version.trim();
}
