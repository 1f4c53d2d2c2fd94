import type { DependencyGraph, GraphEdge } from './model.js';
import { incomingEdges, outgoing } from './model.js';

/** What is wrong with a graph, as pipdeptree warns about it: conflicts, missing dependencies and cycles. */
export interface GraphProblems {
  /** Edges whose installed target does not satisfy the requirement. */
  readonly conflicts: readonly GraphEdge[];
  /** Edges whose target is not installed (or not in the lock). */
  readonly missing: readonly GraphEdge[];
  /** Each cycle as the node keys along it, starting and ending at the same node. */
  readonly cycles: readonly (readonly string[])[];
}

export function problemsOf(graph: DependencyGraph): GraphProblems {
  const all = [...graph.edges.values()].flat();
  return {
    conflicts: all.filter((edge) => edge.status === 'conflict'),
    missing: all.filter((edge) => edge.status === 'missing'),
    cycles: cyclesOf(graph),
  };
}

/** Nodes nothing installed depends on, in name order: the tops of the tree. */
export function rootsOf(graph: DependencyGraph): string[] {
  const incoming = incomingEdges(graph);
  return [...graph.nodes.keys()].filter((key) => (incoming.get(key) ?? []).length === 0).sort();
}

/**
 * One cycle per strongly connected component (Tarjan, iterative so that deep graphs cannot overflow the stack):
 * the shortest path from the component's first node, in name order, back to itself.
 */
export function cyclesOf(graph: DependencyGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const successors = (key: string): string[] =>
    outgoing(graph, key)
      .map((edge) => edge.to)
      .filter((to) => graph.nodes.has(to));
  for (const start of [...graph.nodes.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { key: string; successors: string[]; next: number }[] = [
      { key: start, successors: successors(start), next: 0 },
    ];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame === undefined) break;
      const next = frame.successors[frame.next++];
      if (next !== undefined) {
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ key: next, successors: successors(next), next: 0 });
        } else if (onStack.has(next)) {
          low.set(frame.key, Math.min(low.get(frame.key) ?? 0, index.get(next) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined)
        low.set(parent.key, Math.min(low.get(parent.key) ?? 0, low.get(frame.key) ?? 0));
      if (low.get(frame.key) !== index.get(frame.key)) continue;
      const component: string[] = [];
      for (;;) {
        const member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
        if (member === frame.key) break;
      }
      const selfLoop = component.length === 1 && frame.successors.includes(frame.key);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  }
  return components
    .map((component) => cycleThrough(component, successors))
    .sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** The shortest path from the component's first node back to itself, staying inside the component. */
function cycleThrough(component: readonly string[], successors: (key: string) => string[]): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0] ?? '';
  const previous = new Map<string, string>();
  const queue = [start];
  for (let position = 0; position < queue.length; position++) {
    const key = queue[position] ?? '';
    for (const next of successors(key)) {
      if (!members.has(next)) continue;
      if (next === start) {
        const chain: string[] = [];
        for (
          let step: string | undefined = key;
          step !== undefined && step !== start;
          step = previous.get(step)
        )
          chain.unshift(step);
        return [start, ...chain, start];
      }
      if (!previous.has(next)) {
        previous.set(next, key);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/**
 * The shortest chain from a root (or a direct dependency) to `key`: how a transitive package got in. Used to
 * explain marked nodes, such as a vulnerable transitive dependency.
 */
export function pathFromRoot(graph: DependencyGraph, key: string): string[] | undefined {
  return shortestPath(graph, key, [...rootsOf(graph), ...directKeys(graph)]);
}

/**
 * The shortest chain from a direct dependency to `key`; when no direct dependency leads to it (or the source
 * records none), the shortest from a root. Undefined for a node reachable only through a cycle.
 */
export function pathFromDirect(graph: DependencyGraph, key: string): string[] | undefined {
  return shortestPath(graph, key, directKeys(graph)) ?? pathFromRoot(graph, key);
}

function directKeys(graph: DependencyGraph): string[] {
  return [...graph.nodes.values()].filter((node) => node.direct).map((node) => node.key);
}

/** Breadth-first from every start at once, so the chain is a shortest one; starts in name order break ties. */
function shortestPath(graph: DependencyGraph, key: string, starts: readonly string[]): string[] | undefined {
  const previous = new Map<string, string | undefined>();
  const queue: string[] = [];
  for (const start of [...new Set(starts)].sort()) {
    previous.set(start, undefined);
    queue.push(start);
  }
  for (let position = 0; position < queue.length; position++) {
    const current = queue[position] ?? '';
    if (current === key) {
      const path: string[] = [];
      for (let step: string | undefined = current; step !== undefined; step = previous.get(step))
        path.unshift(step);
      return path;
    }
    for (const edge of outgoing(graph, current)) {
      if (previous.has(edge.to) || !graph.nodes.has(edge.to)) continue;
      previous.set(edge.to, current);
      queue.push(edge.to);
    }
  }
  return undefined;
}
