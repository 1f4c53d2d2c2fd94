/**
 * Expressions of the pickle program (render.ts): how one value reads as pseudo-Python where it is used.
 * Literals, containers cut to their first items, calls as the unpickler makes them, globals spelled in full,
 * torch storages in short, and the risk each piece carries for the line that shows it. Whether a value is shown
 * by a name instead is the program's decision (render-names.ts); this module asks it at each use.
 */
import type { Severity } from '../../../core/severity.js';
import {
  PICKLE_CODE_OBJECT,
  PICKLE_DANGEROUS_CALLABLE,
  PICKLE_UNLISTED_GLOBAL,
  PICKLE_UNRESOLVED_CALLABLE,
} from '../rules.js';
import { render } from './evidence.js';
import type { Atom, Doc, Group, Risk } from './render-layout.js';
import type { CallSite, ProgramRecord } from './render-record.js';
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

/** Items shown per list, tuple, set or dict (a scalar list may hold 100,000). */
export const SHOWN_ITEMS = 32;
/** Items shown for an `OrderedDict()` filled by SETITEMS (a state dict: one per tensor). */
export const SHOWN_STATE_ITEMS = 1000;
/** Bytes shown of a bytes value (array data, payloads). */
const SHOWN_BYTES = 24;
/** Nesting levels shown in one statement; deeper values show as `…`. */
export const MAX_DEPTH = 12;
/** Values rendered per statement (shared values are rendered at each use unless they are named). */
const STATEMENT_NODES = 20_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
export const UNRESOLVED_RISK = riskOf(PICKLE_UNRESOLVED_CALLABLE.severity);
/** Writing into an imported object is reported as a dangerous callable. */
export const PATCH_RISK = riskOf(PICKLE_DANGEROUS_CALLABLE.severity);

export function atom(text: string, risk: Risk | undefined, note?: string): Atom {
  return { text, ...(risk !== undefined && { risk }), ...(note !== undefined && { note }) };
}

/** The risk of the finding the scan reports for a global, if any. */
export function refRisk(ref: Ref): Risk | undefined {
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

/** `b'…'` with the first {@link SHOWN_BYTES} bytes, and the length when there are more. */
function shortBytes(bytes: PyBytes): string {
  if (bytes.data === undefined || bytes.data.length <= SHOWN_BYTES) return render(bytes);
  const head = new PyBytes(bytes.data.subarray(0, SHOWN_BYTES), SHOWN_BYTES, bytes.mutable);
  return `${render(head)}…(${bytes.length} bytes)`;
}

/** The SETITEMS pairs written into an `OrderedDict()`, shown as its argument. */
export interface FilledDict {
  /** Flat key, value, key, value list. */
  readonly pairs: Value[];
  /** Pairs written but not shown. */
  more: number;
}

/** What expressions need from the program around them. */
export interface ExpressionContext {
  readonly record: ProgramRecord;
  readonly filled: ReadonlyMap<Value, FilledDict>;
  /** How each imported global is spelled (`posix.system`); others show as `find_class(…)`. */
  readonly importNames: ReadonlyMap<Ref, string>;
  /** The name `value` is shown by, defining it first if need be; undefined when it is shown inline. */
  nameFor(value: Value): string | undefined;
}

/** Renders values as expressions, within a node budget per statement. */
export class ExpressionRenderer {
  private nodes = 0;

  constructor(private readonly context: ExpressionContext) {}

  /** A statement's whole expression (a fresh node budget). */
  top(value: Value): Doc {
    this.nodes = 0;
    return this.expr(value, 0);
  }

  /** A statement's subject (`x` in `x.update(…)`): its name, or the value itself (a fresh node budget). */
  subject(value: Value): Doc {
    this.nodes = 0;
    return this.expr(value, 1);
  }

  /** What `name = …` assigns: the value itself, never its name (a fresh budget; the caller's is kept). */
  definition(value: Value): Doc {
    const saved = this.nodes;
    this.nodes = 0;
    const doc = this.body(value, 0);
    this.nodes = saved;
    return doc;
  }

  /** `value` where it is used: its name when it has one, else its rendering. */
  private expr(value: Value, depth: number): Doc {
    return this.context.nameFor(value) ?? this.body(value, depth);
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
    const site = this.context.record.sites.get(value);
    if (site !== undefined) return this.call(site, value, depth);
    if (value instanceof Ref) return this.ref(value);
    if (value instanceof Call) {
      return this.call(
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
    const text =
      this.context.importNames.get(ref) ?? `find_class(${render(ref.module)}, ${render(ref.qualname)})`;
    const target = ref.verdict.target;
    return atom(text, risk, target !== undefined && target !== ref.path ? `→ ${target}` : undefined);
  }

  /** The call `site` as written, marked with the risk of what it calls; `result` is the value it produced. */
  call(site: CallSite, result: Value, depth: number): Doc {
    const callee = this.expr(site.callee, depth + 1);
    const items: Doc[] = [];
    const args = sequenceItems(site.args);
    if (Array.isArray(site.args) && args !== undefined) {
      for (const arg of args) items.push(this.expr(arg, depth + 1));
    } else items.push(['*', this.expr(site.args, depth + 1)]);
    const filled = this.context.filled.get(result);
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
    const pid = this.context.record.persistentIds.get(value);
    if (pid !== undefined) return this.persistent(pid, depth);
    const wrapper = this.context.record.arrays.get(value);
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

  /** `open item, item, … close` with the first {@link SHOWN_ITEMS} items. */
  sequence(open: string, items: readonly Value[], more: number, close: string, depth: number): Group {
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
  pairs(flat: readonly Value[], more: number, depth: number, shown = SHOWN_ITEMS): Group {
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
