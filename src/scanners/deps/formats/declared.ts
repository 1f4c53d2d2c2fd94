import type { Component, Hash, Manifest, Origin, PinKind } from '../model.js';
import { normalizeName, type Requirement, type Specifier } from '../pep508/parse.js';
import type { ManifestInput } from './input.js';

/**
 * A package the project pins to one named index: Poetry `source = "private"`, Pipfile `index = "private"`, uv
 * `[tool.uv.sources] name = { index = "private" }`. `url` is the index's URL when the project declares it.
 */
export interface IndexPin {
  /** Normalised package name. */
  readonly packageName: string;
  readonly indexName?: string;
  readonly url?: string;
  readonly origin: Origin;
}

/** A manifest that also records the per-package index pins its project configures (pyproject, Pipfile, locks). */
export interface PinnedManifest extends Manifest {
  readonly indexPins: readonly IndexPin[];
}

export function indexPinsOf(manifest: Manifest): readonly IndexPin[] {
  return 'indexPins' in manifest ? (manifest as PinnedManifest).indexPins : [];
}

/** `exact` for a single `==X` (no wildcard) or `===X`; `range` for any other set; `unpinned` for none. */
export function pinOf(specifiers: readonly Specifier[]): { pin: PinKind; version?: string } {
  const [only] = specifiers;
  if (specifiers.length === 1 && only !== undefined) {
    if (only.operator === '===' || (only.operator === '==' && !only.version.includes('*')))
      return { pin: 'exact', version: only.version };
  }
  return { pin: specifiers.length === 0 ? 'unpinned' : 'range' };
}

/** The pin kind of a direct reference: VCS schemes, local files, or any other URL. */
export function referencePin(url: string): PinKind {
  if (/^(?:git|hg|svn|bzr)\+/i.test(url)) return 'vcs';
  if (/^file:/i.test(url) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return 'path';
  return 'url';
}

/** A direct PyPI dependency declared by a PEP 508 requirement (pyproject, setup.cfg, a conda `pip:` list). */
export function componentOf(
  requirement: Requirement,
  path: string,
  line: number | undefined,
  scope: string,
): Component {
  const { pin, version } =
    requirement.url === undefined ? pinOf(requirement.specifiers) : { pin: referencePin(requirement.url) };
  return {
    name: requirement.name,
    normalizedName: requirement.normalizedName,
    ecosystem: 'PyPI',
    ...(version !== undefined && { version }),
    specifiers: requirement.specifiers,
    pin,
    direct: true,
    scope,
    hashes: [],
    extras: requirement.extras,
    ...(requirement.markerText !== undefined && { markerText: requirement.markerText }),
    ...(requirement.url !== undefined && { url: requirement.url }),
    origin: { path, ...(line !== undefined && { line }) },
  };
}

/** `sha256:abc…` → `{algorithm: 'sha256', digest: 'abc…'}`; text without an algorithm is kept as `unknown`. */
export function parseHash(text: string): Hash {
  const colon = text.indexOf(':');
  return colon < 0
    ? { algorithm: 'unknown', digest: text }
    : { algorithm: text.slice(0, colon), digest: text.slice(colon + 1) };
}

/** A lock entry: an exact registry pin, or the direct reference it was built from. */
export interface LockEntry {
  readonly name: string;
  readonly version?: string | undefined;
  /** `git+https://…@rev`, a path or URL when the entry is not from an index. */
  readonly reference?: { readonly pin: PinKind; readonly url: string } | undefined;
  readonly index?: string | undefined;
  readonly hashes: readonly Hash[];
  readonly markerText?: string | undefined;
  readonly dependencies: readonly string[];
  readonly scope?: string | undefined;
  readonly line?: number | undefined;
}

/** Turns lock entries into components, marking as direct the names the project itself declares. */
export function lockComponents(
  path: string,
  entries: readonly LockEntry[],
  project: ProjectDeclarations,
): Component[] {
  return entries.map((entry) => {
    const normalizedName = normalizeName(entry.name);
    // A git, path or url entry's version is what it built, not a release to match advisories against.
    const version = entry.reference === undefined ? entry.version : undefined;
    return {
      name: entry.name,
      normalizedName,
      ecosystem: 'PyPI',
      ...(version !== undefined && { version }),
      specifiers: version === undefined ? [] : [{ operator: '==', version }],
      pin: entry.reference?.pin ?? (version === undefined ? 'unpinned' : 'exact'),
      direct: project.scopes.has(normalizedName),
      scope: entry.scope ?? project.scopes.get(normalizedName) ?? 'main',
      hashes: entry.hashes,
      extras: [],
      ...(entry.markerText !== undefined && { markerText: entry.markerText }),
      ...(entry.reference !== undefined && { url: entry.reference.url }),
      ...(entry.index !== undefined && { index: entry.index }),
      dependencies: [...new Set(entry.dependencies.map(normalizeName))],
      origin: { path, ...(entry.line !== undefined && { line: entry.line }) },
    } satisfies Component;
  });
}

/**
 * What a lock's project file (pyproject.toml, Pipfile) declares: direct names with their scope, and index pins. Its
 * index settings stay with it: they are reported when the project file is scanned itself, not again for the lock.
 */
export interface ProjectDeclarations {
  readonly scopes: ReadonlyMap<string, string>;
  readonly indexPins: readonly IndexPin[];
}

export const NO_PROJECT: ProjectDeclarations = { scopes: new Map(), indexPins: [] };

/**
 * Reads the project file beside a lock (`pyproject.toml` beside `poetry.lock`), when there is one. Without it,
 * no lock entry can be told direct: all are reported as transitive (`direct: false`).
 */
export async function readProjectBeside(
  input: ManifestInput,
  name: string,
  parse: (input: ManifestInput) => Promise<PinnedManifest>,
): Promise<ProjectDeclarations> {
  let project: ManifestInput;
  try {
    project = await input.readInclude(name);
  } catch (error) {
    if (isMissingFile(error)) return NO_PROJECT;
    throw error;
  }
  const manifest = await parse(project);
  const scopes = new Map<string, string>();
  for (const component of manifest.components)
    if (!scopes.has(component.normalizedName)) scopes.set(component.normalizedName, component.scope);
  return { scopes, indexPins: manifest.indexPins };
}

function isMissingFile(error: unknown): boolean {
  // A folder named like the project file is no project file either.
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'ENOENT' || error.code === 'ENOTDIR' || error.code === 'EISDIR')
  );
}
