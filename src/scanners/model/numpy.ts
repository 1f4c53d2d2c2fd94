import { ParseError } from '../../core/errors.js';
import { section } from '../../core/model-part.js';
import type { BufferedReader } from '../../targets/reader.js';
import type { Content } from './content.js';
import { scanOnePickle } from './pickle/index.js';
import { isDict, parsePyLiteral, type PyLiteral } from './py-literal.js';
import { NUMPY_OBJECT_ARRAY } from './rules.js';
import { pickleOptions, type Scope } from './scope.js';
import { dtypeItem } from './numpy-dtype.js';
import { clip } from './describe-util.js';

const MAGIC_BYTES = 6;
/** numpy caps headers at 10 000 bytes unless pickles are allowed; anything near this bound is hostile. */
const MAX_HEADER_BYTES = 1024 * 1024;

interface NpyHeader {
  readonly descr: PyLiteral;
  readonly shape: readonly bigint[];
  /** Whether any field of the dtype is a Python object: then the data is a pickle. */
  readonly hasObject: boolean;
  /** Bytes per element; undefined for object dtypes, whose data is a pickle instead. */
  readonly itemBytes: bigint | undefined;
}

interface ItemInfo {
  readonly hasObject: boolean;
  readonly bytes: bigint;
}

/** Item size of a header typestr (`<f8`, `|u1`, `<U10`, `|O`…); sizes NumPy itself rejects are unsupported. */
function typestrInfo(typestr: string): ItemInfo {
  const item = dtypeItem(typestr);
  if (item === undefined) throw new ParseError('UNSUPPORTED', `unsupported dtype '${typestr}'`);
  return { hasObject: item.hasObject, bytes: BigInt(item.itemsize) };
}

function product(shape: readonly PyLiteral[], what: string): bigint {
  let count = 1n;
  for (const dimension of shape) {
    if (typeof dimension !== 'bigint' || dimension < 0n)
      throw new ParseError('INVALID_VALUE', `bad ${what} dimension`);
    count *= dimension;
  }
  return count;
}

/** How many times a structured field's element repeats: its optional shape, a tuple or a plain integer. */
function fieldRepeat(shape: PyLiteral | undefined): bigint {
  if (shape === undefined) return 1n;
  if (typeof shape === 'bigint' && shape >= 0n) return shape;
  if (Array.isArray(shape)) return product(shape as readonly PyLiteral[], 'field');
  throw new ParseError('INVALID_VALUE', 'structured dtype field has a bad shape');
}

/** The element layout of a descr: a typestr, or a structured list of `(name, descr[, shape])` fields. */
function descrInfo(descr: PyLiteral, depth = 0): ItemInfo {
  if (typeof descr === 'string') return typestrInfo(descr);
  if (!Array.isArray(descr) || depth > 32)
    throw new ParseError('UNSUPPORTED', 'unsupported dtype description');
  let hasObject = false;
  let bytes = 0n;
  for (const field of descr as readonly PyLiteral[]) {
    if (!Array.isArray(field) || field.length < 2 || field.length > 3) {
      throw new ParseError('INVALID_VALUE', 'structured dtype field is not (name, dtype[, shape])');
    }
    const [, fieldDescr, fieldShape] = field as readonly PyLiteral[];
    const info = descrInfo(fieldDescr ?? null, depth + 1);
    bytes += info.bytes * fieldRepeat(fieldShape);
    hasObject ||= info.hasObject;
  }
  return { hasObject, bytes };
}

