import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import protobuf from 'protobufjs';
import { LimitError, ParseError } from '../../../core/errors.js';
import type { BufferedReader } from '../../../targets/reader.js';
import type { Content } from '../content.js';
import { ONNX_CUSTOM_DOMAIN, ONNX_EXTERNAL_DATA_OUTSIDE } from '../rules.js';
import type { Scope } from '../scope.js';
import { ONNX_DESCRIPTOR } from './descriptor.js';
import { OnnxFacts, describeOnnx } from './describe.js';

const root = protobuf.Root.fromJSON(ONNX_DESCRIPTOR);
const StringStringEntry = root.lookupType('onnx.StringStringEntryProto');
const OperatorSetId = root.lookupType('onnx.OperatorSetIdProto');

/** Operator domains of the ONNX standard: the default (`""`, also spelt `ai.onnx`) and `ai.onnx.ml`. */
const STANDARD_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml']);
/** Graphs nest inside node attributes (If, Loop, Scan); deeper than this is refused, not followed. */
const MAX_MESSAGE_DEPTH = 64;
/** Dimensions of one tensor; ONNX Runtime and NumPy stop far below this. */
const MAX_TENSOR_DIMS = 1024;
/** Opset imports listed for the model; real models have a handful. */
const MAX_OPSETS = 100;
/** Largest string or leaf message read into memory (names, domains, external-data entries, opset ids). */
const MAX_LEAF_BYTES = 1024 * 1024;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Field numbers from onnx.proto (vendored beside this file). */
const MODEL_IR_VERSION = 1;
const MODEL_PRODUCER_NAME = 2;
const MODEL_PRODUCER_VERSION = 3;
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const MODEL_FUNCTIONS = 25;
const FUNCTION_NODE = 7;
const FUNCTION_OPSET_IMPORT = 9;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_SPARSE_INITIALIZER = 15;
const NODE_OP_TYPE = 4;
const NODE_DOMAIN = 7;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_TENSOR = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_TENSORS = 10;
const ATTRIBUTE_GRAPHS = 11;
const ATTRIBUTE_SPARSE_TENSOR = 22;
const ATTRIBUTE_SPARSE_TENSORS = 23;
const SPARSE_VALUES = 1;
const SPARSE_INDICES = 2;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;

interface Walk {
  readonly reader: BufferedReader;
  readonly scope: Scope;
  /** Custom domain → where it was first seen. */
  readonly domains: Map<string, string>;
  /** Unsafe external-data location → the tensor that names it. */
  readonly locations: Map<string, string>;
  /** In-folder external-data locations → the tensor that names it (checked for symbolic links on disk). */
  readonly inFolder: Map<string, string>;
  /** What the model declares, for the ML-BOM and `inspect`. */
  readonly facts: OnnxFacts;
}

async function readVarint(reader: BufferedReader, end: number): Promise<number> {
  let value = 0;
  let scale = 1;
  for (let index = 0; index < 10; index++) {
    if (reader.offset >= end) break;
    const [byte] = await reader.take(1);
    if (byte === undefined) break;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (!Number.isSafeInteger(value))
        throw new ParseError('INVALID_VALUE', 'varint too large', reader.offset);
      return value;
    }
    scale *= 128;
  }
  throw new ParseError('TRUNCATED', 'protobuf varint cut short', reader.offset);
}

async function skipExactly(reader: BufferedReader, count: number): Promise<void> {
  if ((await reader.skip(count)) < count) {
    throw new ParseError('TRUNCATED', 'protobuf field runs past the end of the data', reader.offset);
  }
}

async function takeExactly(reader: BufferedReader, count: number): Promise<Uint8Array> {
  if (count > MAX_LEAF_BYTES) {
    throw new LimitError(
      'MEMORY',
      `ONNX field of ${count} bytes where a short one is expected`,
      reader.offset,
    );
  }
  const bytes = await reader.take(count);
  if (bytes.length < count) {
    throw new ParseError('TRUNCATED', 'protobuf field runs past the end of the data', reader.offset);
  }
  return bytes;
}

type FieldHandler = (field: number, end: number) => Promise<boolean>;
type VarintHandler = (field: number, value: number) => void;

