/**
 * Which values of the pickle program (render.ts, which lists the readability rules) are shown by a name, and
 * which calls get a statement of their own, decided once before any line is written: SETITEMS into an
 * `OrderedDict()` are set aside as its argument, values written into are noted, then the uses of every value the
 * program shows are counted (the result, each statement, each call whose result is shown nowhere else).
 */
import { MAX_DEPTH, SHOWN_ITEMS, SHOWN_STATE_ITEMS, type FilledDict } from './render-expressions.js';
import type { CallSite, ProgramEvent, ProgramRecord } from './render-record.js';
import { Call, Opaque, PyBytes, PyDict, PyList, PySet, Ref, type Value } from './values.js';

/** Values visited while counting uses. */
const COUNT_NODES = 500_000;

/** A small constant tuple is clearer repeated than named. */
function isSmallTuple(value: readonly Value[]): boolean {
  return (
    value.length <= 8 &&
    value.every((item) => item === null || typeof item !== 'object' || item instanceof PyBytes)
  );
}

function isOrderedDictCall(site: CallSite | undefined): boolean {
  return (
    site !== undefined &&
    site.callee instanceof Ref &&
    site.callee.path === 'collections.OrderedDict' &&
    Array.isArray(site.args) &&
    site.args.length === 0 &&
    site.kwargs === undefined
  );
}

/** A call of a global the scanner flags, or of something it cannot resolve. */
function isRisky(site: CallSite): boolean {
  return site.unresolved || (site.callee instanceof Ref && site.callee.verdict.level !== 'allow');
}

export class NamingPlan {
  /** `OrderedDict()` results and the SETITEMS pairs shown as their argument. */
  readonly filled = new Map<Value, FilledDict>();
  /** Call events whose result nothing uses: shown as bare statements. */
  readonly dropped = new Set<ProgramEvent>();
  private readonly uses = new Map<Value, number>();
  private readonly descended = new Set<Value>();
  /** Values written into by later statements: they need a name. */
  private readonly written = new Set<Value>();

  /** `result` is the value STOP returned, if reading got that far. */
  constructor(
    private readonly record: ProgramRecord,
    private readonly result: Value | undefined,
  ) {
    this.fill();
    this.count();
  }

  /** True when `value` is shown by a name rather than inline. */
  needsName(value: Value): boolean {
    if (!this.nameable(value)) return false;
    if (this.written.has(value)) return true;
    return (this.uses.get(value) ?? 0) > 1 || this.hoisted(value);
  }

  /** SETITEMS into `OrderedDict()` become its argument; other writes need a name for their statement. */
  private fill(): void {
    const others = new Set<Value>();
    for (const event of this.record.events) {
      if (event.kind !== 'items') continue;
      if (event.op === 'setitem' && isOrderedDictCall(this.record.sites.get(event.target))) {
        let filled = this.filled.get(event.target);
        if (filled === undefined) this.filled.set(event.target, (filled = { pairs: [], more: 0 }));
        const room = Math.max(0, 2 * SHOWN_STATE_ITEMS - filled.pairs.length);
        filled.pairs.push(...event.items.slice(0, room));
        filled.more += (Math.max(0, event.items.length - room) + event.more) / 2;
      } else others.add(event.target);
    }
    for (const target of others) this.written.add(target);
    for (const event of this.record.events) if (event.kind === 'build') this.written.add(event.target);
  }

  /** What a value shows inside it (the values its rendering refers to). */
  private children(value: Value): readonly Value[] {
    if (value === null || typeof value !== 'object') return [];
    if (Array.isArray(value)) return value as readonly Value[];
    if (value instanceof PyList || value instanceof PySet) return value.items.slice(0, SHOWN_ITEMS);
    if (value instanceof PyDict) {
      return [...value.keys.slice(0, SHOWN_ITEMS), ...value.values.slice(0, SHOWN_ITEMS)];
    }
    const site = this.record.sites.get(value);
    if (site !== undefined) {
      const filled = this.filled.get(value)?.pairs ?? [];
      return [site.callee, site.args, ...(site.kwargs === undefined ? [] : [site.kwargs]), ...filled];
    }
    if (value instanceof Call) return [value.callee, ...value.args, value.kwargs ?? null];
    if (value instanceof Opaque) {
      const pid = this.record.persistentIds.get(value);
      const wrapper = this.record.arrays.get(value);
      return pid !== undefined ? [pid] : wrapper !== undefined ? [wrapper] : [];
    }
    return [];
  }

  /** Counts the uses of every object value: by the result, by statements, and by dropped calls. */
  private count(): void {
    const visit = (roots: readonly Value[]): void => {
      const pending: [Value, number][] = roots.map((root) => [root, 0]);
      while (pending.length > 0 && this.descended.size < COUNT_NODES) {
        const [value, depth] = pending.pop() as [Value, number];
        if (value === null || typeof value !== 'object') continue;
        this.uses.set(value, (this.uses.get(value) ?? 0) + 1);
        if (this.descended.has(value) || depth >= MAX_DEPTH * 4) continue;
        this.descended.add(value);
        for (const child of this.children(value)) pending.push([child, depth + 1]);
      }
    };
    if (this.result !== undefined) visit([this.result]);
    for (const event of this.record.events) {
      if (event.kind === 'build') visit([event.target, event.state]);
      else if (event.kind === 'items' && !this.filled.has(event.target))
        visit([event.target, ...event.items]);
      else if (event.kind === 'computed-global') visit([event.module, event.name]);
    }
    // Calls whose result is not shown become statements: discarded by POP, or risky wherever the result went.
    // An allowed call whose result sits past the shown part of a long container, or was folded into a constant
    // (`_codecs.encode(…, 'latin1')`, how protocol 2 spells bytes), is shown by that container or constant.
    // Latest first: a dropped call may use the result of an earlier call, which is then not dropped.
    for (const event of [...this.record.events].reverse()) {
      if (event.kind !== 'call') continue;
      const own = this.record.sites.get(event.result) === event.site;
      if (own && (this.uses.get(event.result) ?? 0) > 0) continue;
      if (!isRisky(event.site) && !(own && this.record.popped.has(event.result))) continue;
      this.dropped.add(event);
      if (own) this.descended.add(event.result);
      visit([
        event.site.callee,
        event.site.args,
        ...(event.site.kwargs === undefined ? [] : [event.site.kwargs]),
      ]);
    }
  }

  private nameable(value: Value): boolean {
    if (value === null || typeof value !== 'object') return false;
    if (Array.isArray(value)) return !isSmallTuple(value as readonly Value[]);
    if (value instanceof PyList || value instanceof PyDict || value instanceof PySet) return true;
    if (value instanceof Call) return true;
    return value instanceof Ref && this.record.sites.has(value);
  }

  /** A risky call's result gets a line of its own (resolver results are shown where they are used). */
  private hoisted(value: Value): boolean {
    if (!(value instanceof Call) || value === this.result) return false;
    const site = this.record.sites.get(value);
    return site !== undefined && isRisky(site);
  }
}
