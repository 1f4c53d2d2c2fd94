import type { Component } from '../model.js';

/**
 * A dependency graph over one installed environment or one lock file, keyed by normalised name. Nodes carry
 * open-ended `marks` so that later passes (vulnerability matching) can annotate them without a new shape.
 */

/** An annotation on a node, shown by every renderer: `{kind: 'vulnerable', label: 'PYSEC-2023-1'}`. */
export interface NodeMark {
  readonly kind: string;
  readonly label: string;
  /** For `vulnerable` and `malicious` marks: the advisory the label names, for JSON output. */
  readonly advisory?: MarkedAdvisory;
}

/** One advisory group (PYSEC, GHSA and CVE ids of one flaw) affecting a node's version. */
export interface MarkedAdvisory {
  readonly id: string;
  readonly aliases: readonly string[];
  /** The fixed versions above the node's version, one per matched range that has one. */
  readonly fixed: readonly string[];
}

export interface GraphNode {
  /** Normalised name, the node's identity. */
  readonly key: string;
  readonly name: string;
  readonly version?: string;
  /** Declared by the project or requested by the user (REQUESTED, a lock's direct entries). */
  readonly direct: boolean;
  /** The component the node was read from (its origin, licence, hashes, pin). */
  readonly component: Component;
  readonly marks: NodeMark[];
}

/** Whether an edge's target is installed and satisfies the requirement. */
export type EdgeStatus = 'ok' | 'conflict' | 'missing';

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** The target's name as the requirement writes it. */
  readonly name: string;
  /** The specifier set as text (`>=1.0,<2`), empty when any version will do or the source records none. */
  readonly required: string;
  readonly markerText?: string;
  /** The extras the requirement asks of its target. */
  readonly extras: readonly string[];
  readonly status: EdgeStatus;
  /** Why a conflict is one, when the installed version could not be compared. */
  readonly note?: string;
}

export interface DependencyGraph {
  /** The environment folder or lock file the graph was read from. */
  readonly source: string;
  readonly kind: 'environment' | 'lock';
  readonly nodes: ReadonlyMap<string, GraphNode>;
  /** Outgoing edges per node key, in declaration order. */
  readonly edges: ReadonlyMap<string, readonly GraphEdge[]>;
  /** Files that could not be read, with the reason; the graph is incomplete when any are listed. */
  readonly errors: readonly { readonly path: string; readonly message: string }[];
  /** Distributions installed twice under different folders; the first one read is in the graph. */
  readonly duplicates: readonly { readonly key: string; readonly paths: readonly string[] }[];
}

export function outgoing(graph: DependencyGraph, key: string): readonly GraphEdge[] {
  return graph.edges.get(key) ?? [];
}

/** Incoming edges per node key, for the reverse view and for finding the roots. */
export function incomingEdges(graph: DependencyGraph): Map<string, GraphEdge[]> {
  const incoming = new Map<string, GraphEdge[]>();
  for (const edges of graph.edges.values())
    for (const edge of edges) {
      const list = incoming.get(edge.to);
      if (list === undefined) incoming.set(edge.to, [edge]);
      else list.push(edge);
    }
  return incoming;
}
