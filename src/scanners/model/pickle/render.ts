/**
 * The pickle program for `mlsec inspect`: what the unpickler would do, as pseudo-Python, e.g.
 *
 *     import posix  # system
 *     result = posix.system('echo pwned')
 *
 * Built from the machine's symbolic values and the record of what the pickle did (render-record.ts), after the
 * scan; nothing is executed. This module writes the statements; render-names.ts decides which values get a name,
 * render-expressions.ts spells values, render-layout.ts breaks long lines. Readability rules:
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
import { render } from './evidence.js';
import { ExpressionRenderer, PATCH_RISK, UNRESOLVED_RISK, atom, refRisk } from './render-expressions.js';
import { layout, worse, type Atom, type Doc, type Risk } from './render-layout.js';
import { NamingPlan } from './render-names.js';
import type { ProgramEvent, ProgramRecord } from './render-record.js';
import { Opaque, PyDict, Ref, type Value } from './values.js';

/** Lines in one program, the last one saying what was left out. */
export const MAX_PROGRAM_LINES = 2000;
const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

class ProgramRenderer {
  private readonly lines: ModelItem[] = [];
  private omitted = 0;
  private readonly plan: NamingPlan;
  private readonly names = new Map<Value, string>();
  private readonly defined = new Set<Value>();
  private readonly importNames = new Map<Ref, string>();
  private readonly expressions: ExpressionRenderer;
  private nextVar = 0;

  constructor(
    private readonly record: ProgramRecord,
    private readonly result: Value | undefined,
  ) {
    this.plan = new NamingPlan(record, result);
    this.expressions = new ExpressionRenderer({
      record,
      filled: this.plan.filled,
      importNames: this.importNames,
      nameFor: (value) => this.nameFor(value),
    });
  }

  render(stopped: string | undefined): ModelItem[] {
    this.imports();
    if (this.result !== undefined && this.plan.needsName(this.result)) this.names.set(this.result, 'result');
    for (const event of this.record.events) this.event(event);
    if (this.result !== undefined) {
      if (this.names.get(this.result) === 'result') this.define(this.result);
      else this.statement('result = ', this.expressions.top(this.result));
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

  private event(event: ProgramEvent): void {
    switch (event.kind) {
      case 'call': {
        if (this.plan.dropped.has(event)) {
          const own = this.record.sites.get(event.result) === event.site;
          let note: string | undefined;
          if (!own && !(event.result instanceof Opaque)) note = `= ${render(event.result)}`;
          else if (own && !this.record.popped.has(event.result)) note = 'kept in a container shown in part';
          const doc = this.expressions.call(event.site, event.result, 0);
          this.statement('', note === undefined ? doc : [doc, atom('', undefined, note)]);
        } else if (this.plan.needsName(event.result)) this.define(event.result);
        return;
      }
      case 'build': {
        const target = this.expressions.subject(event.target);
        const patch = event.target instanceof Ref && !this.record.sites.has(event.target);
        const method = patch && event.state instanceof PyDict ? '.__dict__.update(' : '.__setstate__(';
        this.statement('', {
          open: [target, patch ? { text: method, risk: PATCH_RISK } : method],
          items: [this.expressions.top(event.state)],
          close: ')',
        });
        return;
      }
      case 'items':
        if (!this.plan.filled.has(event.target)) this.items(event);
        return;
      case 'computed-global':
        this.statement('', {
          open: {
            text: 'find_class(',
            risk: UNRESOLVED_RISK,
            note: 'a global named by values computed while loading',
          },
          items: [this.expressions.top(event.module), this.expressions.top(event.name)],
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
    const target = this.expressions.subject(event.target);
    const patch: Atom = event.target instanceof Ref ? { text: '', risk: PATCH_RISK } : { text: '' };
    const { items, more } = event;
    if (event.op === 'setitem' && items.length === 2) {
      this.statement('', [
        patch,
        target,
        { open: '[', items: [this.expressions.top(items[0] ?? null)], close: '] = ' },
        this.expressions.top(items[1] ?? null),
      ]);
    } else if (event.op === 'append' && items.length === 1) {
      this.statement('', [
        patch,
        target,
        { open: '.append(', items: [this.expressions.top(items[0] ?? null)], close: ')' },
      ]);
    } else {
      const shown =
        event.op === 'setitem'
          ? this.expressions.pairs(items, more, 1)
          : this.expressions.sequence(
              event.op === 'add' ? '{' : '[',
              items,
              more,
              event.op === 'add' ? '}' : ']',
              1,
            );
      const method = event.op === 'append' ? '.extend(' : '.update(';
      this.statement('', [patch, target, { open: method, items: [shown], close: ')' }]);
    }
  }

  /** Emits `name = value` (once); values it uses that need a name are defined first. */
  private define(value: Value): void {
    if (this.defined.has(value)) return;
    this.defined.add(value);
    const doc = this.expressions.definition(value);
    // Named after its parts, so names count up in the order of the lines.
    this.statement(`${this.nameOf(value)} = `, doc);
  }

  /** The name `value` is shown by (defined on first use), or undefined when it is shown inline. */
  private nameFor(value: Value): string | undefined {
    if (!this.plan.needsName(value)) return undefined;
    this.define(value);
    return this.nameOf(value);
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
