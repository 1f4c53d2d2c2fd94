import protobuf from 'protobufjs';
import { ParseError } from '../../../core/errors.js';
import descriptor from './descriptor.json' with { type: 'json' };

/**
 * TensorFlow's SavedModel and Keras SavedMetadata schemas: `descriptor.json` is protobufjs's form of the .proto
 * files vendored in `proto/` (see its README), with field names kept in snake_case.
 */
interface Schema {
  readonly savedModel: protobuf.Type;
  readonly savedMetadata: protobuf.Type;
}

let schema: Schema | undefined;

/** Built on first use: most scans meet no SavedModel, and building the types would slow every worker's start. */
function schemaTypes(): Schema {
  if (schema === undefined) {
    const root = protobuf.Root.fromJSON(descriptor);
    schema = {
      savedModel: root.lookupType('tensorflow.SavedModel'),
      savedMetadata: root.lookupType('third_party.tensorflow.python.keras.protobuf.SavedMetadata'),
    };
  }
  return schema;
}

/**
 * The fields the scanner reads, as protobufjs decodes them: repeated fields are arrays, maps plain objects,
 * unset messages null or undefined, strings strings and bytes Uint8Array views of the input.
 */
export interface AttrValue {
  readonly s?: Uint8Array;
}
export interface NodeDef {
  readonly name: string;
  readonly op: string;
  readonly attr: Readonly<Record<string, AttrValue>>;
}
export interface FunctionDef {
  readonly signature?: { readonly name: string } | null;
  readonly node_def: readonly NodeDef[];
}
export interface GraphDef {
  readonly node: readonly NodeDef[];
  readonly library?: { readonly function: readonly FunctionDef[] } | null;
}
export interface TensorInfo {
  readonly name?: string;
  readonly dtype: number;
}
export interface SignatureDef {
  readonly inputs: Readonly<Record<string, TensorInfo>>;
  readonly outputs: Readonly<Record<string, TensorInfo>>;
  readonly method_name: string;
}
export interface MetaGraphDef {
  readonly meta_info_def?: {
    readonly tags: readonly string[];
    readonly tensorflow_version: string;
    readonly tensorflow_git_version: string;
  } | null;
  readonly graph_def?: GraphDef | null;
  readonly signature_def: Readonly<Record<string, SignatureDef>>;
}
export interface SavedModel {
  readonly saved_model_schema_version: number | { toString(): string };
  readonly meta_graphs: readonly MetaGraphDef[];
}
export interface SavedObject {
  readonly node_path: string;
  readonly identifier: string;
  readonly metadata: string;
}
export interface SavedMetadata {
  readonly nodes: readonly SavedObject[];
}

/**
 * Decodes `bytes` as `type`. protobufjs throws on malformed wire data (bad wire types, lengths past the end,
 * truncated varints) and a hostile nesting depth overflows the stack: any of these is a ParseError, never a
 * partial result.
 */
function decode(type: protobuf.Type, bytes: Uint8Array): protobuf.Message {
  try {
    return type.decode(bytes);
  } catch (error) {
    throw new ParseError('BAD_STRUCTURE', `not a valid ${type.name} protobuf: ${String(error)}`);
  }
}

export function decodeSavedModel(bytes: Uint8Array): SavedModel {
  return decode(schemaTypes().savedModel, bytes) as unknown as SavedModel;
}

export function decodeSavedMetadata(bytes: Uint8Array): SavedMetadata {
  return decode(schemaTypes().savedMetadata, bytes) as unknown as SavedMetadata;
}