/**
 * Walks the fields of one message that ends at `end` (an offset of the reader). For each length-delimited field
 * `handle` is called with the field's end; it reads the field and returns true, or returns false to have it
 * skipped. The top-level message (`end` undefined) ends with the data. Other wire types are skipped; groups, which onnx.proto does not use, are refused as malformed.
 */
async function walkMessage(
  walk: Walk,
  end: number | undefined,
  handle: FieldHandler,
  onVarint?: VarintHandler,
): Promise<void> {
  const reader = walk.reader;
  while (end === undefined ? !(await reader.atEnd()) : reader.offset < end) {
    const tag = await readVarint(reader, end ?? Infinity);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) throw new ParseError('BAD_STRUCTURE', 'protobuf field number 0', reader.offset);
    if (wire === VARINT) {
      const value = await readVarint(reader, end ?? Infinity);
      onVarint?.(field, value);
    } else if (wire === FIXED64) await skipExactly(reader, 8);
    else if (wire === FIXED32) await skipExactly(reader, 4);
    else if (wire === LENGTH_DELIMITED) {
      const length = await readVarint(reader, end ?? Infinity);
      const fieldEnd = reader.offset + length;
      if (end !== undefined && fieldEnd > end) {
        throw new ParseError('INVALID_LENGTH', 'protobuf field runs past its message', reader.offset);
      }
      if (!(await handle(field, fieldEnd))) await skipExactly(reader, length);
      if (reader.offset !== fieldEnd) {
        throw new ParseError('BAD_STRUCTURE', 'protobuf message does not end with its field', reader.offset);
      }
    } else {
      throw new ParseError('BAD_STRUCTURE', `protobuf wire type ${wire} is not used by ONNX`, reader.offset);
    }
  }
}

async function readString(walk: Walk, end: number): Promise<string> {
  const bytes = await takeExactly(walk.reader, end - walk.reader.offset);
  return new TextDecoder().decode(bytes);
}

async function decodeLeaf(walk: Walk, end: number, type: protobuf.Type): Promise<Record<string, unknown>> {
  const bytes = await takeExactly(walk.reader, end - walk.reader.offset);
  try {
    return type.toObject(type.decode(bytes), { longs: String, defaults: true });
  } catch (error) {
    throw new ParseError('BAD_STRUCTURE', `bad ${type.name}: ${String(error)}`, walk.reader.offset);
  }
}

function noteDomain(walk: Walk, domain: string, where: string): void {
  if (!STANDARD_DOMAINS.has(domain) && !walk.domains.has(domain)) walk.domains.set(domain, where);
}

async function opsetImport(walk: Walk, end: number, model: boolean): Promise<void> {
  const opset = await decodeLeaf(walk, end, OperatorSetId);
  noteDomain(walk, String(opset.domain), 'opset_import');
  if (model && walk.facts.opsets.length < MAX_OPSETS)
    walk.facts.opsets.push({ domain: String(opset.domain), version: String(opset.version) });
}

/** Adds one dimension to a tensor's shape, refusing shapes no runtime accepts (a memory bomb otherwise). */
function addDimension(dims: number[], value: number): void {
  if (dims.length >= MAX_TENSOR_DIMS) {
    throw new LimitError('MEMORY', `ONNX tensor with more than ${MAX_TENSOR_DIMS} dimensions`);
  }
  dims.push(value);
}

/** Packed repeated `dims`, as proto3 writers emit them. */
async function packedDims(walk: Walk, end: number, dims: number[]): Promise<void> {
  while (walk.reader.offset < end) addDimension(dims, await readVarint(walk.reader, end));
}

/**
 * Whether a loader joining `location` to the model's folder leaves it: an absolute path (POSIX, UNC or a drive
 * letter) or a `..` component anywhere, under either separator (onnx up to 1.15 refused only some, CVE-2024-27318).
 */
export function escapesModelFolder(location: string): boolean {
  if (/^[/\\]/.test(location) || /^[A-Za-z]:/.test(location)) return true;
  return location.split(/[/\\]/).some((part) => part === '..');
}

