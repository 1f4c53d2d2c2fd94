import { LimitError, ParseError } from '../../../core/errors.js';
import { section, type ModelItem } from '../../../core/model-part.js';
import type { Content } from '../content.js';
import { clip } from '../describe-util.js';
import type { Scope } from '../scope.js';
import { FILE_OPS, FILE_STREAM_PREFIX, PRINT_OP, PYTHON_OPS, STANDARD_OPS } from './ops.js';
import { readWhole } from './read.js';
import { TF_FILE_OP, TF_PYTHON_OP, TF_UNLISTED_OP } from './rules.js';
import {
  decodeSavedModel,
  type MetaGraphDef,
  type NodeDef,
  type SavedModel,
  type TensorInfo,
} from './schema.js';

/**
 * Largest `saved_model.pb` decoded. Weights live in `variables/`, so real ones are kilobytes to tens of
 * megabytes (graphs with large constants more); protobuf itself stops at 2 GiB. Larger ones fail closed.
 */
export const SAVED_MODEL_MAX_BYTES = 256 * 1024 * 1024;
/** Most nodes walked, over the graphs and function bodies of all meta graphs; more fail closed. */
export const SAVED_MODEL_MAX_NODES = 2_000_000;

type Rule = typeof TF_PYTHON_OP | typeof TF_FILE_OP | typeof TF_UNLISTED_OP;

/** A risky use of an op, reported once per rule and evidence with where it was first seen and how often. */
interface Risk {
  readonly rule: Rule;
  readonly evidence: string;
  readonly what: string;
  readonly where: string;
  count: number;
}

class OpCensus {
  /** Op type → number of nodes using it. */
  readonly histogram = new Map<string, number>();
  readonly risks = new Map<string, Risk>();
  /** Op type → severity of the rule it was reported under, to mark it in the `ops` section. */
  readonly riskyOps = new Map<string, ModelItem['risk']>();
  nodes = 0;

  constructor(private readonly scope: Scope) {}

  /** Counts one node of a graph (`where` names it for the report) whose library defines `functions`. */
  visit(node: NodeDef, where: string, functions: ReadonlySet<string>): void {
    this.nodes += 1;
    if (this.nodes > SAVED_MODEL_MAX_NODES) {
      throw new LimitError('MEMBER_COUNT', `SavedModel has more than ${SAVED_MODEL_MAX_NODES} nodes`);
    }
    if (this.nodes % 4096 === 0) this.scope.context.checkDeadline();
    const op = node.op;
    this.histogram.set(op, (this.histogram.get(op) ?? 0) + 1);
    // Op names, paths and node names are attacker text: clipped wherever they are shown.
    const shown = clip(op);
    if (PYTHON_OPS.has(op)) {
      this.note(TF_PYTHON_OP, op, shown, `calls op ${shown}, which runs a Python function`, where);
    } else if (FILE_OPS.has(op)) this.note(TF_FILE_OP, op, shown, `uses file-system op ${shown}`, where);
    else if (op === PRINT_OP) {
      const stream = node.attr.output_stream?.s;
      const target = stream === undefined ? '' : clip(new TextDecoder().decode(stream));
      if (target.startsWith(FILE_STREAM_PREFIX)) {
        this.note(TF_FILE_OP, op, target, `prints to the file ${target} (${op})`, where);
      }
    } else if (!STANDARD_OPS.has(op) && !functions.has(op)) {
      this.note(TF_UNLISTED_OP, op, shown, `uses op '${shown}', which TensorFlow does not provide`, where);
    }
  }

  private note(rule: Rule, op: string, evidence: string, what: string, where: string): void {
    this.riskyOps.set(op, rule.severity);
    const key = `${rule.id}\n${evidence}`;
    const known = this.risks.get(key);
    if (known !== undefined) known.count += 1;
    else this.risks.set(key, { rule, evidence, what, where, count: 1 });
  }
}

