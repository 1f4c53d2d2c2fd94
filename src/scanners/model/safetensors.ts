import { section } from '../../core/model-part.js';
import { SAFETENSORS_MAX_HEADER_BYTES } from './classify.js';
import type { Content } from './content.js';
import { clip, parameterTotal } from './describe-util.js';
import { SAFETENSORS_MALFORMED } from './rules.js';
import type { Scope } from './scope.js';

const LENGTH_BYTES = 8;
const METADATA_KEY = '__metadata__';

/**
 * Bits per element of every dtype current safetensors releases write: the spec's, plus the OCP MX sub-byte and
 * E8M0 scale types, the FNUZ float8 variants and complex64, so that files from current producers are not called
 * malformed. (Checked against public loaders' dtype tables; an unknown dtype stays a finding, never a guess.)
 */
const DTYPE_BITS: ReadonlyMap<string, bigint> = new Map([
  ['BOOL', 8n],
  ['U8', 8n],
  ['I8', 8n],
  ['F8_E4M3', 8n],
  ['F8_E5M2', 8n],
  ['F8_E8M0', 8n],
  ['F8_E4M3FNUZ', 8n],
  ['F8_E5M2FNUZ', 8n],
  ['F4', 4n],
  ['F6_E2M3', 6n],
  ['F6_E3M2', 6n],
  ['U16', 16n],
  ['I16', 16n],
  ['F16', 16n],
  ['BF16', 16n],
  ['U32', 32n],
  ['I32', 32n],
  ['F32', 32n],
  ['U64', 64n],
  ['I64', 64n],
  ['F64', 64n],
  ['C64', 64n],
]);

/** A problem kind (the finding's evidence) and the message of its first occurrence. */
type Problems = Map<string, string>;

function note(problems: Problems, kind: string, message: string): void {
  if (!problems.has(kind)) problems.set(kind, message);
}

interface Tensor {
  readonly name: string;
  readonly begin: number;
  readonly end: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The first key that appears twice in one object of already-valid JSON text. `JSON.parse` silently keeps the
 * last value, while other readers may keep the first, so a duplicate tensor name can show a scanner one tensor
 * and a loader another. One linear pass over the text: a string followed by `:` is a key of the innermost object.
 */
export function findDuplicateKey(text: string): string | undefined {
  const objects: (Set<string> | undefined)[] = [];
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '{') objects.push(new Set());
    else if (char === '[') objects.push(undefined);
    else if (char === '}' || char === ']') objects.pop();
    else if (char === '"') {
      const start = index;
      for (index++; index < text.length && text[index] !== '"'; index++) if (text[index] === '\\') index++;
      let next = index + 1;
      while (/\s/.test(text[next] ?? '')) next++;
      const keys = objects.at(-1);
      if (text[next] === ':' && keys !== undefined) {
        const key = JSON.parse(text.slice(start, index + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
    }
  }
  return undefined;
}

/** Checks one tensor entry; returns its byte range when the entry is usable for the layout checks. */
function checkTensor(problems: Problems, name: string, info: unknown): Tensor | undefined {
  if (!isRecord(info)) {
    note(
      problems,
      'BAD_TENSOR_ENTRY',
      `tensor '${name}' is not an object with dtype, shape and data_offsets`,
    );
    return undefined;
  }
  const { dtype, shape, data_offsets: offsets } = info;
  const bits = typeof dtype === 'string' ? DTYPE_BITS.get(dtype) : undefined;
  if (bits === undefined) {
    note(problems, 'UNKNOWN_DTYPE', `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`);
  }
  const shapeOk = Array.isArray(shape) && shape.every(isCount);
  if (!shapeOk) {
    note(problems, 'BAD_SHAPE', `tensor '${name}' has a shape that is not a list of non-negative integers`);
  }
  const range = Array.isArray(offsets) && offsets.length === 2 ? (offsets as unknown[]) : [];
  const [begin, end] = range;
  if (!isCount(begin) || !isCount(end) || begin > end) {
    note(
      problems,
      'BAD_OFFSETS',
      `tensor '${name}' has data_offsets that are not [begin, end] with begin <= end`,
    );
    return undefined;
  }
  if (bits !== undefined && shapeOk) {
    const bitCount = shape.reduce((count, dimension) => count * BigInt(dimension), bits);
    if (bitCount % 8n !== 0n || bitCount / 8n !== BigInt(end - begin)) {
      note(
        problems,
        'SIZE_MISMATCH',
        `tensor '${name}': ${String(dtype)} shape [${shape.join(', ')}] needs ${bitCount / 8n} bytes but data_offsets span ${end - begin}`,
      );
    }
  }
  return { name, begin, end };
}

/**
 * Checks that the byte ranges tile the data buffer: sorted, from 0, no overlap, no gap. Returns where the last one
 * ends, which is the length the data buffer must have.
 */
function checkLayout(problems: Problems, tensors: Tensor[]): number {
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const tensor of tensors) {
    if (tensor.begin < expected) {
      note(problems, 'OVERLAPPING_OFFSETS', `tensor '${tensor.name}' overlaps the bytes of another tensor`);
    } else if (tensor.begin > expected) {
      note(
        problems,
        'GAP_BETWEEN_TENSORS',
        `${tensor.begin - expected} unclaimed bytes before tensor '${tensor.name}'`,
      );
    }
    expected = Math.max(expected, tensor.end);
  }
  return expected;
}

function checkMetadata(problems: Problems, metadata: unknown): void {
  if (!isRecord(metadata) || !Object.values(metadata).every((value) => typeof value === 'string')) {
    note(problems, 'BAD_METADATA', '__metadata__ is not an object of string values');
  }
}

interface CheckedHeader {
  readonly header: Record<string, unknown>;
  readonly ranges: Tensor[];
}

/** Parses the header text; returns it with the tensors' byte ranges, or undefined when it is not a JSON object. */
function checkHeader(problems: Problems, raw: Uint8Array, scope: Scope): CheckedHeader | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    note(problems, 'INVALID_UTF8', 'the header is not valid UTF-8');
    return undefined;
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    note(problems, 'INVALID_JSON', 'the header is not valid JSON');
    return undefined;
  }
  if (!isRecord(header)) {
    note(problems, 'NOT_AN_OBJECT', 'the header is not a JSON object');
    return undefined;
  }
  // Parsing up to 100 MB takes a while: stop here if the file's time is up.
  scope.context.checkDeadline();
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) note(problems, 'DUPLICATE_KEY', `the header repeats the key '${duplicate}'`);
  const tensors: Tensor[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) checkMetadata(problems, info);
    else {
      const tensor = checkTensor(problems, name, info);
      if (tensor !== undefined) tensors.push(tensor);
    }
  }
  return { header, ranges: tensors };
}

