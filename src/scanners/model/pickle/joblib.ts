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
import { dtypeItem } from '../numpy-dtype.js';
import { Call, PyDict, Ref, sequenceItems, type Value } from './values.js';

export type ArraySpec =
  | { readonly kind: 'raw'; readonly bytes: number; readonly aligned: boolean }
  | { readonly kind: 'object' }
  | { readonly kind: 'unknown'; readonly why: string };

interface DtypeInfo {
  readonly itemsize: number;
  readonly hasObject: boolean;
}

/** NumPy builds sub-array and field dtypes a few levels deep; a deeper chain (or a cycle) is hostile. */
const MAX_DTYPE_DEPTH = 32;

function isDtype(value: Value | undefined): value is Call {
  return value instanceof Call && value.callee instanceof Ref && value.callee.path === 'numpy.dtype';
}

/**
 * Item size and object-ness of symbolic `numpy.dtype(typestr, align, copy)` calls with their BUILD state, or
 * why they cannot be computed. A BUILD can make a dtype its own base or field (the memo hands back the same
 * call), and a field dict can name one dtype many times: so the dtypes on the current path are tracked and each
 * result is computed once.
 */
class DtypeReader {
  private readonly path = new Set<Call>();
  private readonly known = new Map<Call, DtypeInfo>();

  read(value: Value | undefined): DtypeInfo | string {
    if (!isDtype(value)) return 'its dtype is not a plain numpy.dtype';
    const known = this.known.get(value);
    if (known !== undefined) return known;
    if (this.path.has(value)) return 'its dtype contains itself';
    if (this.path.size >= MAX_DTYPE_DEPTH) return `its dtype nests more than ${MAX_DTYPE_DEPTH} levels`;
    this.path.add(value);
    try {
      const info = this.compute(value);
      if (typeof info !== 'string') this.known.set(value, info);
      return info;
    } finally {
      this.path.delete(value);
    }
  }

  private compute(dtype: Call): DtypeInfo | string {
    const [typestr] = dtype.args;
    if (typeof typestr !== 'string') return 'its dtype is not a plain numpy.dtype';
    const item = dtypeItem(typestr);
    if (item === undefined) return `its dtype '${typestr.slice(0, 40)}' has no known item size`;
    const state = sequenceItems(dtype.state ?? null) ?? [];
    const [, , subdescr, , fields, elsize, , flags] = state;
    let hasObject = item.hasObject || (typeof flags === 'number' && (flags & 1) === 1);
    if (fields instanceof PyDict) {
      if (fields.more > 0) return 'its dtype has too many fields';
      for (const field of fields.values) {
        const [fieldType] = sequenceItems(field) ?? [];
        const info = this.read(fieldType);
        if (typeof info === 'string') return info;
        hasObject ||= info.hasObject;
      }
    }
    const [base] = sequenceItems(subdescr ?? null) ?? [];
    if (base !== undefined) {
      const info = this.read(base);
      if (typeof info === 'string') return info;
      hasObject ||= info.hasObject;
    }
    // Flexible and structured dtypes carry their size in the state; the others have -1 there.
    const itemsize = typeof elsize === 'number' && elsize >= 0 ? elsize : item.itemsize;
    return { itemsize, hasObject };
  }
}

/** What follows the BUILD of a NumpyArrayWrapper in the stream. */
export function arraySpec(wrapper: Call): ArraySpec {
  const state = wrapper.state;
  if (!(state instanceof PyDict)) return { kind: 'unknown', why: 'the wrapper state is not a dict' };
  const dtype = new DtypeReader().read(state.get('dtype'));
  if (typeof dtype === 'string') return { kind: 'unknown', why: dtype };
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
