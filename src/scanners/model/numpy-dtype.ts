/**
 * NumPy type strings: the `descr` of a `.npy` header (`<f4`, `|b1`, `<U5`, `|S10`, `|V8`, `<M8[ns]`, `|O`) and the
 * first argument of a pickled `numpy.dtype(...)` (`f8`, `U5`, `O8`, `M8`, or a one-character code such as `f`).
 * Both the .npy reader and joblib's raw array data must skip exactly the bytes NumPy reads, so both take item
 * sizes from here. Sizes are those of 64-bit Linux (C `long` and `long double` differ elsewhere), following
 * `_convert_from_str` and `PyArray_TypestrConvert` in numpy/_core/src/multiarray/descriptor.c.
 */

export interface DtypeItem {
  /** Bytes per element. 0 for a flexible kind written without a size (`U`, `S`, `V`), as NumPy gives. */
  readonly itemsize: number;
  /** The elements are Python objects (`O`): references, never raw bytes. */
  readonly hasObject: boolean;
}

/** Item sizes of the one-character codes (`numpy.dtype('l')`); `c` is `S1`. */
const CODE_SIZES: ReadonlyMap<string, number> = new Map([
  ['?', 1],
  ['b', 1],
  ['B', 1],
  ['h', 2],
  ['H', 2],
  ['i', 4],
  ['I', 4],
  ['l', 8],
  ['L', 8],
  ['q', 8],
  ['Q', 8],
  ['p', 8],
  ['P', 8],
  ['e', 2],
  ['f', 4],
  ['d', 8],
  ['g', 16],
  ['F', 8],
  ['D', 16],
  ['G', 32],
  ['O', 8],
  ['M', 8],
  ['m', 8],
  ['c', 1],
  ['S', 0],
  ['a', 0],
  ['U', 0],
  ['V', 0],
]);

/**
 * Sizes NumPy accepts after a kind letter (`f8`, `c16`, `b1` is bool); any other size, or another letter, makes
 * `numpy.dtype` raise. `O4` and `O8` both mean a pointer (8 bytes).
 */
const KIND_SIZES: ReadonlyMap<string, readonly number[]> = new Map([
  ['b', [1]],
  ['i', [1, 2, 4, 8]],
  ['u', [1, 2, 4, 8]],
  ['f', [2, 4, 8, 16]],
  ['c', [8, 16, 32]],
  ['O', [4, 8]],
  ['M', [8]],
  ['m', [8]],
]);

/** Flexible kinds take any size: bytes for `S`, `a` and `V`, characters of 4 bytes for `U`. */
const FLEXIBLE = new Set(['S', 'a', 'U', 'V']);

/** NumPy stores item sizes in a C int. */
const MAX_ITEMSIZE = 0x7fffffff;

const DATETIME = /^[Mm]8(?:\[\d*(?:Y|M|W|D|h|m|s|ms|us|μs|ns|ps|fs|as|generic)\])?$/;
const KIND_AND_SIZE = /^([A-Za-z?])(\d+)$/;

/**
 * Item size and object-ness of `numpy.dtype(typestr)`, or undefined when NumPy would refuse the string or its
 * size is not known here (named types such as `float64`, NumPy 2's `T`): callers must then stop rather than
 * guess how many bytes follow.
 */
export function dtypeItem(typestr: string): DtypeItem | undefined {
  // A byte-order character is only one when something follows it.
  const body = typestr.length > 1 && '<>=|'.includes(typestr[0] ?? '') ? typestr.slice(1) : typestr;
  if (DATETIME.test(body)) return { itemsize: 8, hasObject: false };
  if (body.length === 1) {
    const size = CODE_SIZES.get(body);
    return size === undefined ? undefined : { itemsize: size, hasObject: body === 'O' };
  }
  const match = KIND_AND_SIZE.exec(body);
  if (match === null) return undefined;
  const kind = match[1] ?? '';
  const size = Number(match[2]);
  if (FLEXIBLE.has(kind)) {
    const itemsize = kind === 'U' ? size * 4 : size;
    return itemsize <= MAX_ITEMSIZE ? { itemsize, hasObject: false } : undefined;
  }
  if (!(KIND_SIZES.get(kind)?.includes(size) ?? false)) return undefined;
  return kind === 'O' ? { itemsize: 8, hasObject: true } : { itemsize: size, hasObject: false };
}
