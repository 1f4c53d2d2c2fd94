/**
 * The pickle program for `mlsec inspect`: what the unpickler would do, as pseudo-Python, e.g.
 *
 *     import posix  # system
 *     result = posix.system('echo pwned')
 *
 * Built from the machine's symbolic values and the record of what the pickle did (render-record.ts), after the
 * scan; nothing is executed. Readability rules:
 * - imports first, one line per module; globals are spelled in full where they are used (`posix.system`);
 * - a value gets a name (`_var0`) only when it is used more than once (the memo), when later statements write
 *   into it (BUILD as `x.__setstate__(state)`, SETITEMS into an object as `x.update({...})`), or when it is the
 *   call of a global the scanner flags (so each risky call has a line of its own); everything else is inlined;
 * - items that SETITEMS writes into an `OrderedDict()` are shown as its argument; persistent ids as
 *   `<storage '0' float32 cpu 12 elements>`; NEWOBJ as `cls.__new__(cls)`;
 * - calls whose result is dropped (POP) or folded into a constant stay visible as statements of their own.
 * Lines carry the risk of the most severe global, unresolvable call or patch they show (the severity of the
 * finding the scan reports for it). Output is bounded: lines, line length, items per container, nesting depth.
 */
import type { ModelItem } from '../../../core/model-part.js';
import type { Severity } from '../../../core/severity.js';
import {
  PICKLE_CODE_OBJECT,
  PICKLE_DANGEROUS_CALLABLE,
  PICKLE_UNLISTED_GLOBAL,
  PICKLE_UNRESOLVED_CALLABLE,
} from '../rules.js';
import { render } from './evidence.js';
import { layout, worse, type Atom, type Doc, type Group, type Risk } from './render-layout.js';
import type { CallSite, ProgramEvent, ProgramRecord } from './render-record.js';
import {
  BigStr,
  Call,
  EVICTED,
  More,
  Opaque,
  PyBytes,
  PyDict,
  PyList,
  PySet,
  Ref,
  sequenceItems,
  type Value,
} from './values.js';

/** Lines in one program, the last one saying what was left out. */
export const MAX_PROGRAM_LINES = 2000;
/** Items shown per list, tuple, set or dict (a scalar list may hold 100,000). */
const SHOWN_ITEMS = 32;
/** Items shown for an `OrderedDict()` filled by SETITEMS (a state dict: one per tensor). */
const SHOWN_STATE_ITEMS = 1000;
/** Bytes shown of a bytes value (array data, payloads). */
const SHOWN_BYTES = 24;
/** Nesting levels shown in one statement; deeper values show as `…`. */
const MAX_DEPTH = 12;
/** Values rendered per statement (shared values are rendered at each use unless they are named). */
const STATEMENT_NODES = 20_000;
/** Values visited while counting uses. */
const COUNT_NODES = 500_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The risk a line gets for what a rule reports (`info` findings do not exist among the pickle rules). */
function riskOf(severity: Severity): Risk {
  return severity === 'info' ? 'low' : severity;
}

const RULE_RISK: ReadonlyMap<string, Risk> = new Map(
  [PICKLE_DANGEROUS_CALLABLE, PICKLE_UNLISTED_GLOBAL, PICKLE_CODE_OBJECT].map((rule) => [
    rule.id,
    riskOf(rule.severity),
  ]),
);
const UNRESOLVED_RISK = riskOf(PICKLE_UNRESOLVED_CALLABLE.severity);
/** Writing into an imported object is reported as a dangerous callable. */
const PATCH_RISK = riskOf(PICKLE_DANGEROUS_CALLABLE.severity);

function atom(text: string, risk: Risk | undefined, note?: string): Atom {
  return { text, ...(risk !== undefined && { risk }), ...(note !== undefined && { note }) };
}

function refRisk(ref: Ref): Risk | undefined {
  return ref.verdict.level === 'allow' ? undefined : RULE_RISK.get(ref.verdict.ruleId);
}

