import { defineRule } from '../../../core/rule.js';
import { normalizeName } from '../pep508/parse.js';
import { popularListFor } from '../typosquat/popular.js';
import {
  packageLabel,
  type Component,
  type DependencyCheck,
  type DependencyContext,
  type IndexSetting,
  type Manifest,
} from '../model.js';

/** Hosts of the public Python Package Index, where anyone can register an unclaimed name. */
const PYPI_HOSTS = new Set([
  'pypi.org',
  'pypi.python.org',
  'files.pythonhosted.org',
  'test.pypi.org',
  'test-files.pythonhosted.org',
]);

/** Where an index reference points: public PyPI, another index, or something that cannot be told offline. */
export type IndexKind = 'pypi' | 'other' | 'unknown';

/**
 * Classifies an index URL, or a source name (`pypi` in Pipfile.lock, a Poetry source name) looked up among the
 * manifest's indexes. `${PIP_INDEX_URL}` and other unexpanded values are `unknown`.
 */
export function indexKindOf(reference: string, manifest: Manifest): IndexKind {
  if (!reference.includes('://')) {
    const named = manifest.indexes.find((index) => index.name?.toLowerCase() === reference.toLowerCase());
    // One level only: a source's URL that is itself a name (a conda channel) cannot be followed further.
    if (named !== undefined && named.url.includes('://')) return indexKindOf(named.url, manifest);
    return reference.toLowerCase() === 'pypi' ? 'pypi' : 'unknown';
  }
  let host: string;
  try {
    host = new URL(reference).hostname.toLowerCase();
  } catch {
    return 'unknown';
  }
  return PYPI_HOSTS.has(host) ? 'pypi' : 'other';
}

/** How a component would be fetched, as far as the manifest tells. */
export interface Resolution {
  /** Whether public PyPI may supply the component. */
  readonly fromPypi: boolean;
  /** Non-PyPI indexes that may supply it (all of them unless it is pinned to one). */
  readonly others: readonly string[];
  /** Why, for the finding: `the lock records no source index, which means PyPI`. */
  readonly reason: string;
}

/** Index settings that pip or a resolver consults for every package unless one is pinned elsewhere. */
const SHARED_KINDS: ReadonlySet<IndexSetting['kind']> = new Set(['primary', 'extra', 'find-links']);

/**
 * Where a component can come from. A lock says where it came from (no source recorded means the default source:
 * PyPI for Poetry, the first source for Pipfile, PyPI for locks that record none). A declaration without an
 * explicit index for the component may be served by every shared index, and by PyPI unless a primary index
 * replaces it: pip then takes the highest version on any of them.
 */
export function resolutionOf(component: Component, manifest: Manifest): Resolution {
  const pinned = component.index;
  if (pinned !== undefined) {
    const kind = indexKindOf(pinned, manifest);
    const verb = manifest.lock ? 'the lock records it from' : 'it is pinned to';
    return {
      fromPypi: kind === 'pypi',
      others: kind === 'other' ? [pinned] : [],
      reason: `${verb} ${pinned}`,
    };
  }
  if (manifest.lock) {
    // Pipenv leaves `index` out for the default source; Poetry leaves `[package.source]` out for PyPI.
    const primary = manifest.indexes.find((index) => index.kind === 'primary');
    if (primary === undefined || manifest.format === 'poetry-lock')
      return { fromPypi: true, others: [], reason: 'the lock records no source index, which means PyPI' };
    const kind = indexKindOf(primary.url, manifest);
    return {
      fromPypi: kind === 'pypi',
      others: kind === 'other' ? [primary.url] : [],
      reason: `the lock records no source index, which means the default source ${primary.url}`,
    };
  }
  const shared = manifest.indexes.filter((index) => SHARED_KINDS.has(index.kind));
  const replaced = shared.some(
    (index) => index.kind === 'primary' && indexKindOf(index.url, manifest) !== 'pypi',
  );
  const fromPypi = !replaced || shared.some((index) => indexKindOf(index.url, manifest) === 'pypi');
  const others = shared
    .filter((index) => indexKindOf(index.url, manifest) !== 'pypi')
    .map((index) => index.url);
  const consulted = [...(fromPypi ? ['PyPI'] : []), ...others].join(' and ');
  const reason =
    others.length === 0
      ? 'no private index is configured for it'
      : `no index is pinned for it, so ${consulted} are all consulted and the highest version wins`;
  return { fromPypi, others, reason };
}

