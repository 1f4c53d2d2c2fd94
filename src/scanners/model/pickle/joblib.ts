/**
 * joblib's uncompressed format is a pickle stream in which the raw bytes of each NumPy array follow the BUILD of
 * its `joblib.numpy_pickle.NumpyArrayWrapper` (joblib/numpy_pickle.py, `write_array` / `read_array`):
 *
 * - object dtype: a complete nested pickle (protocol 2) of the array;
 * - otherwise, when the wrapper state has `numpy_array_alignment_bytes` (joblib >= 1.2): one byte giving a
 *   padding length, that many padding bytes, then `prod(shape) * itemsize` bytes of data.
 *
 * The length comes from the symbolic wrapper state (shape tuple and a `numpy.dtype(...)` REDUCE + BUILD). When it
 * cannot be computed the scan stops with a ParseError: guessing would let array bytes hide opcodes or vice versa.
 */
import { Call, PyDict, Ref, sequenceItems, type Value } from './values.js';

export type ArraySpec =
  | { readonly kind: 'raw'; readonly bytes: number; readonly aligned: boolean }
  | { readonly kind: 'object' }
  | { readonly kind: 'unknown'; readonly why: string };

interface DtypeInfo {
  readonly itemsize: number;
  readonly hasObject: boolean;
}

/** Item sizes of NumPy's one-character type codes on 64-bit Linux (dtype('f'), dtype('l') …). */
const CHAR_SIZES: Readonly<Record<string, number>> = {
  '?': 1,
  b: 1,
  B: 1,
  h: 2,
  H: 2,
  i: 4,
  I: 4,
  l: 8,
  L: 8,
  q: 8,
  Q: 8,
  p: 8,
  P: 8,
  e: 2,
  f: 4,
  d: 8,
  g: 16,
  F: 8,
  D: 16,
  G: 32,
  O: 8,
  M: 8,
  m: 8,
};

function isDtype(value: Value | undefined): value is Call {
  return value instanceof Call && value.callee instanceof Ref && value.callee.path === 'numpy.dtype';
}

function typeString(typestr: string): { kind: string; size: number | undefined } | undefined {
  const match = /^[<>|=]?([a-zA-Z?])(\d*)(\[[A-Za-z0-9]*\])?$/.exec(typestr);
  if (match === null) return undefined;
  const kind = match[1] ?? '';
  const digits = match[2] ?? '';
  if (digits === '') return { kind, size: CHAR_SIZES[kind] };
  const count = Number(digits);
  return { kind, size: kind === 'U' ? count * 4 : count };
}

/** Item size and object-ness of a symbolic `numpy.dtype(typestr, align, copy)` with its BUILD state. */
function dtypeInfo(value: Value | undefined): DtypeInfo | undefined {
  if (!isDtype(value)) return undefined;
  const [typestr] = value.args;
  if (typeof typestr !== 'string') return undefined;
  const parsed = typeString(typestr);
  if (parsed === undefined) return undefined;
  const state = sequenceItems(value.state ?? null) ?? [];
  const [, , subdescr, , fields, elsize, , flags] = state;
  let hasObject = parsed.kind === 'O' || (typeof flags === 'number' && (flags & 1) === 1);
  if (fields instanceof PyDict) {
    if (fields.more > 0) return undefined;
    for (const field of fields.values) {
      const [fieldType] = sequenceItems(field) ?? [];
      const info = dtypeInfo(fieldType);
      if (info === undefined) return undefined;
      hasObject ||= info.hasObject;
    }
  }
  const [base] = sequenceItems(subdescr ?? null) ?? [];
  if (base !== undefined) {
    const info = dtypeInfo(base);
    if (info === undefined) return undefined;
    hasObject ||= info.hasObject;
  }
  const itemsize = typeof elsize === 'number' && elsize >= 0 ? elsize : parsed.size;
  if (itemsize === undefined) return undefined;
  return { itemsize, hasObject };
}

/** What follows the BUILD of a NumpyArrayWrapper in the stream. */
export function arraySpec(wrapper: Call): ArraySpec {
  const state = wrapper.state;
  if (!(state instanceof PyDict)) return { kind: 'unknown', why: 'the wrapper state is not a dict' };
  const dtype = dtypeInfo(state.get('dtype'));
  if (dtype === undefined) return { kind: 'unknown', why: 'its dtype is not a plain numpy.dtype' };
  if (dtype.hasObject) return { kind: 'object' };
  const shape = state.get('shape');
  const dims = sequenceItems(shape ?? null);
  if (dims === undefined) return { kind: 'unknown', why: 'its shape is not a tuple' };
  let count = 1n;
  for (const dim of dims) {
    if (typeof dim !== 'number' && typeof dim !== 'bigint')
      return { kind: 'unknown', why: 'its shape is not integers' };
    if (dim < 0) return { kind: 'unknown', why: 'its shape is negative' };
    count *= BigInt(dim);
  }
  const bytes = count * BigInt(dtype.itemsize);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) return { kind: 'unknown', why: 'its size is too large' };
  const alignment = state.get('numpy_array_alignment_bytes');
  return { kind: 'raw', bytes: Number(bytes), aligned: alignment !== undefined && alignment !== null };
}
