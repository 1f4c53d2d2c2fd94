import type { GraphProblems } from './analyze.js';
import { pathFromDirect } from './analyze.js';
import type { DependencyGraph, GraphEdge, GraphNode, NodeMark } from './model.js';
import { incomingEdges } from './model.js';
import type { GraphView } from './view.js';
import { isFlagged } from './vulnerable.js';
import { shownKeys } from './view.js';

/** Renderings of a graph view, in pipdeptree's shapes: a text tree, JSON, Graphviz DOT and Mermaid. */

/** Labels shown per mark kind in a tree or a graph node; the JSON output and the path summary list them all. */
const MAX_SHOWN_LABELS = 5;

/** The marks as `kind: A, B, C`, one entry per kind, for nodes with many advisories (an old TensorFlow has hundreds). */
function markTexts(marks: readonly NodeMark[]): string[] {
  const byKind = new Map<string, string[]>();
  for (const mark of marks) byKind.set(mark.kind, [...(byKind.get(mark.kind) ?? []), mark.label]);
  return [...byKind].map(([kind, labels]) => {
    const more = labels.length - MAX_SHOWN_LABELS;
    return `${kind}: ${labels.slice(0, MAX_SHOWN_LABELS).join(', ')}${more > 0 ? ` (+${more} more)` : ''}`;
  });
}

function markSuffix(node: GraphNode | undefined): string {
  return markTexts(node?.marks ?? [])
    .map((text) => ` [${text}]`)
    .join('');
}

function nodeLabel(node: GraphNode | undefined, key: string): string {
  if (node === undefined) return key;
  return `${node.name}${node.version === undefined ? '' : `==${node.version}`}${markSuffix(node)}`;
}

function edgeNote(edge: GraphEdge): string {
  if (edge.status === 'missing') return ' (missing)';
  if (edge.status === 'conflict') return ` (conflict${edge.note === undefined ? '' : `: ${edge.note}`})`;
  return '';
}

/**
 * The text tree expands shared subtrees again under every parent, as pipdeptree does, which grows exponentially
 * on layered graphs; past this many lines it stops and says so.
 */
export const MAX_TEXT_LINES = 100_000;

