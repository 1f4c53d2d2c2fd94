/**
 * Symbolic values on the pickle machine's stack and in its memo.
 *
 * Plain data stays as JS primitives (None → null, bool, int → number or bigint, float → number, str → string) and
 * tuples are plain frozen-by-convention JS arrays, so the decoder allocates nothing for scalars and one array per
 * tuple. Containers keep a bounded prefix of their items: the analysis needs names, call arguments and small
 * constants, never a whole dataset. Nothing is ever deep-copied; shared values stay shared, so "billion laughs"
 * DUP/GET expansion costs nothing.
 */
import type { Verdict } from './policy.js';

export type Prim = null | boolean | number | bigint | string;
export type Value = Prim | Tuple | Obj;
/** A Python tuple. Never mutated after creation. A tuple longer than {@link ITEM_CAP} ends with a {@link More}. */
export type Tuple = readonly Value[];
export type Obj = PyList | PyDict | PySet | PyBytes | BigStr | Ref | Call | Opaque | More;

/** Items a container keeps before it only counts. */
const ITEM_CAP = 32;
/** Lists of plain scalars (e.g. the storage-key list of a legacy PyTorch file) keep this many. */
const SCALAR_LIST_CAP = 100_000;

let containers = 0;

/**
 * Number of lists, dicts and sets created so far. Each container records its creation number (`serial`), so an
 * alternative reading can tell the containers it made from those it shares with the main reading.
 */
export function containersCreated(): number {
  return containers;
}

/** Marks the dropped tail of a long tuple. */
export class More {
  readonly kind = 'more';
  constructor(readonly count: number) {}
}

export class PyList {
  readonly kind = 'list';
  readonly serial = containers++;
  readonly items: Value[] = [];
  /** Items appended but not kept. */
  more = 0;
  /** True while every kept item is a primitive; such lists may grow to {@link SCALAR_LIST_CAP}. */
  scalars = true;

  append(value: Value): void {
    const length = this.items.length;
    if (length < ITEM_CAP) {
      this.items.push(value);
      if (this.scalars && value !== null && typeof value === 'object') this.scalars = false;
    } else if (this.scalars && length < SCALAR_LIST_CAP && (value === null || typeof value !== 'object')) {
      this.items.push(value);
    } else {
      this.more++;
    }
  }
}

export class PyDict {
  readonly kind = 'dict';
  readonly serial = containers++;
  readonly keys: Value[] = [];
  readonly values: Value[] = [];
  more = 0;

  set(key: Value, value: Value): void {
    if (key === null || typeof key !== 'object') {
      const index = this.keys.indexOf(key);
      if (index >= 0) {
        this.values[index] = value;
        return;
      }
    }
    if (this.keys.length < ITEM_CAP) {
      this.keys.push(key);
      this.values.push(value);
    } else {
      this.more++;
    }
  }

  get(key: Prim): Value | undefined {
    const index = this.keys.indexOf(key);
    return index >= 0 ? this.values[index] : undefined;
  }
}

export class PySet {
  readonly kind = 'set';
  readonly serial = containers++;
  readonly items: Value[] = [];
  more = 0;
  constructor(readonly frozen: boolean) {}

  add(value: Value): void {
    if (this.items.length < ITEM_CAP) this.items.push(value);
    else this.more++;
  }
}

/** bytes / bytearray. `data` is undefined when the payload was too large to keep (it was skipped, not read). */
export class PyBytes {
  readonly kind = 'bytes';
  constructor(
    readonly data: Uint8Array | undefined,
    readonly length: number,
    readonly mutable: boolean,
  ) {}
}

/** A str too long to keep (its bytes were skipped). */
export class BigStr {
  readonly kind = 'bigstr';
  constructor(readonly length: number) {}
}

/**
 * A global the unpickler resolves: `find_class(module, qualname)`, or an attribute/module reached through a
 * resolver chain (`via` renders the chain). `qualname` is empty for a module object itself.
 */