/**
 * A TensorProto: only its name, shape, type and external_data entries are read; raw_data and typed data are
 * skipped. A graph `initializer` is recorded as one of the model's weights.
 */
async function tensor(walk: Walk, end: number, depth: number, initializer = false): Promise<void> {
  checkDepth(depth);
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  const locations: string[] = [];
  await walkMessage(
    walk,
    end,
    async (field, fieldEnd) => {
      if (field === TENSOR_NAME) name = await readString(walk, fieldEnd);
      else if (field === TENSOR_DIMS) await packedDims(walk, fieldEnd, dims);
      else if (field === TENSOR_EXTERNAL_DATA) {
        const entry = await decodeLeaf(walk, fieldEnd, StringStringEntry);
        if (entry.key === 'location') locations.push(String(entry.value));
      } else return false;
      return true;
    },
    (field, value) => {
      if (field === TENSOR_DIMS) addDimension(dims, value);
      else if (field === TENSOR_DATA_TYPE) dataType = value;
    },
  );
  for (const location of locations) {
    const found = escapesModelFolder(location) ? walk.locations : walk.inFolder;
    if (!found.has(location)) found.set(location, name);
    walk.facts.addExternalData(name, location, found === walk.locations);
  }
  if (initializer) walk.facts.addInitializer({ name, dims, dataType });
}

async function sparseTensor(walk: Walk, end: number, depth: number): Promise<void> {
  checkDepth(depth);
  await walkMessage(walk, end, async (field, fieldEnd) => {
    if (field !== SPARSE_VALUES && field !== SPARSE_INDICES) return false;
    await tensor(walk, fieldEnd, depth + 1);
    return true;
  });
}

async function attribute(walk: Walk, end: number, depth: number): Promise<void> {
  checkDepth(depth);
  await walkMessage(walk, end, async (field, fieldEnd) => {
    if (field === ATTRIBUTE_TENSOR || field === ATTRIBUTE_TENSORS) await tensor(walk, fieldEnd, depth + 1);
    else if (field === ATTRIBUTE_GRAPH || field === ATTRIBUTE_GRAPHS) await graph(walk, fieldEnd, depth + 1);
    else if (field === ATTRIBUTE_SPARSE_TENSOR || field === ATTRIBUTE_SPARSE_TENSORS) {
      await sparseTensor(walk, fieldEnd, depth + 1);
    } else return false;
    return true;
  });
}

async function node(walk: Walk, end: number, depth: number): Promise<void> {
  checkDepth(depth);
  let domain = '';
  let opType = '';
  await walkMessage(walk, end, async (field, fieldEnd) => {
    if (field === NODE_DOMAIN) {
      domain = await readString(walk, fieldEnd);
      noteDomain(walk, domain, 'node');
    } else if (field === NODE_OP_TYPE) opType = await readString(walk, fieldEnd);
    else if (field === NODE_ATTRIBUTE) await attribute(walk, fieldEnd, depth + 1);
    else return false;
    return true;
  });
  walk.facts.addNode(STANDARD_DOMAINS.has(domain) ? opType : `${domain}::${opType}`);
}

async function graph(walk: Walk, end: number, depth: number): Promise<void> {
  checkDepth(depth);
  walk.scope.context.checkDeadline();
  await walkMessage(walk, end, async (field, fieldEnd) => {
    if (field === GRAPH_NODE) await node(walk, fieldEnd, depth + 1);
    else if (field === GRAPH_INITIALIZER) await tensor(walk, fieldEnd, depth + 1, true);
    else if (field === GRAPH_SPARSE_INITIALIZER) await sparseTensor(walk, fieldEnd, depth + 1);
    else return false;
    return true;
  });
}

async function modelFunction(walk: Walk, end: number, depth: number): Promise<void> {
  await walkMessage(walk, end, async (field, fieldEnd) => {
    if (field === FUNCTION_NODE) await node(walk, fieldEnd, depth + 1);
    else if (field === FUNCTION_OPSET_IMPORT) await opsetImport(walk, fieldEnd, false);
    else return false;
    return true;
  });
}

function checkDepth(depth: number): void {
  if (depth > MAX_MESSAGE_DEPTH) {
    throw new LimitError('NESTING_DEPTH', `ONNX messages nested more than ${MAX_MESSAGE_DEPTH} deep`);
  }
}

