/**
 * What the pickle machine tells the program renderer (render.ts) while it walks the opcodes, in `mlsec inspect`
 * only: the machine's symbolic values say what things *are*; this record adds what the pickle *did* to get
 * them, in order: each call as written (REDUCE / NEWOBJ / OBJ, before resolver chains and constant folding),
 * BUILD states, items written into objects that are not plain containers, the globals imported, and per-use
 * identities for persistent ids and joblib arrays (which the scan represents by one shared placeholder).
 *
 * Bounded: past {@link MAX_EVENTS} events only counts are kept, and the values it holds are the machine's own
 * (shared, never copied).
 */
import { Call, Opaque, Ref, type Value } from './values.js';

/** How the unpickler makes the call: `f(*args)`, `cls.__new__(cls, *args, **kwargs)`, or OBJ/INST `cls(*args)`. */
export type CallForm = 'reduce' | 'newobj' | 'obj';

export interface CallSite {
  readonly form: CallForm;
  readonly callee: Value;
  /** The argument tuple as pickled (REDUCE may pass any value). */
  readonly args: Value;
  readonly kwargs: Value | undefined;
  /** The scanner cannot tell what is called (MODEL-PICKLE-003). */
  readonly unresolved: boolean;
}

export type ItemsOp = 'setitem' | 'append' | 'add';

export type ProgramEvent =
  | { readonly kind: 'call'; readonly site: CallSite; readonly result: Value }
  | { readonly kind: 'build'; readonly target: Value; readonly state: Value }
  | {
      readonly kind: 'items';
      readonly target: Value;
      readonly op: ItemsOp;
      readonly items: readonly Value[];
      /** Items written but not kept. */
      readonly more: number;
    }
  | { readonly kind: 'computed-global'; readonly module: Value; readonly name: Value }
  | { readonly kind: 'extension'; readonly code: number };

const MAX_EVENTS = 20_000;
const MAX_IMPORTS = 2_000;
/** Stack values kept per SETITEMS/APPENDS event (a state dict is written 1,000 key/value pairs per SETITEMS). */
const MAX_EVENT_ITEMS = 2_000;
/** Persistent objects and joblib arrays given a placeholder of their own; later ones share the scan's. */
const MAX_PLACEHOLDERS = 100_000;

export class ProgramRecord {
  readonly imports: Ref[] = [];
  importsOmitted = 0;
  readonly events: ProgramEvent[] = [];
  eventsOmitted = 0;
  /** The call that produced a value, for the values a call created (a new object or a resolved global). */
  readonly sites = new Map<Value, CallSite>();
  /** The persistent id behind each persistent-object placeholder. */
  readonly persistentIds = new Map<Opaque, Value>();
  /** The joblib NumpyArrayWrapper whose array data each array placeholder stands for. */
  readonly arrays = new Map<Opaque, Call>();
  /** Call results that POP discarded (a call made for its side effect). */
  readonly popped = new Set<Value>();
  private readonly imported = new Set<Ref>();

  private room(): boolean {
    if (this.events.length < MAX_EVENTS) return true;
    this.eventsOmitted++;
    return false;
  }

  /** `find_class(module, qualname)` resolved `ref` (interned: one entry per global). */
  global(ref: Ref): void {
    if (this.imported.has(ref)) return;
    if (this.imported.size >= MAX_IMPORTS) {
      this.importsOmitted++;
      return;
    }
    this.imported.add(ref);
    this.imports.push(ref);
  }

  call(
    form: CallForm,
    callee: Value,
    args: Value,
    kwargs: Value | undefined,
    result: Value,
    offset: number,
  ): void {
    if (!this.room()) return;
    const resolved =
      callee instanceof Ref ||
      (result instanceof Ref && result.via !== undefined) ||
      (result instanceof Call && result.callee instanceof Ref);
    const site: CallSite = { form, callee, args, kwargs, unresolved: !resolved };
    this.events.push({ kind: 'call', site, result });
    // Only a value this very call created stands for the call; a call may also return a constant (folded) or a
    // value that already exists (`itemgetter(k)(d)`), which the call must not be attached to.
    const created =
      (result instanceof Call || result instanceof Ref) &&
      result.offset === offset &&
      !this.sites.has(result);
    if (created && !(result instanceof Ref && result.via === undefined)) this.sites.set(result, site);
  }

  /** POP discarded `value`; only call results matter (bounded by the calls recorded). */
  pop(value: Value): void {
    if (this.sites.has(value)) this.popped.add(value);
  }

  build(target: Value, state: Value): void {
    if (this.room()) this.events.push({ kind: 'build', target, state });
  }

  /** SETITEM(S) / APPEND(S) / ADDITEMS into something that is not a plain dict, list or set. */
  items(target: Value, op: ItemsOp, items: readonly Value[]): void {
    if (!this.room()) return;
    const kept = items.slice(0, MAX_EVENT_ITEMS);
    this.events.push({ kind: 'items', target, op, items: kept, more: items.length - kept.length });
  }

  /** STACK_GLOBAL on names computed while loading: the scan only knows it imports *something*. */
  computedGlobal(module: Value, name: Value): void {
    if (this.room()) this.events.push({ kind: 'computed-global', module, name });
  }

  extension(code: number): void {
    if (this.room()) this.events.push({ kind: 'extension', code });
  }

  /** A placeholder of its own for one persistent object, so the program can show which storage it is. */
  persistent(pid: Value): Opaque | undefined {
    if (this.persistentIds.size >= MAX_PLACEHOLDERS) return undefined;
    const placeholder = new Opaque('persistent object');
    this.persistentIds.set(placeholder, pid);
    return placeholder;
  }

  /** A placeholder of its own for the array data a joblib wrapper announced. */
  array(wrapper: Call | undefined): Opaque | undefined {
    if (this.arrays.size >= MAX_PLACEHOLDERS) return undefined;
    const placeholder = new Opaque('array read from the stream');
    if (wrapper !== undefined) this.arrays.set(placeholder, wrapper);
    return placeholder;
  }
}
