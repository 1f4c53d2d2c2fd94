import { LimitError, ParseError } from '../../core/errors.js';
import { section } from '../../core/model-part.js';
import type { Content } from './content.js';
import { clip, elementCount } from './describe-util.js';
import { looksLikeTemplate } from './jinja.js';
import type { Scope } from './scope.js';
import { reportTemplate, templateSection } from './template-scan.js';

export const GGUF_MAGIC = [0x47, 0x47, 0x55, 0x46];

export const GGUF_LIMITS = {
  maxKeyValues: 1_000_000,
  maxTensors: 1_000_000,
  maxArrayLength: 100_000_000,
  maxStringBytes: 16 * 1024 * 1024,
  /** Template-bearing keys are kept whole up to this; longer ones cannot be analysed and fail closed. */
  maxTemplateBytes: 1024 * 1024,
  /** Other strings are kept up to this prefix (enough to see template tags); the rest is skipped. */
  maxKeptStringBytes: 64 * 1024,
  maxKeyBytes: 64 * 1024,
  maxNameBytes: 64 * 1024,
  maxDimensions: 8,
  maxArrayNesting: 4,
  /** Array elements that must be visited one by one (strings, nested arrays) across the file. */
  maxVisitedElements: 50_000_000,
} as const;

const TYPE_STRING = 8;
const TYPE_ARRAY = 9;
/** Byte width of each fixed-size value type (uint8 … float64, bool). */
const FIXED_WIDTH: ReadonlyMap<number, number> = new Map([
  [0, 1],
  [1, 1],
  [2, 2],
  [3, 2],
  [4, 4],
  [5, 4],
  [6, 4],
  [7, 1],
  [10, 8],
  [11, 8],
  [12, 8],
]);

/** Names of the value types, for arrays in the `inspect` view. */
const TYPE_NAMES = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
];

export interface GgufSummary {
  readonly version: number;
  readonly tensorCount: number;
  readonly keyCount: number;
  /** Keys, in order, with the string values kept (truncated). */
  readonly strings: Map<string, string>;
  /** Every key, in order, with its value as text: scalars, kept strings, `[N × type]` for arrays. */
  readonly metadata: Map<string, string>;
  /** The first tensor infos (at most 4096). */
  readonly tensors: { name: string; dims: bigint[]; type: number; offset: bigint }[];
  /** Elements over all tensors. */
  readonly parameters: bigint;
}

function isTemplateKey(key: string): boolean {
  return key === 'tokenizer.chat_template' || key.startsWith('tokenizer.chat_template.');
}

const UTF8 = new TextDecoder('utf-8');

class GgufReader {
  visited = 0;
  private readonly content: Content;
  private readonly scope: Scope;

  constructor(scope: Scope, content: Content) {
    this.scope = scope;
    this.content = content;
  }

  /** The next `count` bytes, to be decoded before the next read (they may be a view into the reader's window). */
  private async bytes(count: number, what: string): Promise<Uint8Array> {
    const buffered = this.content.reader.takeBuffered(count);
    if (buffered !== undefined) return buffered;
    const offset = this.content.reader.offset;
    const bytes = await this.content.reader.take(count);
    if (bytes.length < count) throw new ParseError('TRUNCATED', `GGUF ${what} is cut short`, offset);
    return bytes;
  }

