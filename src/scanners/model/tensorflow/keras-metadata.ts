import { ParseError } from '../../../core/errors.js';
import { section, type ModelItem } from '../../../core/model-part.js';
import type { Content } from '../content.js';
import { clip } from '../describe-util.js';
import { analyseKerasConfig, KERAS_CONFIG_MAX_BYTES } from '../keras.js';
import type { Scope } from '../scope.js';
import { readWhole } from './read.js';
import { decodeSavedMetadata } from './schema.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_DEPTH = 256;

/**
 * The metadata JSON with Keras 2's tuple encoding (`{"class_name": "__tuple__", "items": [...]}`, which its
 * decoder turns back into tuples) written as plain lists, the form `.h5` model configs use and the Keras config
 * analysis reads: a Lambda's `function` is such a tuple of (base64 marshal, defaults, closure).
 */
function untuple(value: Json, depth: number): Json {
  if (depth > MAX_DEPTH)
    throw new ParseError('BAD_STRUCTURE', `Keras metadata nests more than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((item) => untuple(item, depth + 1));
  if (!isObject(value)) return value;
  if (value.class_name === '__tuple__' && Array.isArray(value.items)) return untuple(value.items, depth + 1);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, untuple(item, depth + 1)]));
}

function parseMetadata(text: string, path: string): Json {
  try {
    return untuple(JSON.parse(text) as Json, 0);
  } catch (error) {
    if (error instanceof ParseError) throw error;
    throw new ParseError('INVALID_VALUE', `Keras metadata of node '${path}' is not JSON: ${String(error)}`);
  }
}

/**
 * `keras_metadata.pb`, written beside `saved_model.pb` by Keras 2 (`model.save(..., save_format="tf")`): a
 * SavedMetadata protobuf with one node per Keras object, each carrying the object's JSON config, from which
 * Keras rebuilds the layer on `load_model`. Every node is analysed as a Keras layer config (MODEL-KERAS-001/2/3:
 * Lambda bytecode, module references, custom classes), all in one walk so that a layer seen both inside the
 * model's config and as a node of its own is reported once. Malformed protobuf or JSON is a ParseError.
 */
export async function scanKerasMetadata(scope: Scope, content: Content): Promise<void> {
  const metadata = decodeSavedMetadata(await readWhole(content, KERAS_CONFIG_MAX_BYTES, 'keras_metadata.pb'));
  if (metadata.nodes.length === 0) throw new ParseError('BAD_STRUCTURE', 'Keras metadata has no node');
  const configs = metadata.nodes.map((node) => parseMetadata(node.metadata, node.node_path));
  // Under `layers`, each node config is walked as a layer (named, classes checked), as in a model's config.
  const summary = analyseKerasConfig(
    scope,
    content.member,
    JSON.stringify({ layers: configs }),
    'keras-savedmodel',
  );
  const items: ModelItem[] = metadata.nodes.map((node, index) => {
    const config = configs[index] ?? null;
    const className = isObject(config) && typeof config.class_name === 'string' ? config.class_name : '?';
    const name = isObject(config) && typeof config.name === 'string' ? config.name : undefined;
    const risk = summary.layers.find((layer) => layer.name === name && layer.risk !== undefined)?.risk;
    return {
      text: clip(`${node.node_path}: ${className}${name === undefined ? '' : ` '${name}'`}`),
      ...(risk !== undefined && { risk }),
    };
  });
  const root = metadata.nodes.findIndex((node) => node.node_path === 'root');
  const rootConfig = configs[root] ?? null;
  scope.describe({
    ...(content.member !== undefined && { member: content.member }),
    format: 'keras-metadata',
    framework: 'keras',
    properties: {
      objects: String(metadata.nodes.length),
      ...(isObject(rootConfig) &&
        typeof rootConfig.class_name === 'string' && { model: clip(rootConfig.class_name) }),
    },
    ...(scope.detail && { sections: [section('objects', items)] }),
  });
}