function walkMetaGraph(census: OpCensus, metaGraph: MetaGraphDef, label: string): void {
  const graph = metaGraph.graph_def;
  if (graph === null || graph === undefined) return;
  const functions = graph.library?.function ?? [];
  // A node whose op names a library function calls that function (graph.proto): it is not an op.
  const names = new Set(functions.map((fn) => fn.signature?.name ?? ''));
  for (const node of graph.node) census.visit(node, `${label} graph, node '${clip(node.name)}'`, names);
  for (const fn of functions) {
    const where = `${label} function '${clip(fn.signature?.name ?? '')}'`;
    for (const node of fn.node_def) census.visit(node, `${where}, node '${clip(node.name)}'`, names);
  }
}

function tagsOf(metaGraph: MetaGraphDef): string {
  return clip(metaGraph.meta_info_def?.tags.join(',') ?? '');
}

function tensorList(tensors: Readonly<Record<string, TensorInfo>>): string {
  return Object.keys(tensors).join(', ');
}

function signatureItems(saved: SavedModel): ModelItem[] {
  return saved.meta_graphs.flatMap((metaGraph) =>
    Object.entries(metaGraph.signature_def).map(([name, signature]) => ({
      text: clip(
        `[${tagsOf(metaGraph)}] ${name}: (${tensorList(signature.inputs)}) -> (${tensorList(signature.outputs)})${signature.method_name ? ` ${signature.method_name}` : ''}`,
      ),
    })),
  );
}

function describeSavedModel(scope: Scope, content: Content, saved: SavedModel, census: OpCensus): void {
  const first = saved.meta_graphs[0]?.meta_info_def;
  const functions = saved.meta_graphs.reduce(
    (sum, mg) => sum + (mg.graph_def?.library?.function.length ?? 0),
    0,
  );
  const properties: Record<string, string> = {
    tags: saved.meta_graphs.map(tagsOf).join('; '),
    'meta graphs': String(saved.meta_graphs.length),
    ops: String(census.nodes),
    'op types': String(census.histogram.size),
    functions: String(functions),
  };
  if (first?.tensorflow_version) properties['tensorflow version'] = clip(first.tensorflow_version);
  const sortedOps = [...census.histogram].sort(
    ([a, countA], [b, countB]) => countB - countA || a.localeCompare(b),
  );
  const sections = scope.detail
    ? [
        section(
          'ops',
          sortedOps.map(([op, count]) => {
            const risk = census.riskyOps.get(op);
            return { text: `${clip(op)} ×${count}`, ...(risk !== undefined && { risk }) };
          }),
        ),
        section('signatures', signatureItems(saved)),
      ]
    : undefined;
  scope.describe({
    ...(content.member !== undefined && { member: content.member }),
    format: 'tensorflow-savedmodel',
    framework: 'tensorflow',
    properties,
    ...(sections !== undefined && { sections }),
  });
}

/**
 * A TensorFlow SavedModel's `saved_model.pb`: a SavedModel protobuf decoded whole with TensorFlow's own schema
 * (size-capped; malformed protobuf or no meta graph is a ParseError). Every node of every meta graph is
 * checked, in the graph and in the bodies of its function library (where TF2 keeps nearly all ops): ops that
 * call Python (MODEL-TF-001), touch files (MODEL-TF-002) or are no standard op (MODEL-TF-003).
 */
export async function scanSavedModel(scope: Scope, content: Content): Promise<void> {
  const saved = decodeSavedModel(await readWhole(content, SAVED_MODEL_MAX_BYTES, 'saved_model.pb'));
  if (saved.meta_graphs.length === 0) {
    throw new ParseError('BAD_STRUCTURE', 'not a TensorFlow SavedModel: no meta graph');
  }
  const census = new OpCensus(scope);
  saved.meta_graphs.forEach((metaGraph, index) => {
    const tags = tagsOf(metaGraph);
    walkMetaGraph(census, metaGraph, tags === '' ? `meta graph ${index}` : `meta graph [${tags}]`);
  });
  for (const risk of census.risks.values()) {
    const more = risk.count > 1 ? ` (${risk.count} nodes)` : '';
    scope.context.report({
      ruleId: risk.rule.id,
      message: `The SavedModel ${risk.what}: ${risk.where}${more}`,
      evidence: risk.evidence,
      ...(content.member !== undefined && { member: content.member }),
    });
  }
  describeSavedModel(scope, content, saved, census);
}