/**
 * In-folder locations that a symbolic link (the file or a folder on the way) takes outside the model's folder
 * on disk, with where they lead. Only paths are resolved (`realpath`); no file is opened. A location that does
 * not exist is left alone: loading fails on it.
 */
async function linkedOutside(
  folder: string,
  locations: ReadonlyMap<string, string>,
): Promise<[string, string, string][]> {
  if (locations.size === 0) return [];
  const root = await realpath(folder).catch(() => undefined);
  if (root === undefined) return [];
  const outside: [string, string, string][] = [];
  for (const [location, tensorName] of locations) {
    const target = await realpath(join(folder, location)).catch(() => undefined);
    if (target === undefined) continue;
    const path = relative(root, target);
    if (path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path)) {
      outside.push([location, target, tensorName]);
    }
  }
  return outside;
}

/**
 * An ONNX model: a protobuf ModelProto with no magic, claimed by its `.onnx` name. The protobuf wire format is
 * walked straight off the content's reader rather than decoded whole, because initializers carry the weights
 * inline (`raw_data`, gigabytes for large models): every field the checks do not need is skipped (a seek for
 * files), and only small leaf messages (names, domains, `external_data` entries, opset ids) are read into
 * memory and decoded with protobufjs from ONNX's own schema. Memory stays flat whatever the model's size.
 * Content that is not a well-formed ModelProto with a graph is a ParseError (SCAN-001).
 *
 * Reports external-data locations that leave the model's folder (MODEL-ONNX-001): by their text, and for a file
 * on disk also through symbolic links (CVE-2026-27489 family); and operator domains outside
 * the ONNX standard, from nodes (in any graph, subgraph or function) and opset imports (MODEL-ONNX-002).
 */
export async function scanOnnx(scope: Scope, content: Content): Promise<void> {
  const reader = content.reader;
  const facts = new OnnxFacts();
  const walk: Walk = { reader, scope, domains: new Map(), locations: new Map(), inFolder: new Map(), facts };
  const seen = { graph: false };
  await walkMessage(
    walk,
    undefined,
    async (field, fieldEnd) => {
      if (field === MODEL_GRAPH) {
        seen.graph = true;
        await graph(walk, fieldEnd, 1);
      } else if (field === MODEL_OPSET_IMPORT) await opsetImport(walk, fieldEnd, true);
      else if (field === MODEL_FUNCTIONS) await modelFunction(walk, fieldEnd, 1);
      else if (field === MODEL_PRODUCER_NAME) facts.producerName = await readString(walk, fieldEnd);
      else if (field === MODEL_PRODUCER_VERSION) facts.producerVersion = await readString(walk, fieldEnd);
      else return false;
      return true;
    },
    (field, value) => {
      if (field === MODEL_IR_VERSION) facts.irVersion = value;
    },
  );
  if (!seen.graph) throw new ParseError('BAD_STRUCTURE', 'not an ONNX model: no graph');
  describeOnnx(scope, content.member, facts);
  const member = content.member !== undefined ? { member: content.member } : {};
  for (const [location, tensorName] of walk.locations) {
    scope.context.report({
      ruleId: ONNX_EXTERNAL_DATA_OUTSIDE.id,
      message: `Tensor '${tensorName}' loads its data from '${location}', outside the model's folder`,
      evidence: location,
      ...member,
    });
  }
  if (content.member === undefined && scope.folder !== undefined) {
    for (const [location, target, tensorName] of await linkedOutside(scope.folder, walk.inFolder)) {
      scope.context.report({
        ruleId: ONNX_EXTERNAL_DATA_OUTSIDE.id,
        message: `Tensor '${tensorName}' loads its data from '${location}', a symbolic link (or under one) to '${target}' outside the model's folder`,
        evidence: location,
      });
    }
  }
  for (const [domain, where] of walk.domains) {
    scope.context.report({
      ruleId: ONNX_CUSTOM_DOMAIN.id,
      message: `The model uses the custom operator domain '${domain}' (${where}); loading it needs a custom-op library`,
      evidence: domain,
      ...member,
    });
  }
}