  async u32(what: string): Promise<number> {
    const raw = await this.bytes(4, what);
    return new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0, true);
  }

  async u64(what: string): Promise<bigint> {
    const raw = await this.bytes(8, what);
    return new DataView(raw.buffer, raw.byteOffset, 8).getBigUint64(0, true);
  }

  async skip(count: bigint, what: string): Promise<void> {
    const offset = this.content.reader.offset;
    const size = this.content.size;
    if (size !== undefined && count > BigInt(size - offset)) {
      throw new ParseError('TRUNCATED', `GGUF ${what} runs past the end of the data`, offset);
    }
    const wanted = Number(count);
    if ((await this.content.reader.skip(wanted)) < wanted) {
      throw new ParseError('TRUNCATED', `GGUF ${what} runs past the end of the data`, offset);
    }
  }

  /** A string: u64 length, then UTF-8. Keeps at most `keep` bytes; longer than `fail` is an error. */
  async string(keep: number, what: string, fail?: number): Promise<{ text: string; truncated: boolean }> {
    const offset = this.content.reader.offset;
    const length = await this.u64(`${what} length`);
    if (length > BigInt(GGUF_LIMITS.maxStringBytes)) {
      throw new LimitError(
        'MEMORY',
        `GGUF ${what} claims ${length} bytes (limit ${GGUF_LIMITS.maxStringBytes})`,
        offset,
      );
    }
    if (fail !== undefined && length > BigInt(fail)) {
      throw new LimitError(
        'MEMORY',
        `GGUF ${what} has ${length} bytes, more than the ${fail} that are analysed`,
        offset,
      );
    }
    const total = Number(length);
    const kept = Math.min(total, keep);
    const raw = await this.bytes(kept, what);
    if (total > kept) await this.skip(BigInt(total - kept), what);
    return { text: UTF8.decode(raw), truncated: total > kept };
  }

  /** A fixed-width scalar as text. */
  private async scalar(type: number, width: number, key: string): Promise<string> {
    const raw = await this.bytes(width, `value of '${key}'`);
    const view = new DataView(raw.buffer, raw.byteOffset, width);
    const read: Record<number, () => number | bigint | boolean> = {
      0: () => view.getUint8(0),
      1: () => view.getInt8(0),
      2: () => view.getUint16(0, true),
      3: () => view.getInt16(0, true),
      4: () => view.getUint32(0, true),
      5: () => view.getInt32(0, true),
      6: () => view.getFloat32(0, true),
      7: () => view.getUint8(0) !== 0,
      10: () => view.getBigUint64(0, true),
      11: () => view.getBigInt64(0, true),
      12: () => view.getFloat64(0, true),
    };
    return String(read[type]?.());
  }

  /**
   * Reads one value of `type`: a top-level scalar or string as text (strings kept up to a cap), an array as
   * `[N × type]`; values inside arrays are skipped. `depth` counts enclosing arrays.
   */
  async value(type: number, key: string, depth: number): Promise<string | undefined> {
    const width = FIXED_WIDTH.get(type);
    if (width !== undefined) {
      if (depth === 0) return this.scalar(type, width, key);
      await this.skip(BigInt(width), `value of '${key}'`);
      return undefined;
    }
    if (type === TYPE_STRING) {
      if (depth > 0) {
        await this.string(0, `string in '${key}'`);
        return undefined;
      }
      const template = isTemplateKey(key);
      const keep = template ? GGUF_LIMITS.maxTemplateBytes : GGUF_LIMITS.maxKeptStringBytes;
      return (await this.string(keep, `value of '${key}'`, template ? keep : undefined)).text;
    }
    if (type === TYPE_ARRAY) return this.array(key, depth + 1);
    throw new ParseError(
      'INVALID_VALUE',
      `GGUF key '${key}' has unknown value type ${type}`,
      this.content.reader.offset,
    );
  }

  private async array(key: string, depth: number): Promise<string> {
    if (depth > GGUF_LIMITS.maxArrayNesting) {
      throw new LimitError(
        'STACK_DEPTH',
        `GGUF arrays in '${key}' nested more than ${GGUF_LIMITS.maxArrayNesting} deep`,
      );
    }
    const type = await this.u32(`array type of '${key}'`);
    const count = await this.u64(`array length of '${key}'`);
    if (count > BigInt(GGUF_LIMITS.maxArrayLength)) {
      throw new LimitError(
        'MEMORY',
        `GGUF array '${key}' claims ${count} elements (limit ${GGUF_LIMITS.maxArrayLength})`,
      );
    }
    const summary = `[${count} × ${TYPE_NAMES[type] ?? `type ${type}`}]`;
    const width = FIXED_WIDTH.get(type);
    if (width !== undefined) {
      await this.skip(count * BigInt(width), `array '${key}'`);
      return summary;
    }
    if (type !== TYPE_STRING && type !== TYPE_ARRAY) {
      throw new ParseError('INVALID_VALUE', `GGUF array '${key}' has unknown element type ${type}`);
    }
    for (let index = 0n; index < count; index++) {
      this.visited++;
      if (this.visited > GGUF_LIMITS.maxVisitedElements) {
        throw new LimitError(
          'OPCODE_COUNT',
          `more than ${GGUF_LIMITS.maxVisitedElements} GGUF array elements`,
        );
      }
      if (this.visited % 4096 === 0) this.scope.context.checkDeadline();
      await this.value(type, key, depth);
    }
    return summary;
  }
}

/**
 * Reads a GGUF header (v2/v3): key-value metadata and tensor infos, never tensor data. Numeric arrays are
 * skipped without being read into memory, strings inside arrays are skipped, top-level strings are kept up to a
 * cap. Anything malformed or over a limit throws ParseError / LimitError (SCAN-001 / SCAN-002).
 */
