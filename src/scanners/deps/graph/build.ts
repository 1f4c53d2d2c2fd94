import type { InstalledDistribution } from '../formats/installed.js';
import type { Component, Manifest } from '../model.js';
import type { Specifier } from '../pep508/parse.js';
import { normalizeName } from '../pep508/parse.js';
import type { EnvironmentVariable } from '../pep508/markers.js';
import { evaluateMarkerAnyEnvironment } from '../pep508/markers.js';
import { contains } from '../pep508/specifier.js';
import type { DependencyGraph, EdgeStatus, GraphEdge, GraphNode } from './model.js';

type Errors = DependencyGraph['errors'];

/** Marker variables known for the environment, such as its Python version read from `pyvenv.cfg`. */
export type KnownEnvironment = Partial<Readonly<Record<EnvironmentVariable, string>>>;

type Requires = InstalledDistribution['requires'];

/**
 * Whether a requirement of `key` applies: its marker is evaluated with the extras other packages ask of `key`
 * and the variables known for the environment; `unknown` when it depends on something not known.
 */
function applies(entry: Requires[number], extras: ReadonlySet<string> | undefined, known: KnownEnvironment) {
  const marker = entry.requirement.marker;
  if (marker === undefined) return true;
  return evaluateMarkerAnyEnvironment(marker, { extras: [...(extras ?? [])], known });
}

/**
 * The graph of an installed environment. A `Requires-Dist` becomes an edge unless its marker is false for every
 * environment that fits what is known: an `extra == "test"` requirement counts only when some installed package
 * asks for that extra, as pip would have installed it. A requirement whose marker may or may not hold here is
 * never reported missing, but an installed version that fails its specifier is a conflict.
 */
export function environmentGraph(
  source: string,
  distributions: readonly InstalledDistribution[],
  options: { errors?: Errors; known?: KnownEnvironment } = {},
): DependencyGraph {
  const known = options.known ?? {};
  const errors = options.errors ?? [];
  const nodes = new Map<string, GraphNode>();
  const requiresOf = new Map<string, Requires>();
  const paths = new Map<string, string[]>();
  for (const { component, requires } of distributions) {
    if (addNode(nodes, paths, component, component.origin.path))
      requiresOf.set(component.normalizedName, requires);
  }
  const requested = requestedExtras(requiresOf, known);
  const edges = new Map<string, GraphEdge[]>();
  for (const [key, requires] of requiresOf) {
    const list: GraphEdge[] = [];
    for (const entry of requires) {
      const applicable = applies(entry, requested.get(key), known);
      if (applicable === false) continue;
      const { requirement } = entry;
      const target = nodes.get(requirement.normalizedName);
      const check = statusOf(target?.version, requirement.specifiers, applicable !== true);
      list.push({
        from: key,
        to: requirement.normalizedName,
        name: requirement.name,
        required: specifierText(requirement.specifiers),
        ...(requirement.markerText !== undefined && { markerText: requirement.markerText }),
        extras: requirement.extras,
        ...check,
      });
    }
    // A requirement repeated under several markers is one dependency in the tree.
    edges.set(key, dedupe(list));
  }
  const duplicates = [...paths]
    .filter(([, list]) => list.length > 1)
    .map(([key, list]) => ({ key, paths: list }));
  return { source, kind: 'environment', nodes, edges, errors, duplicates };
}

/** The extras each package is asked for by the packages that require it, followed through extra-gated edges. */
function requestedExtras(
  requiresOf: ReadonlyMap<string, Requires>,
  known: KnownEnvironment,
): Map<string, Set<string>> {
  const requested = new Map<string, Set<string>>();
  let changed = true;
  // Each round can only add extras, and there are finitely many, so this ends.
  while (changed) {
    changed = false;
    for (const [key, requires] of requiresOf) {
      for (const entry of requires) {
        if (applies(entry, requested.get(key), known) === false) continue;
        const { requirement } = entry;
        const set = requested.get(requirement.normalizedName) ?? new Set<string>();
        for (const extra of requirement.extras) {
          if (set.has(extra)) continue;
          set.add(extra);
          changed = true;
        }
        requested.set(requirement.normalizedName, set);
      }
    }
  }
  return requested;
}

function statusOf(
  installed: string | undefined,
  specifiers: readonly Specifier[],
  conditional: boolean,
): { status: EdgeStatus; note?: string } {
  if (installed === undefined) return { status: conditional ? 'ok' : 'missing' };
  try {
    // pip and pipdeptree accept an installed pre-release against any specifier that otherwise matches.
    return { status: contains(installed, specifiers, { prereleases: true }) ? 'ok' : 'conflict' };
  } catch {
    if (specifiers.length === 0) return { status: 'ok' };
    return { status: 'conflict', note: `installed version ${installed} is not PEP 440` };
  }
}

function dedupe(edges: readonly GraphEdge[]): GraphEdge[] {
  const seen = new Map<string, GraphEdge>();
  for (const edge of edges) {
    const previous = seen.get(edge.to);
    // Keep the edge that shows a problem, so that a harmless duplicate does not hide a conflict.
    if (previous === undefined || (previous.status === 'ok' && edge.status !== 'ok')) seen.set(edge.to, edge);
  }
  return [...seen.values()];
}

/**
 * Records where `component` was found and adds its node unless one with its name exists (the first entry stands
 * for the name). Returns whether the node is new.
 */
function addNode(
  nodes: Map<string, GraphNode>,
  paths: Map<string, string[]>,
  component: Component,
  where: string,
): boolean {
  const key = component.normalizedName;
  paths.set(key, [...(paths.get(key) ?? []), where]);
  if (nodes.has(key)) return false;
  nodes.set(key, {
    key,
    name: component.name,
    ...(component.version !== undefined && { version: component.version }),
    direct: component.direct,
    component,
    marks: [],
  });
  return true;
}

export function specifierText(specifiers: readonly Specifier[]): string {
  return specifiers.map((specifier) => `${specifier.operator}${specifier.version}`).join(',');
}

/**
 * The graph of a lock file (or any manifest): its components, with edges from the `dependencies` the format
 * records. Locks record names only, so a dependency can be missing but never conflicting.
 */
export function manifestGraph(manifest: Manifest): DependencyGraph {
  const nodes = new Map<string, GraphNode>();
  const paths = new Map<string, string[]>();
  for (const component of manifest.components) {
    // A lock may list one name several times (per platform or marker); the first entry stands for it.
    addNode(nodes, paths, component, `${component.origin.path}:${component.origin.line ?? 0}`);
  }
  const edges = new Map<string, GraphEdge[]>();
  for (const node of nodes.values()) {
    // Normalised again: a lock may spell a dependency as its metadata does (`PyYAML`).
    const list = (node.component.dependencies ?? []).map(normalizeName).map((to): GraphEdge => ({
      from: node.key,
      to,
      name: nodes.get(to)?.name ?? to,
      required: '',
      extras: [],
      status: nodes.has(to) ? 'ok' : 'missing',
    }));
    edges.set(node.key, dedupe(list));
  }
  const duplicates = [...paths]
    .filter(([, list]) => list.length > 1)
    .map(([key, list]) => ({ key, paths: list }));
  return { source: manifest.path, kind: 'lock', nodes, edges, errors: [], duplicates };
}