/** torch storage classes by the element type they hold. */
const STORAGE_DTYPES: ReadonlyMap<string, string> = new Map([
  ['FloatStorage', 'float32'],
  ['DoubleStorage', 'float64'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
  ['ComplexFloatStorage', 'complex64'],
  ['ComplexDoubleStorage', 'complex128'],
  ['UntypedStorage', 'bytes'],
]);

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

/** `b'…'` with the first {@link SHOWN_BYTES} bytes, and the length when there are more. */
function shortBytes(bytes: PyBytes): string {
  if (bytes.data === undefined || bytes.data.length <= SHOWN_BYTES) return render(bytes);
  const head = new PyBytes(bytes.data.subarray(0, SHOWN_BYTES), SHOWN_BYTES, bytes.mutable);
  return `${render(head)}…(${bytes.length} bytes)`;
}

class ProgramRenderer {
  private readonly lines: ModelItem[] = [];
  private omitted = 0;
  private readonly uses = new Map<Value, number>();
  private readonly descended = new Set<Value>();
  /** Values written into by later statements: they need a name. */
  private readonly written = new Set<Value>();
  /** Call events whose result nothing uses: shown as bare statements. */
  private readonly dropped = new Set<ProgramEvent>();
  /** `OrderedDict()` results and the SETITEMS pairs shown as their argument. */
  private readonly filled = new Map<Value, { readonly pairs: Value[]; more: number }>();
  private readonly names = new Map<Value, string>();
  private readonly defined = new Set<Value>();
  private readonly importNames = new Map<Ref, string>();
  private nextVar = 0;
  private nodes = 0;

  constructor(
    private readonly record: ProgramRecord,
    private readonly result: Value | undefined,
  ) {}

  render(stopped: string | undefined): ModelItem[] {
    this.imports();
    this.fill();
    this.count();
    if (this.result !== undefined && this.wantsName(this.result)) this.names.set(this.result, 'result');
    for (const event of this.record.events) this.event(event);
    if (this.result !== undefined) {
      if (this.names.get(this.result) === 'result') this.define(this.result);
      else this.statement('result = ', this.top(this.result));
    }
    if (this.record.eventsOmitted > 0) {
      this.note(`# … ${this.record.eventsOmitted} more operations were not recorded`);
    }
    if (stopped !== undefined) this.note(`# stopped: ${stopped}`);
    if (this.omitted > 0) {
      this.lines.push({ text: `# … ${this.omitted} more lines not shown` });
    }
    return this.lines;
  }

  // ----- preparation ---------------------------------------------------------------------------------------

  /**
   * `import module` lines, one per module in the order the pickle first imports from it, noting the names it
   * takes (a global imported and then dropped appears nowhere else). Uses spell the full dotted name.
   */
  private imports(): void {
    const modules = new Map<string, { names: string[]; risk: Risk | undefined }>();
    for (const ref of this.record.imports) {
      // Names that are not identifiers (hostile pickles) are shown as `find_class('…', '…')` where used.
      if (!DOTTED.test(ref.module) || !DOTTED.test(ref.qualname)) continue;
      let module = modules.get(ref.module);
      if (module === undefined) modules.set(ref.module, (module = { names: [], risk: undefined }));
      module.names.push(ref.qualname);
      module.risk = worse(module.risk, refRisk(ref));
      this.importNames.set(ref, `${ref.module}.${ref.qualname}`);
    }
    for (const [module, { names, risk }] of modules) {
      this.statement('', atom(`import ${module}`, risk, names.join(', ')));
    }
    if (this.record.importsOmitted > 0) {
      this.note(`# … ${this.record.importsOmitted} more imported names not shown`);
    }
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
      if (!this.risky(event.site) && !(own && this.record.popped.has(event.result))) continue;
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

  /** A call of a global the scanner flags, or of something it cannot resolve. */
  private risky(site: CallSite): boolean {
    return site.unresolved || (site.callee instanceof Ref && site.callee.verdict.level !== 'allow');
  }

  /** A risky call's result gets a line of its own (resolver results are shown where they are used). */
  private hoisted(value: Value): boolean {
    if (!(value instanceof Call) || value === this.result) return false;
    const site = this.record.sites.get(value);
    return site !== undefined && this.risky(site);
  }

  private wantsName(value: Value): boolean {
    if (!this.nameable(value)) return false;
    if (this.names.has(value) || this.written.has(value)) return true;
    return (this.uses.get(value) ?? 0) > 1 || this.hoisted(value);
  }

  // ----- statements ----------------------------------------------------------------------------------------

  private event(event: ProgramEvent): void {
    switch (event.kind) {
      case 'call': {
        if (this.dropped.has(event)) {
          const own = this.record.sites.get(event.result) === event.site;
          let note: string | undefined;
          if (!own && !(event.result instanceof Opaque)) note = `= ${render(event.result)}`;
          else if (own && !this.record.popped.has(event.result)) note = 'kept in a container shown in part';
          const doc = this.site(event.site, event.result, 0);
          this.statement('', note === undefined ? doc : [doc, atom('', undefined, note)]);
        } else if (this.wantsName(event.result)) this.define(event.result);
        return;
      }
      case 'build': {
        const target = this.operand(event.target);
        const patch = event.target instanceof Ref && !this.record.sites.has(event.target);
        const method = patch && event.state instanceof PyDict ? '.__dict__.update(' : '.__setstate__(';
        this.statement('', {
          open: [target, patch ? { text: method, risk: PATCH_RISK } : method],
          items: [this.top(event.state)],
          close: ')',
        });
        return;
      }
      case 'items':
        if (!this.filled.has(event.target)) this.items(event);
        return;
      case 'computed-global':
        this.statement('', {
          open: {
            text: 'find_class(',
            risk: UNRESOLVED_RISK,
            note: 'a global named by values computed while loading',
          },
          items: [this.top(event.module), this.top(event.name)],
          close: ')',
        });
        return;
      case 'extension':
        this.push({
          text: `# EXT ${event.code}: a global from the copyreg extension registry`,
          risk: UNRESOLVED_RISK,
        });
        return;
    }
  }

  /** SETITEM(S) / APPEND(S) / ADDITEMS into an object: `x[k] = v`, `x.update({…})`, `x.append(v)`, `x.extend([…])`. */
  private items(event: Extract<ProgramEvent, { kind: 'items' }>): void {
    const target = this.operand(event.target);
    const patch: Atom = event.target instanceof Ref ? { text: '', risk: PATCH_RISK } : { text: '' };
    const { items, more } = event;
    if (event.op === 'setitem' && items.length === 2) {
      this.statement('', [
        patch,
        target,
        { open: '[', items: [this.top(items[0] ?? null)], close: '] = ' },
        this.top(items[1] ?? null),
      ]);
    } else if (event.op === 'append' && items.length === 1) {
      this.statement('', [
        patch,
        target,
        { open: '.append(', items: [this.top(items[0] ?? null)], close: ')' },
      ]);
    } else {
      const shown =
        event.op === 'setitem'
          ? this.pairs(items, more, 1)
          : this.sequence(event.op === 'add' ? '{' : '[', items, more, event.op === 'add' ? '}' : ']', 1);
      const method = event.op === 'append' ? '.extend(' : '.update(';
      this.statement('', [patch, target, { open: method, items: [shown], close: ')' }]);
    }
  }

  /** A statement's subject: its name (defining it first), or the value itself. */
  private operand(value: Value): Doc {
    this.nodes = 0;
    return this.expr(value, 1);
  }

  /** Emits `name = value` (once); values it uses that need a name are defined first. */
  private define(value: Value): void {
    if (this.defined.has(value)) return;
    this.defined.add(value);
    const saved = this.nodes;
    this.nodes = 0;
    const doc = this.top(value, true);
    this.nodes = saved;
    // Named after its parts, so names count up in the order of the lines.
    this.statement(`${this.nameOf(value)} = `, doc);
  }

  private nameOf(value: Value): string {
    let name = this.names.get(value);
    if (name === undefined) {
      name = `_var${this.nextVar++}`;
      this.names.set(value, name);
    }
    return name;
  }

  private statement(prefix: string, doc: Doc): void {
    for (const line of layout(prefix, doc)) this.push(line);
  }

  private note(text: string): void {
    this.push({ text });
  }

  private push(line: ModelItem): void {
    if (this.lines.length < MAX_PROGRAM_LINES - 1) this.lines.push(line);
    else this.omitted++;
  }

  // ----- expressions ---------------------------------------------------------------------------------------

  /** A statement's whole expression (a fresh node budget). */
  private top(value: Value, definition = false): Doc {
    if (!definition) this.nodes = 0;
    return definition ? this.body(value, 0) : this.expr(value, 0);
  }

  /** `value` where it is used: its name when it has one, else its rendering. */
  private expr(value: Value, depth: number): Doc {
    if (this.wantsName(value)) {
      this.define(value);
      return this.nameOf(value);
    }
    return this.body(value, depth);
  }

  private body(value: Value, depth: number): Doc {
    if (value instanceof PyBytes) return shortBytes(value);
    if (value === null || typeof value !== 'object' || value instanceof BigStr) return render(value);
    if (++this.nodes > STATEMENT_NODES || depth > MAX_DEPTH) return '…';
    if (Array.isArray(value)) {
      const tuple = this.sequence('(', value as readonly Value[], 0, ')', depth);
      return value.length === 1 ? { ...tuple, close: ',)' } : tuple;
    }
    if (value instanceof PyList) return this.sequence('[', value.items, value.more, ']', depth);
    if (value instanceof PySet) {
      if (value.items.length === 0 && value.more === 0) return value.frozen ? 'frozenset()' : 'set()';
      const set = this.sequence('{', value.items, value.more, '}', depth);
      return value.frozen ? { open: 'frozenset(', items: [set], close: ')' } : set;
    }
    if (value instanceof PyDict) {
      return this.pairs(
        value.keys.flatMap((key, i) => [key, value.values[i] ?? null]),
        value.more,
        depth,
      );
    }
    const site = this.record.sites.get(value);
    if (site !== undefined) return this.site(site, value, depth);
    if (value instanceof Ref) return this.ref(value);
    if (value instanceof Call) {
      return this.site(
        { form: 'reduce', callee: value.callee, args: value.args, kwargs: value.kwargs, unresolved: false },
        value,
        depth,
      );
    }
    if (value instanceof Opaque) return this.opaque(value, depth);
    if (value instanceof More) return `…${value.count} more`;
    return '…';
  }

  private ref(ref: Ref): Doc {
    const risk = refRisk(ref);
    // A global reached through a patched namespace: `via` explains how (resolver chains have a call site).
    if (ref.via !== undefined) return atom(ref.name, risk, ref.via);
    const text = this.importNames.get(ref) ?? `find_class(${render(ref.module)}, ${render(ref.qualname)})`;
    const target = ref.verdict.target;
    return atom(text, risk, target !== undefined && target !== ref.path ? `→ ${target}` : undefined);
  }

  private site(site: CallSite, result: Value, depth: number): Doc {
    const callee = this.expr(site.callee, depth + 1);
    const items: Doc[] = [];
    const args = sequenceItems(site.args);
    if (Array.isArray(site.args) && args !== undefined) {
      for (const arg of args) items.push(this.expr(arg, depth + 1));
    } else items.push(['*', this.expr(site.args, depth + 1)]);
    const filled = this.filled.get(result);
    if (filled !== undefined) {
      items.push(this.pairs(filled.pairs, filled.more, depth + 1, SHOWN_STATE_ITEMS));
    }
    const kwargs = site.kwargs;
    if (kwargs instanceof PyDict) {
      kwargs.keys.slice(0, SHOWN_ITEMS).forEach((key, i) => {
        const value = this.expr(kwargs.values[i] ?? null, depth + 1);
        // A key that is not an identifier can only be passed through `**{…}`.
        items.push(
          typeof key === 'string' && IDENTIFIER.test(key)
            ? [`${key}=`, value]
            : ['**{', render(key), ': ', value, '}'],
        );
      });
    } else if (site.kwargs !== undefined) items.push(['**', this.expr(site.kwargs, depth + 1)]);
    const marks: Atom[] = [];
    if (site.unresolved) {
      marks.push({ text: '', risk: UNRESOLVED_RISK, note: 'cannot be resolved statically' });
    }
    if (site.callee instanceof Ref) marks.push(atom('', refRisk(site.callee)));
    // What a helper ends up calling (`partial(system, 'id')()` → posix.system).
    if (result instanceof Call && result.callee instanceof Ref && result.callee !== site.callee) {
      marks.push(atom('', refRisk(result.callee), `→ ${result.callee.name}`));
    }
    if (result instanceof Ref && result.via !== undefined) {
      // What a resolver chain reaches (`getattr(__import__('os'), 'system')` → os.system).
      marks.push(atom('', refRisk(result), result.qualname === '' ? undefined : `→ ${result.name}`));
    }
    if (site.form === 'newobj') {
      return { open: [...marks, callee, '.__new__('], items: [callee, ...items], close: ')' };
    }
    return { open: [...marks, callee, '('], items, close: ')' };
  }

  private opaque(value: Opaque, depth: number): Doc {
    const pid = this.record.persistentIds.get(value);
    if (pid !== undefined) return this.persistent(pid, depth);
    const wrapper = this.record.arrays.get(value);
    if (wrapper !== undefined) return [this.expr(wrapper, depth + 1), '.read(unpickler)'];
    if (value === EVICTED) return '<memo entry the scanner did not keep>';
    return `<${value.what}>`;
  }

  /** `<storage '0' float32 cpu 12 elements>` for torch storages, else `persistent_load(pid)`. */
  private persistent(pid: Value, depth: number): Doc {
    const items = sequenceItems(pid);
    const [kind, type, key, location, numel] = items ?? [];
    if (kind === 'storage' && typeof key === 'string') {
      const typeName =
        type instanceof Ref ? (type.qualname.split('.').pop() ?? type.qualname) : render(type ?? null);
      const parts = [`<storage ${render(key)}`, STORAGE_DTYPES.get(typeName) ?? typeName];
      if (typeof location === 'string') parts.push(location);
      if (typeof numel === 'number') parts.push(`${numel} element${numel === 1 ? '' : 's'}`);
      const risk = type instanceof Ref ? refRisk(type) : undefined;
      return { text: `${parts.join(' ')}>`, ...(risk && { risk }) };
    }
    return { open: 'persistent_load(', items: [this.expr(pid, depth + 1)], close: ')' };
  }

  private sequence(open: string, items: readonly Value[], more: number, close: string, depth: number): Group {
    const docs: Doc[] = [];
    let hidden = more;
    for (const item of items) {
      if (item instanceof More) hidden += item.count;
      else if (docs.length >= SHOWN_ITEMS) hidden++;
      else docs.push(this.expr(item, depth + 1));
    }
    if (hidden > 0) docs.push(`…${hidden} more`);
    return { open, items: docs, close };
  }

  /** `{k: v, …}` from a flat key, value, key, value list. */
  private pairs(flat: readonly Value[], more: number, depth: number, shown = SHOWN_ITEMS): Group {
    const docs: Doc[] = [];
    let hidden = more;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (docs.length >= shown) hidden++;
      else
        docs.push([this.expr(flat[i] ?? null, depth + 1), ': ', this.expr(flat[i + 1] ?? null, depth + 1)]);
    }
    if (hidden > 0) docs.push(`…${hidden} more`);
    return { open: '{', items: docs, close: '}' };
  }
}

/**
 * Renders the program of one pickle: `result` is the value STOP returned (undefined when reading stopped
 * early, then `stopped` says why).
 */
export function renderProgram(
  record: ProgramRecord,
  result: Value | undefined,
  stopped?: string,
): ModelItem[] {
  return new ProgramRenderer(record, result).render(stopped);
}
