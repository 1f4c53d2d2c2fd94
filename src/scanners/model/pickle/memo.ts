/**
 * The unpickler's memo, bounded.
 *
 * Real pickles memoize almost everything (a 5M-tuple list produces ~10M MEMOIZE ops). Values are kept until a
 * byte budget is spent; after that a new entry becomes {@link EVICTED} unless it is a global (globals are
 * interned, so keeping them costs nothing). A later use of an evicted entry where the analysis needs its
 * identity (a callable, a STACK_GLOBAL operand) is reported as unresolvable by the machine; plain-data uses
 * are fine. Storage: kept values in a dense Int32Array of slots (keys are dense: MEMOIZE uses `len(memo)`),
 * evicted keys as one bit each, and a Map for far-away keys (`LONG_BINPUT 0xffffffff`) and for values kept
 * after the slots stopped growing.
 *
 * Pickles written by CPython re-use module-name strings through the memo (`BINGET` of an earlier 'numpy'
 * string for a later STACK_GLOBAL). So that such strings survive past the budget, the last few evicted writes
 * are remembered and {@link Memo.pin} re-admits a value that a STACK_GLOBAL actually used.
 *
 * {@link Memo.overlay} gives a copy-on-write view for short alternative readings: reads fall through to the
 * original, writes stay in the overlay, so starting one costs nothing however large the memo is.
 */
import { EVICTED, estimateBytes, Ref, type Value } from './values.js';

/** Keys below this may use the dense slots and the eviction bitset; others go to the Map. */
const DENSE_KEY_LIMIT = 1 << 26;
const RECENT = 8;

export class Memo {
  /** slot = index + 1 into `kept`; 0 = not in the slots. */
  private slots: Int32Array;
  private evictedBits = new Uint8Array(128);
  private kept: Value[] = [];
  private readonly sparse = new Map<number | bigint, Value>();
  /** Number of distinct keys: `len(memo)`, which MEMOIZE uses as its key. */
  size = 0;
  private spent = 0;
  /** Ring of the last evicted writes. */
  private readonly recentKeys: (number | bigint)[] = new Array<number | bigint>(RECENT).fill(-1);
  private readonly recentValues: Value[] = new Array<Value>(RECENT).fill(null);
  private recentNext = 0;
  /** Overlays only: the memo underneath, never written (see {@link Memo.overlay}). */
  private parent: Memo | undefined;

  /** `denseSlots` = 0 (overlays): every entry goes to the Map, which suits a few short-lived writes. */
  constructor(
    private readonly budgetBytes: number,
    denseSlots = 1024,
  ) {
    this.slots = new Int32Array(denseSlots);
  }

  /** Returns the value, {@link EVICTED}, or undefined when the key is missing. */
  get(key: number | bigint): Value | undefined {
    if (typeof key === 'number' && key >= 0 && key < DENSE_KEY_LIMIT) {
      const slot = key < this.slots.length ? (this.slots[key] ?? 0) : 0;
      if (slot > 0) return this.kept[slot - 1];
      if (this.isEvicted(key)) return EVICTED;
    }
    const value = this.sparse.get(key);
    return value !== undefined || this.parent === undefined ? value : this.parent.get(key);
  }

  put(key: number | bigint, value: Value): void {
    const dense = typeof key === 'number' && key >= 0 && key < DENSE_KEY_LIMIT;
    const slot = dense && key < this.slots.length ? (this.slots[key] ?? 0) : 0;
    if (dense && slot > 0) {
      // Overwriting a kept entry is charged like a new entry (a pickle may PUT to one key forever) and re-uses
      // its cell; past the budget the key is evicted like a new entry, and the cell lets go of the old value.
      if (this.keep(value)) {
        this.kept[slot - 1] = value;
      } else {
        this.kept[slot - 1] = null;
        this.slots[key] = 0;
        this.setEvicted(key, true);
        this.remember(key, value);
      }
      return;
    }
    const evicted = dense && this.isEvicted(key);
    if (!evicted && !this.sparse.has(key) && this.parent?.get(key) === undefined) this.size++;
    if (this.keep(value)) {
      if (evicted) this.setEvicted(key, false);
      this.store(key, value);
    } else {
      if (dense) this.setEvicted(key, true);
      else this.sparse.set(key, EVICTED);
      this.remember(key, value);
    }
  }

  /** Re-admits `value` if it was one of the last evicted writes (see the module comment). */
  pin(value: Value): void {
    for (let i = 0; i < RECENT; i++) {
      if (this.recentValues[i] !== value) continue;
      const key = this.recentKeys[i] ?? -1;
      if (this.get(key) !== EVICTED) return;
      if (typeof key === 'number' && key < DENSE_KEY_LIMIT) this.setEvicted(key, false);
      this.store(key, value);
      return;
    }
  }

  /** A copy for the alternative reading of a FRAME straddle (rare); values are shared, never copied. */
  clone(): Memo {
    const copy = new Memo(this.budgetBytes);
    copy.slots = this.slots.slice();
    copy.evictedBits = this.evictedBits.slice();
    copy.kept = this.kept.slice();
    for (const [key, value] of this.sparse) copy.sparse.set(key, value);
    copy.size = this.size;
    copy.spent = this.spent;
    copy.parent = this.parent;
    return copy;
  }

  /**
   * A copy-on-write view for an alternative reading (joblib array data read as opcodes): O(1) to make, reads
   * fall through to this memo, writes stay in the view. This memo must not change while the view is in use.
   */
  overlay(): Memo {
    const view = new Memo(this.budgetBytes, 0);
    view.parent = this;
    view.size = this.size;
    return view;
  }

  private store(key: number | bigint, value: Value): void {
    if (
      typeof key === 'number' &&
      key >= 0 &&
      key < this.slots.length * 2 &&
      key < DENSE_KEY_LIMIT &&
      this.spent < this.budgetBytes
    ) {
      if (key >= this.slots.length) {
        const slots = new Int32Array(this.slots.length * 2);
        slots.set(this.slots);
        this.slots = slots;
      }
      this.kept.push(value);
      this.slots[key] = this.kept.length;
    } else {
      this.sparse.set(key, value);
    }
  }

  private isEvicted(key: number): boolean {
    const byte = key >>> 3;
    return byte < this.evictedBits.length && ((this.evictedBits[byte] ?? 0) & (1 << (key & 7))) !== 0;
  }

  private setEvicted(key: number, evicted: boolean): void {
    const byte = key >>> 3;
    if (byte >= this.evictedBits.length) {
      if (!evicted) return;
      let length = this.evictedBits.length * 2;
      while (length <= byte) length *= 2;
      const bits = new Uint8Array(length);
      bits.set(this.evictedBits);
      this.evictedBits = bits;
    }
    const mask = 1 << (key & 7);
    this.evictedBits[byte] = evicted
      ? (this.evictedBits[byte] ?? 0) | mask
      : (this.evictedBits[byte] ?? 0) & ~mask;
  }

  private keep(value: Value): boolean {
    if (value instanceof Ref) return true;
    if (this.spent >= this.budgetBytes) return false;
    this.spent += estimateBytes(value) + 8;
    return true;
  }

  private remember(key: number | bigint, value: Value): void {
    this.recentKeys[this.recentNext] = key;
    this.recentValues[this.recentNext] = value;
    this.recentNext = (this.recentNext + 1) % RECENT;
  }
}