export const DEP_CONF_003 = defineRule({
  id: 'DEP-CONF-003',
  domain: 'deps',
  title: 'internal package name can be resolved from public PyPI',
  description:
    "A dependency whose name starts with one of the organisation's internal prefixes (`--internal-prefix`, " +
    '`[deps] internal-prefixes`) but that the file lets come from public PyPI: a requirements file with only ' +
    '`--extra-index-url` for the private index, a Poetry or uv project without an explicit source for it, or a ' +
    'lock entry whose source is pypi.org or not recorded. Whoever registers the name on PyPI with a higher version ' +
    'gets their code installed (dependency confusion).',
  fix:
    'Pin internal packages to the private index: `--index-url` (not `--extra-index-url`) to a proxy that serves ' +
    'internal names only from the private repository, a Poetry source with `priority = "explicit"` and ' +
    '`source = "…"` on the dependency, or `[tool.uv.sources]` with an `explicit = true` index. Also register ' +
    'placeholder projects for the internal names on PyPI.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-427'],
  owasp: ['ML06:2023'],
});

export const DEP_CONF_004 = defineRule({
  id: 'DEP-CONF-004',
  domain: 'deps',
  title: 'package from a non-PyPI index has a name that may be unclaimed on PyPI',
  description:
    'A dependency resolved from, or offered by, an index other than PyPI (a nightly or vendor index such as ' +
    'download.pytorch.org/whl/nightly, or a private repository added with `--extra-index-url`) whose name is not ' +
    'among the popular PyPI projects. If the name is unclaimed on PyPI, anyone can register it there, and any ' +
    'install that also consults PyPI takes the higher version: the torchtriton compromise of PyTorch nightly ' +
    '(December 2022). Absence from the popular list is only an offline approximation of "unclaimed".',
  fix:
    'Check whether the name exists on PyPI and who owns it. Pin the package to its index (`--index-url` for that ' +
    'install, a Poetry `explicit` source, `[tool.uv.sources]`), install it with hashes, or claim the name on PyPI.',
  severity: 'high',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-427'],
  owasp: ['ML06:2023'],
});

/** Internal prefixes compare as PEP 503 names, so `acme_` also covers `Acme.Tools`. */
function internalPrefixOf(component: Component, prefixes: readonly string[]): string | undefined {
  return prefixes.find((prefix) => component.normalizedName.startsWith(normalizeName(prefix)));
}

/** Direct references and conda packages are not looked up by name on a Python index. */
function isIndexed(component: Component): boolean {
  return component.ecosystem === 'PyPI' && !['url', 'path', 'vcs'].includes(component.pin);
}

/**
 * Dependency confusion: internal names that PyPI may serve (needs internal prefixes), and packages from other
 * indexes whose names PyPI may not have claimed (needs the popular-name list; an online check is future work).
 */
export const confusionCheck: DependencyCheck = {
  rules: [DEP_CONF_003, DEP_CONF_004],
  async run(context: DependencyContext): Promise<void> {
    const deps = context.settings.deps;
    const prefixes = deps?.internalPrefixes ?? [];
    const popular = deps?.popular === undefined ? undefined : await popularListFor(deps.popular);
    const { manifest } = context;
    for (const component of manifest.components) {
      context.checkDeadline();
      if (!isIndexed(component)) continue;
      const resolution = resolutionOf(component, manifest);
      const local = component.origin.path === manifest.path;
      const where = {
        ...(local && component.origin.line !== undefined && { line: component.origin.line }),
        package: packageLabel(component),
      };
      const declared = local ? '' : ` (declared in ${component.origin.path})`;
      const prefix = internalPrefixOf(component, prefixes);
      if (prefix !== undefined && resolution.fromPypi) {
        context.report({
          ruleId: DEP_CONF_003.id,
          message:
            `\`${component.name}\`${declared} matches the internal prefix \`${prefix}\` but can be installed from ` +
            `public PyPI: ${resolution.reason}. Anyone who registers the name there with a higher version wins.`,
          evidence: `${component.normalizedName}: ${resolution.reason}`,
          ...where,
        });
        continue;
      }
      // Internal names are DEP-CONF-003's: served only by the private index, they are configured as intended.
      if (
        prefix !== undefined ||
        popular === undefined ||
        resolution.others.length === 0 ||
        popular.rankOf.has(component.normalizedName)
      )
        continue;
      // A lock that records another index is firm evidence; a declaration only allows it.
      const firm = manifest.lock && component.index !== undefined;
      if (!firm && !resolution.fromPypi) continue;
      context.report({
        ruleId: DEP_CONF_004.id,
        message:
          `\`${component.name}\`${declared} comes from a non-PyPI index (${resolution.reason}) and is not among ` +
          `the ${popular.names.length} popular PyPI projects. If the name is unclaimed on PyPI, anyone can ` +
          'register it there and win against the other index, as with torchtriton in December 2022. Absence ' +
          'from the popular list is not proof that the name is unclaimed; check PyPI (an online check is not ' +
          'built in yet).',
        evidence: `${component.normalizedName}: ${resolution.others.join(', ')}`,
        ...where,
        ...(firm && { confidence: 'medium' as const }),
      });
    }
  },
};
