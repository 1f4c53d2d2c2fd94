import type { OsvIndex } from '../osv/index.js';
import { packageEntry } from '../osv/index.js';
import { groupMatches, matchPackage, type AdvisoryGroup, type Match } from '../osv/match.js';
import { pathFromDirect } from './analyze.js';
import type { DependencyGraph, GraphNode } from './model.js';

/**
 * Marks the graph's vulnerable nodes from an OSV index, with the rules of the DEP-VULN-001/DEP-MAL-001 check: a
 * PyPI node whose version is an exact pin (every installed or locked version is one) is matched; any other node
 * only against `MAL-` records that cover every version. Each advisory group becomes one mark.
 */
export function markVulnerable(graph: DependencyGraph, index: OsvIndex): void {
  for (const node of graph.nodes.values()) {
    for (const group of groupMatches(matchesOf(node, index))) {
      node.marks.push({
        kind: group.malicious ? 'malicious' : 'vulnerable',
        label: group.id,
        advisory: { id: group.id, aliases: group.aliases, fixed: fixesOf(group) },
      });
    }
  }
}

function matchesOf(node: GraphNode, index: OsvIndex): Match[] {
  const { component } = node;
  if (component.ecosystem !== 'PyPI') return [];
  if (component.pin === 'exact' && node.version !== undefined)
    return matchPackage(index, node.key, node.version);
  return (packageEntry(index, node.key)?.advisories ?? []).flatMap((advisory) => {
    const [events] = advisory.ranges;
    const opened = events?.[0];
    const everyVersion =
      advisory.malicious && events?.length === 1 && opened?.kind === 'introduced' && opened.version === '0';
    return everyVersion ? [{ advisory, opened }] : [];
  });
}

function fixesOf(group: AdvisoryGroup): string[] {
  return [...new Set(group.matches.flatMap((match) => (match.fixedIn === undefined ? [] : [match.fixedIn])))];
}

export function isFlagged(node: GraphNode): boolean {
  return node.marks.some((mark) => mark.advisory !== undefined);
}

/**
 * For each flagged node among `keys`: how it got in, as `idna 3.6 ← requests 2.31.0 ← app 1.0 (direct)`, from a
 * direct dependency when one leads to it (else from a top of the tree), with its advisory ids.
 */
export function renderVulnerablePaths(graph: DependencyGraph, keys: Iterable<string>): string {
  const lines: string[] = [];
  for (const key of [...keys].sort()) {
    const node = graph.nodes.get(key);
    if (node === undefined || !isFlagged(node)) continue;
    const ids = node.marks.flatMap((mark) => (mark.advisory === undefined ? [] : [mark.label]));
    const path = pathFromDirect(graph, key);
    const chain =
      path === undefined
        ? `${label(node)} (reachable only through a dependency cycle)`
        : [...path]
            .reverse()
            .map((step) => label(graph.nodes.get(step), step))
            .join(' ← ') + (graph.nodes.get(path[0] ?? '')?.direct === true ? ' (direct)' : ' (top level)');
    lines.push(`* ${chain}: ${ids.join(', ')}`);
  }
  return lines.length === 0 ? '' : `Vulnerable dependencies found:\n${lines.join('\n')}\n`;
}

function label(node: GraphNode | undefined, key = ''): string {
  if (node === undefined) return key;
  return node.version === undefined ? node.name : `${node.name} ${node.version}`;
}