/** The text tree: `├──`/`└──` branches; a node already on the current path is shown once more with `(cycle)`. */
export function renderText(view: GraphView, maxLines = MAX_TEXT_LINES): string {
  const { graph } = view;
  const lines: string[] = [];
  const present = graph.kind === 'lock' ? 'locked' : 'installed';
  const visit = (key: string, prefix: string, path: Set<string>, level: number): void => {
    if (level >= view.depth) return;
    const edges = view.next(key);
    edges.forEach((edge, position) => {
      if (lines.length >= maxLines) return;
      const last = position === edges.length - 1;
      const target = view.far(edge);
      const node = graph.nodes.get(target);
      const text = view.reverse
        ? `${nodeLabel(node, target)} [requires: ${graph.nodes.get(edge.to)?.name ?? edge.name}${edge.required}]`
        : `${node?.name ?? edge.name}${markSuffix(node)} ` +
          `[required: ${edge.required === '' ? 'Any' : edge.required}, ${present}: ${node?.version ?? '?'}]`;
      const marker = edge.markerText === undefined ? '' : ` ; ${edge.markerText}`;
      const cycle = path.has(target) ? ' (cycle)' : '';
      lines.push(`${prefix}${last ? '└── ' : '├── '}${text}${marker}${edgeNote(edge)}${cycle}`);
      if (cycle === '' && node !== undefined)
        visit(target, `${prefix}${last ? '    ' : '│   '}`, new Set([...path, target]), level + 1);
    });
  };
  for (const start of view.starts) {
    if (lines.length >= maxLines) break;
    lines.push(nodeLabel(graph.nodes.get(start), start));
    visit(start, '', new Set([start]), 0);
  }
  if (lines.length >= maxLines)
    lines.push(`… stopped after ${maxLines} lines; narrow the tree with --package or --depth`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The problems, as pipdeptree prints its warnings. */
export function renderProblems(graph: DependencyGraph, problems: GraphProblems): string {
  const lines: string[] = [];
  const name = (key: string): string => nodeLabel(graph.nodes.get(key), key);
  if (problems.conflicts.length > 0) {
    lines.push('Conflicting dependencies found:');
    for (const edge of problems.conflicts)
      lines.push(
        `* ${name(edge.from)} requires ${edge.name}${edge.required}, installed: ${graph.nodes.get(edge.to)?.version ?? '?'}`,
      );
  }
  if (problems.missing.length > 0) {
    lines.push('Missing dependencies found:');
    for (const edge of problems.missing)
      lines.push(
        `* ${name(edge.from)} requires ${edge.name}${edge.required}, not ${graph.kind === 'lock' ? 'locked' : 'installed'}`,
      );
  }
  if (problems.cycles.length > 0) {
    lines.push('Cyclic dependencies found:');
    for (const cycle of problems.cycles) lines.push(`* ${cycle.join(' => ')}`);
  }
  for (const duplicate of graph.duplicates)
    lines.push(`Installed more than once: ${duplicate.key} (${duplicate.paths.join(', ')})`);
  for (const error of graph.errors) lines.push(`Unreadable: ${error.path}: ${error.message}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * JSON: pipdeptree's flat `--json` entries (`package`, `dependencies` with `required_version`) for the shown
 * packages, plus `required_by`, each node's `marks`, and the problems.
 */
export function renderJson(view: GraphView, problems: GraphProblems): string {
  const { graph } = view;
  const shown = shownKeys(view);
  const incoming = incomingEdges(graph);
  const packages = [...shown]
    .filter((key) => graph.nodes.has(key))
    .sort()
    .map((key) => {
      const node = graph.nodes.get(key);
      return {
        package: {
          key,
          package_name: node?.name ?? key,
          installed_version: node?.version ?? null,
          direct: node?.direct ?? false,
          path: node?.component.origin.path ?? null,
          marks: (node?.marks ?? []).map(({ kind, label }) => ({ kind, label })),
          vulnerabilities: (node?.marks ?? []).flatMap(({ kind, advisory }) =>
            advisory === undefined ? [] : [{ ...advisory, malicious: kind === 'malicious' }],
          ),
          // How a vulnerable package got in: node keys from a direct dependency (or a top) to it.
          ...(node !== undefined &&
            isFlagged(node) && { dependency_path: pathFromDirect(graph, key) ?? null }),
        },
        dependencies: (graph.edges.get(key) ?? []).map((edge) => ({
          key: edge.to,
          package_name: graph.nodes.get(edge.to)?.name ?? edge.name,
          installed_version: graph.nodes.get(edge.to)?.version ?? null,
          required_version: edge.required === '' ? null : edge.required,
          marker: edge.markerText ?? null,
          status: edge.status,
          ...(edge.note !== undefined && { note: edge.note }),
        })),
        required_by: (incoming.get(key) ?? []).map((edge) => edge.from).sort(),
      };
    });
  const document = {
    source: graph.source,
    kind: graph.kind,
    reverse: view.reverse,
    roots: view.starts,
    packages,
    conflicts: problems.conflicts.map(({ from, to, required, status, note }) => ({
      from,
      to,
      required,
      status,
      ...(note !== undefined && { note }),
    })),
    missing: problems.missing.map(({ from, to, required }) => ({ from, to, required })),
    cycles: problems.cycles,
    duplicates: graph.duplicates,
    errors: graph.errors,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Edges between shown nodes, in the view's direction (a reversed view points from a package to its requirers). */
function shownEdges(view: GraphView, shown: ReadonlySet<string>): GraphEdge[] {
  return [...shown].sort().flatMap((key) => view.next(key).filter((edge) => shown.has(view.far(edge))));
}

function quoteDot(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Graphviz DOT: nodes labelled `name\nversion`, edges labelled with the requirement; problems in colour. */
export function renderDot(view: GraphView): string {
  const { graph } = view;
  const shown = shownKeys(view);
  const lines = ['digraph {'];
  for (const key of [...shown].sort()) {
    const node = graph.nodes.get(key);
    const parts =
      node === undefined ? [key, '(missing)'] : [node.name, node.version ?? '', ...markTexts(node.marks)];
    // DOT's `\n` is a line break inside a label; each part is escaped on its own.
    const label = `"${parts.map((part) => quoteDot(part).slice(1, -1)).join('\\n')}"`;
    const style = node === undefined ? ', style=dashed' : node.marks.length > 0 ? ', color=red' : '';
    lines.push(`  ${quoteDot(key)} [label=${label}${style}];`);
  }
  for (const edge of shownEdges(view, shown)) {
    const color = edge.status === 'ok' ? '' : `, color=red`;
    lines.push(
      `  ${quoteDot(view.reverse ? edge.to : edge.from)} -> ${quoteDot(view.far(edge))} [label=${quoteDot(edge.required === '' ? 'any' : edge.required)}${color}];`,
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Mermaid text is HTML-like: quotes and angle brackets are written as entities. */
function quoteMermaid(text: string): string {
  return `"${text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')}"`;
}

/** A Mermaid flowchart; ids are generated because package names may contain characters Mermaid reserves. */
export function renderMermaid(view: GraphView): string {
  const { graph } = view;
  const shown = [...shownKeys(view)].sort();
  const ids = new Map(shown.map((key, index) => [key, `p${index}`]));
  const lines = [
    'flowchart TD',
    '  classDef missing stroke-dasharray: 5',
    '  classDef marked stroke:#d00,stroke-width:2px',
  ];
  for (const key of shown) {
    const node = graph.nodes.get(key);
    const parts =
      node === undefined ? [`${key} (missing)`] : [node.name, node.version ?? '', ...markTexts(node.marks)];
    const label = `"${parts.map((part) => quoteMermaid(part).slice(1, -1)).join('<br/>')}"`;
    const css = node === undefined ? ':::missing' : node.marks.length > 0 ? ':::marked' : '';
    lines.push(`  ${ids.get(key) ?? ''}[${label}]${css}`);
  }
  for (const edge of shownEdges(view, new Set(shown))) {
    const source = view.reverse ? edge.to : edge.from;
    const arrow = edge.status === 'ok' ? '-->' : '-.->';
    lines.push(
      `  ${ids.get(source) ?? ''} ${arrow}|${quoteMermaid(edge.required === '' ? 'any' : edge.required)}| ${ids.get(view.far(edge)) ?? ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