export class Ref {
  readonly kind = 'global';
  constructor(
    readonly module: string,
    readonly qualname: string,
    /** Canonical dotted path the policy judged (Python-2 and C-accelerator spellings mapped). */
    readonly path: string,
    readonly verdict: Verdict,
    readonly via: string | undefined,
    /** Stream offset of the opcode that resolved it. */
    readonly offset: number,
  ) {}

  get name(): string {
    return this.qualname === '' ? this.module : `${this.module}.${this.qualname}`;
  }
}

/** The result of calling something (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST), i.e. usually an object instance. */
export class Call {
  readonly kind = 'call';
  /** BUILD state applied to the result, if any (the last one). */
  state: Value | undefined;
  constructor(
    readonly callee: Value,
    readonly args: Tuple,
    readonly kwargs: Value | undefined,
    readonly offset: number,
  ) {}
}

/** A value the analysis cannot know (persistent object, out-of-band buffer, array data, evicted memo entry …). */
export class Opaque {
  readonly kind = 'opaque';
  constructor(readonly what: string) {}
}

export const EVICTED = new Opaque('memo entry not retained');
export const PERSISTENT = new Opaque('persistent object');
export const BUFFER = new Opaque('out-of-band buffer');
export const ARRAY_DATA = new Opaque('array read from the stream');
export const UNKNOWN = new Opaque('value computed at load time');

/** The items of a tuple or list, or undefined. */
export function sequenceItems(value: Value): readonly Value[] | undefined {
  if (Array.isArray(value)) return value as Tuple;
  if (value instanceof PyList) return value.items;
  return undefined;
}

/** True when a sequence was truncated (its full content is unknown). */
export function isTruncated(value: Value): boolean {
  if (Array.isArray(value)) return value.length > 0 && value[value.length - 1] instanceof More;
  if (value instanceof PyList || value instanceof PySet || value instanceof PyDict) return value.more > 0;
  return false;
}

/** Builds a tuple, keeping at most {@link ITEM_CAP} items. */
export function makeTuple(items: readonly Value[], from: number, to: number): Tuple {
  const length = to - from;
  if (length <= ITEM_CAP) return items.slice(from, to);
  const kept = items.slice(from, from + ITEM_CAP);
  kept.push(new More(length - ITEM_CAP));
  return kept;
}

/** Size of a value itself, without what it refers to. */
function ownBytes(value: Value): number {
  if (typeof value === 'string') return 40 + value.length;
  if (value === null || typeof value !== 'object') return 16;
  if (Array.isArray(value)) return 32 + 8 * value.length;
  if (value instanceof PyBytes) return 48 + (value.data?.length ?? 0);
  if (value instanceof PyList) return 64 + 8 * value.items.length;
  if (value instanceof PyDict) return 80 + 16 * value.keys.length;
  return 96;
}

/** Own sizes of the first {@link ITEM_CAP} items (a scalar list's further items count in its own size). */
function sumOwnBytes(items: readonly Value[]): number {
  let total = 0;
  const count = Math.min(items.length, ITEM_CAP + 1);
  for (let i = 0; i < count; i++) total += ownBytes(items[i] as Value);
  return total;
}

/**
 * Rough retained size of a value, for the memo's byte budget: the value and the values it holds directly (a
 * tuple's items, a call's arguments and state, a container's first items). Deeper values are not walked, so the
 * cost stays bounded per memo write; shared values are counted at each use, which only overestimates.
 */
export function estimateBytes(value: Value): number {
  if (value === null || typeof value !== 'object') return ownBytes(value);
  if (Array.isArray(value)) return ownBytes(value) + sumOwnBytes(value as Tuple);
  if (value instanceof PyList || value instanceof PySet) return ownBytes(value) + sumOwnBytes(value.items);
  if (value instanceof PyDict) return ownBytes(value) + sumOwnBytes(value.keys) + sumOwnBytes(value.values);
  if (value instanceof Call) {
    const state = value.state === undefined ? 0 : ownBytes(value.state);
    return ownBytes(value) + sumOwnBytes(value.args) + state;
  }
  return ownBytes(value);
}
