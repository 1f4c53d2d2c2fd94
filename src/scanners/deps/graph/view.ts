import { rootsOf } from './analyze.js';
import type { DependencyGraph, GraphEdge } from './model.js';
import { incomingEdges, outgoing } from './model.js';

/**
 * What `deps tree` shows: the forward view (each package and what it requires) or the reverse view (each package
 * and who requires it), from chosen packages or from the natural tops, to an optional depth.
 */
export interface ViewOptions {
  readonly reverse: boolean;
  /** Normalised names to start from; all tops when empty. */
  readonly packages: readonly string[];
  readonly depth?: number;
}

export interface GraphView {
  readonly graph: DependencyGraph;
  readonly reverse: boolean;
  readonly starts: readonly string[];
  /** The edges to follow from a node in this view's direction (requirements, or requirers when reversed). */
  readonly next: (key: string) => readonly GraphEdge[];
  /** The node at the other end of an edge, in this view's direction. */
  readonly far: (edge: GraphEdge) => string;
  readonly depth: number;
}

export function viewOf(graph: DependencyGraph, options: ViewOptions): GraphView {
  const incoming = incomingEdges(graph);
  const next = options.reverse
    ? (key: string) => incoming.get(key) ?? []
    : (key: string) => outgoing(graph, key);
  const far = options.reverse ? (edge: GraphEdge) => edge.from : (edge: GraphEdge) => edge.to;
  let starts: string[];
  if (options.packages.length > 0) {
    starts = options.packages.filter((key) => graph.nodes.has(key));
  } else {
    // Forward: what nothing requires. Reverse: what requires nothing installed (pipdeptree's leaves).
    starts = options.reverse
      ? [...graph.nodes.keys()]
          .filter((key) => outgoing(graph, key).every((edge) => !graph.nodes.has(edge.to)))
          .sort()
      : rootsOf(graph);
    // Packages only reachable through a cycle would otherwise never be shown.
    const seen = reachable(starts, next, far, Infinity);
    for (const key of [...graph.nodes.keys()].sort()) {
      if (seen.has(key)) continue;
      starts.push(key);
      for (const more of reachable([key], next, far, Infinity)) seen.add(more);
    }
  }
  return { graph, reverse: options.reverse, starts, next, far, depth: options.depth ?? Infinity };
}

/** The node keys a view shows: its starts and everything reachable from them within the depth. */
export function shownKeys(view: GraphView): Set<string> {
  return reachable(view.starts, view.next, view.far, view.depth);
}

function reachable(
  starts: readonly string[],
  next: (key: string) => readonly GraphEdge[],
  far: (edge: GraphEdge) => string,
  depth: number,
): Set<string> {
  const seen = new Set<string>(starts);
  let frontier = [...starts];
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const following: string[] = [];
    for (const key of frontier)
      for (const edge of next(key)) {
        const target = far(edge);
        if (seen.has(target)) continue;
        seen.add(target);
        following.push(target);
      }
    frontier = following;
  }
  return seen;
}