/**
 * Records the tensors (name, dtype, shape) and `__metadata__` the header declares. Entries the checks found
 * malformed are listed as far as they read; only well-formed shapes count towards the parameters.
 */
function describeHeader(scope: Scope, content: Content, header: Record<string, unknown>): void {
  const metadata = isRecord(header[METADATA_KEY]) ? header[METADATA_KEY] : {};
  const tensors = Object.entries(header).filter(([name]) => name !== METADATA_KEY);
  const shapes = tensors.flatMap(([, info]) =>
    isRecord(info) && Array.isArray(info.shape) && info.shape.every(isCount) ? [info.shape] : [],
  );
  const format = metadata.format;
  scope.describe({
    ...(content.member !== undefined && { member: content.member }),
    format: 'safetensors',
    tensors: tensors.length,
    parameters: parameterTotal(shapes),
    ...(typeof format === 'string' && { properties: { format: clip(format) } }),
    ...(scope.detail && {
      sections: [
        section(
          'tensors',
          tensors.map(([name, info]) => {
            const { dtype, shape } = isRecord(info) ? info : {};
            return {
              text: `${clip(name)} ${clip(String(dtype))} ${clip(Array.isArray(shape) ? JSON.stringify(shape) : '?')}`,
            };
          }),
        ),
        section(
          'metadata',
          Object.entries(metadata).map(([key, value]) => ({
            text: `${clip(key)}=${clip(typeof value === 'string' ? value : JSON.stringify(value))}`,
          })),
        ),
      ].filter((part) => part.items.length > 0),
    }),
  });
}

/** Reads the length and the header; returns the header bytes, or undefined after noting why there are none. */
async function readHeader(problems: Problems, content: Content): Promise<Uint8Array | undefined> {
  const reader = content.reader;
  const lengthField = await reader.take(LENGTH_BYTES);
  if (lengthField.length < LENGTH_BYTES) {
    note(problems, 'HEADER_OUT_OF_BOUNDS', 'the 8-byte header length is cut short');
    return undefined;
  }
  const length = new DataView(lengthField.buffer, lengthField.byteOffset, LENGTH_BYTES).getBigUint64(0, true);
  if (length > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    note(problems, 'HEADER_TOO_LARGE', `header length ${length} exceeds the loader's 100 MB cap`);
    return undefined;
  }
  const headerBytes = Number(length);
  if (content.size !== undefined && headerBytes > content.size - LENGTH_BYTES) {
    note(problems, 'HEADER_OUT_OF_BOUNDS', `header length ${headerBytes} runs past the end of the file`);
    return undefined;
  }
  const raw = await reader.take(headerBytes);
  if (raw.length < headerBytes) {
    note(problems, 'HEADER_OUT_OF_BOUNDS', `header length ${headerBytes} runs past the end of the data`);
    return undefined;
  }
  return raw;
}

/** Compares the data buffer's length with the end of the last tensor, without reading the data (a seek for files). */
async function checkDataLength(problems: Problems, content: Content, wanted: number): Promise<void> {
  const reader = content.reader;
  const at = reader.offset;
  const available = content.size === undefined ? undefined : content.size - at;
  const short = available === undefined ? (await reader.skip(wanted)) < wanted : available < wanted;
  if (short) {
    note(
      problems,
      'DATA_TOO_SHORT',
      `the data buffer is shorter than the ${wanted} bytes the tensors declare`,
    );
  } else if (available === undefined ? !(await reader.atEnd()) : available > wanted) {
    note(problems, 'TRAILING_DATA', `bytes follow the ${wanted} bytes of tensor data`);
  }
}

/**
 * A safetensors file: an 8-byte little-endian header length, a JSON header (tensor name → dtype, shape, byte
 * range in the data buffer; optional string-to-string `__metadata__`) and the data buffer. Only the header is
 * read; the data is never interpreted, so time and memory do not grow with it. Every rule the Rust loader
 * enforces is checked, and each kind of violation is one MODEL-SAFETENSORS-001 finding: a malformed header is
 * never clean, since readers disagree about what it means and bytes outside the tensors may carry a payload.
 */
export async function scanSafetensors(scope: Scope, content: Content): Promise<void> {
  const problems: Problems = new Map();
  const raw = await readHeader(problems, content);
  const checked = raw === undefined ? undefined : checkHeader(problems, raw, scope);
  if (checked !== undefined) {
    await checkDataLength(problems, content, checkLayout(problems, checked.ranges));
    describeHeader(scope, content, checked.header);
  }
  for (const [kind, message] of problems) {
    scope.context.report({
      ruleId: SAFETENSORS_MALFORMED.id,
      message: `Malformed safetensors header: ${message}`,
      evidence: kind,
      ...(content.member !== undefined && { member: content.member }),
    });
  }
}