export async function readGguf(scope: Scope, content: Content): Promise<GgufSummary> {
  const reader = new GgufReader(scope, content);
  const magic = await content.reader.take(4);
  if (magic.length < 4 || !GGUF_MAGIC.every((byte, index) => magic[index] === byte)) {
    throw new ParseError('BAD_STRUCTURE', 'not a GGUF file', 0);
  }
  const version = await reader.u32('version');
  if (version !== 2 && version !== 3) {
    throw new ParseError('UNSUPPORTED', `GGUF version ${version} is not supported (only 2 and 3)`, 4);
  }
  const tensorCount = await reader.u64('tensor count');
  const keyCount = await reader.u64('metadata key-value count');
  if (tensorCount > BigInt(GGUF_LIMITS.maxTensors)) {
    throw new LimitError(
      'MEMBER_COUNT',
      `GGUF claims ${tensorCount} tensors (limit ${GGUF_LIMITS.maxTensors})`,
      8,
    );
  }
  if (keyCount > BigInt(GGUF_LIMITS.maxKeyValues)) {
    throw new LimitError(
      'MEMBER_COUNT',
      `GGUF claims ${keyCount} metadata keys (limit ${GGUF_LIMITS.maxKeyValues})`,
      16,
    );
  }
  const strings = new Map<string, string>();
  const metadata = new Map<string, string>();
  for (let index = 0n; index < keyCount; index++) {
    if (index % 1024n === 0n) scope.context.checkDeadline();
    const { text: key, truncated } = await reader.string(GGUF_LIMITS.maxKeyBytes, 'metadata key');
    if (truncated) throw new ParseError('INVALID_LENGTH', 'GGUF metadata key longer than 64 KiB');
    const type = await reader.u32(`value type of '${key}'`);
    const value = (await reader.value(type, key, 0)) ?? '';
    if (type === TYPE_STRING) strings.set(key, value);
    metadata.set(key, value);
  }
  const tensors: GgufSummary['tensors'] = [];
  let parameters = 0n;
  for (let index = 0n; index < tensorCount; index++) {
    if (index % 1024n === 0n) scope.context.checkDeadline();
    const { text: name, truncated } = await reader.string(GGUF_LIMITS.maxNameBytes, 'tensor name');
    if (truncated) throw new ParseError('INVALID_LENGTH', 'GGUF tensor name longer than 64 KiB');
    const dimensions = await reader.u32(`dimension count of '${name}'`);
    if (dimensions > GGUF_LIMITS.maxDimensions) {
      throw new ParseError(
        'INVALID_VALUE',
        `GGUF tensor '${name}' has ${dimensions} dimensions (limit ${GGUF_LIMITS.maxDimensions})`,
      );
    }
    const dims: bigint[] = [];
    for (let dimension = 0; dimension < dimensions; dimension++)
      dims.push(await reader.u64(`shape of '${name}'`));
    const type = await reader.u32(`type of '${name}'`);
    const offset = await reader.u64(`offset of '${name}'`);
    if (tensors.length < 4096) tensors.push({ name, dims, type, offset });
    parameters += elementCount(dims);
  }
  return {
    version,
    tensorCount: Number(tensorCount),
    keyCount: Number(keyCount),
    strings,
    metadata,
    tensors,
    parameters,
  };
}

/** Facts shown for a GGUF model, from `general.*` keys (names as llama.cpp's gguf-py writes them). */
const PROPERTY_KEYS: readonly [string, string][] = [
  ['general.architecture', 'architecture'],
  ['general.name', 'name'],
  ['general.file_type', 'file type'],
  ['general.quantization_version', 'quantization version'],
];

/** Records the model: tensor and parameter counts, `general.*` facts; with detail, metadata, tensors, templates. */
function describeGguf(scope: Scope, content: Content, summary: GgufSummary): void {
  const properties: Record<string, string> = { 'gguf version': String(summary.version) };
  for (const [key, name] of PROPERTY_KEYS) {
    const value = summary.metadata.get(key);
    if (value !== undefined) properties[name] = clip(value);
  }
  const templates = [...summary.strings].filter(([key]) => isTemplateKey(key));
  scope.describe({
    ...(content.member !== undefined && { member: content.member }),
    format: 'gguf',
    tensors: summary.tensorCount,
    parameters: Number(summary.parameters),
    properties,
    ...(scope.detail && {
      sections: [
        section(
          'metadata',
          [...summary.metadata].map(([key, value]) => ({ text: `${clip(key)}=${clip(value)}` })),
        ),
        section(
          'tensors',
          summary.tensors.map(({ name, dims, type }) => ({
            text: `${clip(name)} ggml type ${type} [${dims.join(', ')}]`,
          })),
        ),
        ...templates.map(([key, template]) => templateSection(key, template)),
      ].filter((part) => part.items.length > 0),
    }),
  });
}

/** Scans a GGUF file's metadata: every chat template and every string value holding template tags. */
export async function scanGguf(scope: Scope, content: Content): Promise<void> {
  const summary = await readGguf(scope, content);
  describeGguf(scope, content, summary);
  for (const [key, value] of summary.strings) {
    if (isTemplateKey(key) || looksLikeTemplate(value)) {
      reportTemplate(scope.context, value, `'${key}'`, content.member);
    }
  }
}
