import { existsSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { EnvironmentKind, EnvironmentRecord } from '../../core/environment.js';
import type { EnvironmentHint } from '../../targets/walk.js';
import { condaPython, pathPython, siteFacts, venvPython } from './environment-facts.js';

/**
 * Groups the environment roots and site folders the walk met into environments. A site folder belongs to the
 * innermost venv or conda root around it; one with no root in the scanned tree is grouped by its prefix (`/usr`
 * for `/usr/lib/python3/dist-packages`), which is checked for a `pyvenv.cfg` or `conda-meta/` so that scanning a
 * venv's site-packages still names the venv. Site folders inside another site folder (vendored copies) and in
 * conda's package cache (`pkgs/`) are not environments.
 */

interface Group {
  kind: EnvironmentKind;
  absolutePath: string;
  displayPath: string;
  sites: EnvironmentHint[];
}

function isBelow(path: string, folder: string): boolean {
  return path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The root kind a folder has by its markers, looked up on disk (for prefixes outside the scanned tree). */
function rootKindAt(folder: string): 'venv' | 'conda' | undefined {
  if (existsSync(join(folder, 'pyvenv.cfg'))) return 'venv';
  return isDirectory(join(folder, 'conda-meta')) ? 'conda' : undefined;
}

/** How many folders up from a site folder its prefix is, and whether the layout is a user site. */
function prefixOf(segments: readonly string[]): { up: number; userSite: boolean } {
  const parent = segments.at(-2) ?? '';
  if (/^lib(?:64)?$/.test(segments.at(-3) ?? '') && /^python\d+(?:\.\d+)?t?$/.test(parent))
    return { up: 3, userSite: segments.at(-4) === '.local' };
  if (parent.toLowerCase() === 'lib') return { up: 2, userSite: false };
  if (/^Python\d+t?$/.test(parent) && segments.at(-3) === 'Python') return { up: 1, userSite: true };
  return { up: 0, userSite: false };
}

function upFrom(path: string, up: number, separator: string): string | undefined {
  const segments = path.split(separator);
  if (up === 0) return path;
  if (segments.length <= up) return undefined;
  const kept = segments.slice(0, -up);
  return kept.length === 1 && kept[0] === '' ? separator : kept.join(separator);
}

function standaloneGroup(site: EnvironmentHint): Group {
  const segments = site.absolutePath.split(sep);
  const { up, userSite } = prefixOf(segments);
  const absolutePath = upFrom(site.absolutePath, up, sep) ?? site.absolutePath;
  const displayPath = upFrom(site.displayPath, up, '/') ?? absolutePath.split(sep).join('/');
  const rootKind = up === 0 ? undefined : rootKindAt(absolutePath);
  const kind: EnvironmentKind =
    rootKind ??
    (userSite
      ? 'user-site'
      : segments.at(-1)?.toLowerCase() === 'dist-packages'
        ? 'dist-packages'
        : 'site-packages');
  return { kind, absolutePath, displayPath, sites: [] };
}

/** `envs/<name>` of a conda base, for a site folder in a named environment that has lost its `conda-meta/`. */
function namedCondaEnv(base: Group, site: EnvironmentHint): Group {
  const name = site.absolutePath.slice(join(base.absolutePath, 'envs').length + 1).split(sep)[0] ?? '';
  return {
    kind: 'conda',
    absolutePath: join(base.absolutePath, 'envs', name),
    displayPath: `${base.displayPath.replace(/\/$/, '')}/envs/${name}`,
    sites: [],
  };
}

async function pythonOf(group: Group): Promise<string | undefined> {
  const declared =
    group.kind === 'venv'
      ? await venvPython(group.absolutePath)
      : group.kind === 'conda'
        ? await condaPython(group.absolutePath)
        : undefined;
  if (declared !== undefined) return declared;
  for (const site of group.sites) {
    const fromPath = pathPython(site.absolutePath.split(sep));
    if (fromPath !== undefined) return fromPath;
  }
  return undefined;
}

export async function describeEnvironments(
  hints: readonly EnvironmentHint[],
  maxPthBytes: number,
): Promise<EnvironmentRecord[]> {
  const roots: Group[] = hints
    .filter((hint) => hint.marker !== 'site')
    .map((hint) => ({
      kind: hint.marker === 'pyvenv.cfg' ? 'venv' : 'conda',
      absolutePath: hint.absolutePath,
      displayPath: hint.displayPath,
      sites: [],
    }));
  const condaCaches = roots
    .filter((root) => root.kind === 'conda')
    .map((root) => join(root.absolutePath, 'pkgs'));
  const siteHints = [
    ...new Map(hints.filter((h) => h.marker === 'site').map((h) => [h.absolutePath, h])).values(),
  ];
  const sites = siteHints.filter(
    (site) =>
      !siteHints.some((other) => isBelow(site.absolutePath, other.absolutePath)) &&
      !condaCaches.some((cache) => isBelow(site.absolutePath, cache)),
  );
  const standalone = new Map<string, Group>();
  for (const site of sites) {
    const owner = roots
      .filter((root) => isBelow(site.absolutePath, root.absolutePath))
      .sort((a, b) => b.absolutePath.length - a.absolutePath.length)[0];
    if (owner !== undefined && !isBelow(site.absolutePath, join(owner.absolutePath, 'envs'))) {
      owner.sites.push(site);
      continue;
    }
    const group = owner === undefined ? standaloneGroup(site) : namedCondaEnv(owner, site);
    const known = standalone.get(group.absolutePath) ?? group;
    known.sites.push(site);
    standalone.set(group.absolutePath, known);
  }
  const groups = [...roots, ...standalone.values()].sort((a, b) =>
    a.displayPath < b.displayPath ? -1 : a.displayPath > b.displayPath ? 1 : 0,
  );
  const records: EnvironmentRecord[] = [];
  for (const group of groups) {
    let distributions = 0;
    let startupHooks = 0;
    for (const site of group.sites) {
      const facts = await siteFacts(site.absolutePath, maxPthBytes);
      distributions += facts.distributions;
      startupHooks += facts.startupHooks;
    }
    const python = await pythonOf(group);
    records.push({
      kind: group.kind,
      root: group.displayPath,
      ...(python !== undefined && { python }),
      siteFolders: group.sites.map((site) => site.displayPath).sort(),
      distributions,
      startupHooks,
    });
  }
  return records;
}
