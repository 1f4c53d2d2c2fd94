import { MAX_SECTION_ITEMS, section, type ModelItem } from '../../../core/model-part.js';
import { clip, elementCount } from '../describe-util.js';
import { ONNX_CUSTOM_DOMAIN, ONNX_EXTERNAL_DATA_OUTSIDE } from '../rules.js';
import type { Scope } from '../scope.js';

/** Distinct operator names counted one by one; a hostile model with more has the rest counted together. */
const MAX_OPERATOR_NAMES = 10_000;
const OTHER_OPERATORS = '(other operators)';

interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
}

/**
 * What an ONNX model declares, gathered during the protobuf walk: counts always, lists only up to what the
 * `inspect` view shows, so memory stays bounded whatever the number of nodes and initializers.
 */
export class OnnxFacts {
  irVersion: number | undefined;
  producerName: string | undefined;
  producerVersion: string | undefined;
  /** Operator (`Conv`, or `domain::Op` outside the standard domains) → nodes using it, over every graph. */
  readonly operators = new Map<string, number>();
  /** The model's opset imports, `domain` (empty for the default) and version. */
  readonly opsets: { domain: string; version: string }[] = [];
  nodes = 0;
  initializerCount = 0;
  parameters = 0n;
  readonly initializers: Initializer[] = [];
  readonly externalData: { tensor: string; location: string; outside: boolean }[] = [];

  addNode(operator: string): void {
    this.nodes++;
    const key =
      this.operators.has(operator) || this.operators.size < MAX_OPERATOR_NAMES ? operator : OTHER_OPERATORS;
    this.operators.set(key, (this.operators.get(key) ?? 0) + 1);
  }

  addInitializer(initializer: Initializer): void {
    this.initializerCount++;
    this.parameters += elementCount(initializer.dims);
    if (this.initializers.length <= MAX_SECTION_ITEMS) this.initializers.push(initializer);
  }

  addExternalData(tensor: string, location: string, outside: boolean): void {
    if (this.externalData.length <= MAX_SECTION_ITEMS) this.externalData.push({ tensor, location, outside });
  }
}

/**
 * Records an ONNX model: nodes (in every graph, subgraph and function), graph initializers and the parameters
 * their shapes add up to (dense initializers only), opset imports, producer and IR version; with detail, the
 * operator histogram (custom domains marked), the initializers and the external-data locations (those leaving
 * the model's folder marked).
 */
export function describeOnnx(scope: Scope, member: string | undefined, facts: OnnxFacts): void {
  const properties: Record<string, string> = {
    nodes: String(facts.nodes),
    initializers: String(facts.initializerCount),
    opsets: facts.opsets
      .map(({ domain, version }) => `${domain === '' ? 'ai.onnx' : domain} ${version}`)
      .join(', '),
  };
  if (facts.irVersion !== undefined) properties['ir version'] = String(facts.irVersion);
  if (facts.producerName !== undefined) properties.producer = clip(facts.producerName);
  if (facts.producerVersion !== undefined) properties['producer version'] = clip(facts.producerVersion);
  scope.describe({
    ...(member !== undefined && { member }),
    format: 'onnx',
    framework: 'onnx',
    tensors: facts.initializerCount,
    parameters: Number(facts.parameters),
    properties,
    ...(scope.detail && {
      sections: [
        section('operators', [...facts.operators].sort(([a], [b]) => a.localeCompare(b)).map(operatorItem)),
        section(
          'initializers',
          facts.initializers.map(({ name, dims, dataType }) => ({
            text: `${clip(name)} data type ${dataType} [${dims.join(', ')}]`,
          })),
        ),
        section(
          'external data',
          facts.externalData.map(({ tensor, location, outside }) => ({
            text: `${clip(tensor)} → ${clip(location)}`,
            ...(outside && { risk: ONNX_EXTERNAL_DATA_OUTSIDE.severity }),
          })),
        ),
      ].filter((part) => part.items.length > 0),
    }),
  });
}

function operatorItem([operator, count]: [string, number]): ModelItem {
  const custom = operator.includes('::');
  return { text: `${clip(operator)} × ${count}`, ...(custom && { risk: ONNX_CUSTOM_DOMAIN.severity }) };
}