/** Reads the magic, version and header dictionary, leaving the reader at the first data byte. */
async function readNpyHeader(reader: BufferedReader): Promise<NpyHeader> {
  const fixed = await reader.take(MAGIC_BYTES + 2);
  if (fixed.length < MAGIC_BYTES + 2) throw new ParseError('TRUNCATED', '.npy magic cut short', 0);
  const major = fixed[MAGIC_BYTES] ?? 0;
  if (major < 1 || major > 3)
    throw new ParseError('UNSUPPORTED', `.npy format version ${major} is not supported`, 6);
  const lengthBytes = major === 1 ? 2 : 4;
  const lengthField = await reader.take(lengthBytes);
  if (lengthField.length < lengthBytes) throw new ParseError('TRUNCATED', '.npy header length cut short', 8);
  const view = new DataView(lengthField.buffer, lengthField.byteOffset, lengthBytes);
  const headerLength = lengthBytes === 2 ? view.getUint16(0, true) : view.getUint32(0, true);
  if (headerLength > MAX_HEADER_BYTES)
    throw new ParseError('INVALID_LENGTH', `.npy header of ${headerLength} bytes`, 8);
  const raw = await reader.take(headerLength);
  if (raw.length < headerLength) throw new ParseError('TRUNCATED', '.npy header cut short', 8 + lengthBytes);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(raw);
  const header = parsePyLiteral(text);
  if (!isDict(header)) throw new ParseError('INVALID_VALUE', '.npy header is not a dictionary');
  const keys = [...header.dict.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') {
    throw new ParseError(
      'INVALID_VALUE',
      `.npy header has keys ${keys}, numpy requires descr, fortran_order, shape`,
    );
  }
  const descr = header.dict.get('descr') ?? null;
  const shape = header.dict.get('shape') ?? null;
  if (!Array.isArray(shape)) throw new ParseError('INVALID_VALUE', '.npy shape is not a tuple');
  product(shape as readonly PyLiteral[], 'shape');
  const info = descrInfo(descr);
  return {
    descr,
    shape: shape as readonly bigint[],
    hasObject: info.hasObject,
    itemBytes: info.hasObject ? undefined : info.bytes,
  };
}

/**
 * A `.npy` file or `.npz` member, read as `numpy.load` does. An object dtype anywhere means numpy pickles the
 * whole array after the header and unpickles it on load (with `allow_pickle=True`): the pickle is scanned.
 * Numeric data is skipped, after checking that the header's shape fits in the data (else the file is
 * truncated, or the header lies). numpy never reads past the array and `numpy.save` never writes anything
 * there, so bytes after it (a payload for another reader) make the content unscannable.
 */
export async function scanNumpy(scope: Scope, content: Content): Promise<void> {
  const header = await readNpyHeader(content.reader);
  describeArray(scope, content, header);
  if (header.hasObject) {
    scope.context.report({
      ruleId: NUMPY_OBJECT_ARRAY.id,
      message: 'NumPy array with an object dtype: its data is a pickle, loaded only with allow_pickle=True',
      evidence: `descr ${descrText(header.descr)}`,
      ...(content.member !== undefined && { member: content.member }),
    });
    await scanOnePickle(content.reader, scope.context, pickleOptions(scope, content));
  } else {
    await skipArrayData(content.reader, header);
  }
  if (!(await content.reader.atEnd())) {
    throw new ParseError('BAD_STRUCTURE', 'trailing data after the array', content.reader.offset);
  }
}

/** The descr as JSON text (`"<f4"`, `[["a", "<i8"]]`). */
function descrText(descr: PyLiteral): string {
  return JSON.stringify(descr, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
}

/** Records the array: one tensor, its element count, dtype and shape; an object dtype marked in `inspect`. */
function describeArray(scope: Scope, content: Content, header: NpyHeader): void {
  const dtype = clip(typeof header.descr === 'string' ? header.descr : descrText(header.descr));
  // Python's spelling of the shape tuple: `(5,)` for one dimension.
  const shape = header.shape.length === 1 ? `(${header.shape[0]},)` : `(${header.shape.join(', ')})`;
  scope.describe({
    ...(content.member !== undefined && { member: content.member }),
    format: 'numpy',
    framework: 'numpy',
    tensors: 1,
    parameters: Number(product(header.shape, 'shape')),
    properties: { dtype, shape, ...(header.hasObject && { 'object dtype': 'yes (pickled data)' }) },
    ...(scope.detail && {
      sections: [
        section('arrays', [
          {
            text: `${dtype} ${shape}${header.hasObject ? ' — Python objects, stored as a pickle' : ''}`,
            ...(header.hasObject && { risk: NUMPY_OBJECT_ARRAY.severity }),
          },
        ]),
      ],
    }),
  });
}

/** Skips numeric array data, which is never interpreted; too little of it means truncation or a lying header. */
async function skipArrayData(reader: BufferedReader, header: NpyHeader): Promise<void> {
  const dataBytes = product(header.shape, 'shape') * (header.itemBytes ?? 0n);
  const at = reader.offset;
  if (dataBytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ParseError('INVALID_LENGTH', `.npy data of ${dataBytes} bytes`, at);
  }
  const wanted = Number(dataBytes);
  if ((await reader.skip(wanted)) < wanted) {
    throw new ParseError('TRUNCATED', `.npy data shorter than the ${wanted} bytes its header declares`, at);
  }
}
