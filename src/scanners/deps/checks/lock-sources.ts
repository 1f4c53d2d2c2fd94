import { defineRule } from '../../../core/rule.js';
import { indexPinsOf, type IndexPin } from '../formats/declared.js';
import {
  packageLabel,
  type Component,
  type DependencyCheck,
  type DependencyContext,
  type Manifest,
} from '../model.js';

export const DEP_CONF_002 = defineRule({
  id: 'DEP-CONF-002',
  domain: 'deps',
  title: 'locked package resolved from another index than the one the project pins it to',
  description:
    'A lock entry (poetry.lock, Pipfile.lock, uv.lock, pylock.toml) records that a package came from an index ' +
    'other than the one the project configures for that name: Poetry `source = "…"`, Pipfile `index = "…"` or ' +
    'uv `[tool.uv.sources]`. A package meant to come from a private index that resolved from public PyPI is the ' +
    'dependency-confusion outcome: whoever registered the name on PyPI now runs code in every install.',
  fix:
    'Find out why the resolver picked the other index (a higher version published there, a source priority, an ' +
    'index missing at lock time), check the locked artifact, then re-lock with the package pinned to its index ' +
    '(Poetry `priority = "explicit"`, uv `explicit = true`) so that no other index can serve it.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-427', 'CWE-829'],
  owasp: ['ML06:2023'],
});

/** PyPI's index and file hosts all mean "public PyPI". */
const PYPI_HOSTS = new Set(['pypi.org', 'pypi.python.org', 'files.pythonhosted.org', 'upload.pypi.org']);
const PYPI = 'pypi';

/** An index URL reduced for comparison: host in lower case, no credentials, query or trailing slash; PyPI as one. */
function canonicalUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.hostname.toLowerCase();
  if (PYPI_HOSTS.has(host)) return PYPI;
  return `${host}${parsed.port === '' ? '' : `:${parsed.port}`}${parsed.pathname.replace(/\/+$/, '')}`;
}

/**
 * The index a lock says a component came from. Poetry leaves `[package.source]` out for PyPI, and pipenv leaves
 * `index` out for the first (default) source; other locks that say nothing are not judged.
 */
function lockedIndex(component: Component, manifest: Manifest): string | undefined {
  if (component.index !== undefined) return component.index;
  if (manifest.format === 'poetry-lock') return 'https://pypi.org/simple';
  if (manifest.format === 'pipfile-lock')
    return manifest.indexes.find((index) => index.kind === 'primary')?.url;
  return undefined;
}

/** Whether the locked index is the pinned one; `undefined` when the pin names an index whose URL is not known. */
function agrees(locked: string, pin: IndexPin): boolean | undefined {
  const lockedUrl = canonicalUrl(locked);
  if (pin.indexName !== undefined && lockedUrl === undefined)
    return locked.toLowerCase() === pin.indexName.toLowerCase();
  const pinnedUrl =
    pin.url !== undefined ? canonicalUrl(pin.url) : pin.indexName?.toLowerCase() === PYPI ? PYPI : undefined;
  if (pinnedUrl !== undefined) return lockedUrl === pinnedUrl;
  // A pin to a named private index whose URL the project does not declare: only a PyPI resolution is clearly wrong.
  return lockedUrl === PYPI ? false : undefined;
}

function describePin(pin: IndexPin): string {
  const name = pin.indexName === undefined ? '' : `index "${pin.indexName}"`;
  const url = pin.url === undefined ? '' : ` (${pin.url})`;
  const where = pin.origin.line === undefined ? pin.origin.path : `${pin.origin.path}:${pin.origin.line}`;
  return `${where} pins it to ${name || 'an index'}${url}`;
}

/**
 * Compares each lock entry's index with the project's pins for its name. The pins come from the project file
 * beside the lock (pyproject.toml, Pipfile), which the lock parsers read; a lock without one is not judged.
 */
export const lockSourcesCheck: DependencyCheck = {
  rules: [DEP_CONF_002],
  run(context: DependencyContext): void {
    const { manifest } = context;
    if (!manifest.lock) return;
    const pins = new Map<string, IndexPin[]>();
    for (const pin of indexPinsOf(manifest))
      pins.set(pin.packageName, [...(pins.get(pin.packageName) ?? []), pin]);
    if (pins.size === 0) return;
    for (const component of manifest.components) {
      context.checkDeadline();
      const pinned = pins.get(component.normalizedName);
      if (pinned === undefined || ['url', 'path', 'vcs'].includes(component.pin)) continue;
      const locked = lockedIndex(component, manifest);
      if (locked === undefined) continue;
      const verdicts = pinned.map((pin) => agrees(locked, pin));
      if (verdicts.some((verdict) => verdict !== false)) continue;
      const [first] = pinned;
      if (first === undefined) continue;
      const publicly = canonicalUrl(locked) === PYPI ? ' (public PyPI)' : '';
      context.report({
        ruleId: DEP_CONF_002.id,
        message:
          `\`${component.name}\` is locked from ${locked}${publicly}, but ${describePin(first)}. ` +
          'A package meant for one index resolved from another: check the locked artifact before installing.',
        ...(component.origin.line !== undefined && { line: component.origin.line }),
        evidence: `${component.normalizedName}: locked ${locked}; pinned ${first.url ?? first.indexName ?? ''}`,
        package: packageLabel(component),
      });
    }
  },
};
