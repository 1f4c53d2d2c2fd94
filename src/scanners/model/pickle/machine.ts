/**
 * The symbolic pickle machine: stack, marks and memo with the semantics of CPython's unpickler (`_pickle.c`
 * where it differs from `pickle.py`), minus execution. The decoder (decoder.ts) handles plain-data opcodes
 * inline for speed and calls these methods for everything that touches globals, calls or structure.
 */
import { LimitError, ParseError } from '../../../core/errors.js';
import { PICKLE_DANGEROUS_CALLABLE } from '../rules.js';
import { render } from './evidence.js';
import type { Findings } from './findings.js';
import type { TorchStorageRef } from './index.js';
import { Memo } from './memo.js';
import { canonicalPath } from './names.js';
import type { Policy, Verdict } from './policy.js';
import type { CallForm, ProgramRecord } from './render-record.js';
import { callValue } from './resolve.js';
import {
  ARRAY_DATA,
  BUFFER,
  Call,
  containersCreated,
  EVICTED,
  makeTuple,
  PERSISTENT,
  PyDict,
  PyList,
  PySet,
  Ref,
  sequenceItems,
  UNKNOWN,
  type Tuple,
  type Value,
} from './values.js';

/** A constant payload that the pickle would load as another pickle or model. */
export interface NestedLoad {
  readonly bytes: Uint8Array;
  /** The loader's short name (`loads`, `_load_from_bytes`), numbered into the nested member's label. */
  readonly name: string;
  readonly offset: number;
  /** The loader; when it is allowed (torch.storage._load_from_bytes) it is reported only if the content is not clean. */
  readonly loader: Ref;
}

const MAX_STORAGES = 100_000;
const MAX_DISTINCT_GLOBALS = 100_000;
const JOBLIB_WRAPPER = 'joblib.numpy_pickle.NumpyArrayWrapper';
/** Module and qualified names that a deny-only reading accepts (all that the deny list can name). */
const IMPORTABLE = /^[\w.]+$/;

export interface MachineOptions {
  readonly policy: Policy;
  readonly findings: Findings;
  readonly memoBudgetBytes: number;
  /**
   * A speculative reading (joblib array data read as opcodes, see stream.ts) that looks for deny-list hits only:
   * it ends at a global name that nothing can import (as CPython's find_class does), reports no patching of
   * globals that are not denied, records no BUILD state (so it marks no joblib array) and never writes into a
   * container it did not create itself, since those are shared with the main reading. Inherited by copies.
   */
  readonly denyOnly?: boolean;
  /** `mlsec inspect`: what the pickle does, for the program rendering. Never inherited by copies. */
  readonly program?: ProgramRecord;
}

export class Machine {
  readonly stack: Value[];
  readonly marks: number[];
  /** Index below which pops must not reach: the top mark (CPython's `fence`). */
  fence = 0;
  memo: Memo;
  proto = 0;
  readonly policy: Policy;
  readonly findings: Findings;
  readonly storages: TorchStorageRef[];
  /** Nested loads found by calls, scanned by the decoder between opcodes (scanning is asynchronous). */
  readonly nested: NestedLoad[] = [];
  /** Set by BUILD of a joblib NumpyArrayWrapper: the array data follows in the stream. */
  joblibWrapper: Call | undefined;
  private readonly interned: Map<string, Ref>;
  /**
   * Attributes written into imported objects by BUILD (monkey-patching): exact path → value written, and
   * path → global whose namespace was copied into it (`BUILD(numpy.core, numpy.__builtins__)`).
   */
  private readonly patched = new Map<string, Value>();
  private readonly namespaces = new Map<string, Ref>();

  /** See {@link MachineOptions.denyOnly}. */
  readonly denyOnly: boolean;
  /** See {@link MachineOptions.program}. */
  readonly program: ProgramRecord | undefined;
  /** Containers with a smaller serial belong to another reading: a deny-only machine does not write into them. */
  private readonly ownContainers: number;

  /**
   * A new machine, or a copy of `from`'s state for an alternative reading: the stack and marks are copied (one
   * array copy each; values are shared, never copied). A full copy clones the memo and shares the storages and
   * interned globals. An `overlay` copy takes a copy-on-write view of the memo instead (O(1), so `from` must not
   * change while the copy is in use) and storages and interned globals of its own.
   */
  constructor(options: MachineOptions, from?: Machine, overlay = false) {
    this.policy = options.policy;
    this.findings = options.findings;
    this.denyOnly = options.denyOnly ?? from?.denyOnly ?? false;
    this.program = options.program;
    this.ownContainers = this.denyOnly ? containersCreated() : 0;
    this.stack = from?.stack.slice() ?? [];
    this.marks = from?.marks.slice() ?? [];
    this.fence = from?.fence ?? 0;
    this.proto = from?.proto ?? 0;
    if (from === undefined) {
      this.memo = new Memo(options.memoBudgetBytes);
      this.storages = [];
      this.interned = new Map<string, Ref>();
    } else if (overlay) {
      this.memo = from.memo.overlay();
      this.storages = [];
      this.interned = new Map<string, Ref>();
    } else {
      this.memo = from.memo.clone();
      this.storages = from.storages;
      this.interned = from.interned;
    }
  }

  /** False for a container that a deny-only machine shares with another reading. */
  private writable(target: PyList | PyDict | PySet): boolean {
    return target.serial >= this.ownContainers;
  }

  // ----- globals -------------------------------------------------------------------------------------------

  /**
   * `find_class(module, qualname)` as pushed on the stack: the global itself, or what an earlier BUILD wrote
   * at that path (then the global is still judged, and the written value is what the pickle gets).
   */
  findClass(module: string, qualname: string, offset: number): Value {
    const ref = this.resolveGlobal(module, qualname, offset);
    if (this.patched.size === 0 && this.namespaces.size === 0) return ref;
    const written = this.patched.get(ref.path);
    if (written !== undefined) return written;
    for (let end = ref.path.lastIndexOf('.'); end > 0; end = ref.path.lastIndexOf('.', end - 1)) {
      const source = this.namespaces.get(ref.path.slice(0, end));
      if (source === undefined) continue;
      const rest = ref.path.slice(end + 1);
      const via = `${ref.name} after BUILD copied ${source.name} into ${ref.path.slice(0, end)}`;
      // A module's `__builtins__` is the builtins namespace.
      if (source.qualname === '__builtins__' || source.qualname.endsWith('.__builtins__')) {
        return this.derivedGlobal('builtins', rest, via, ref, null, offset);
      }
      return this.derivedGlobal(
        source.module,
        source.qualname === '' ? rest : `${source.qualname}.${rest}`,
        via,
        ref,
        null,
        offset,
      );
    }
    return ref;
  }

  /** `find_class(module, qualname)`: a global the policy judges whether or not it is called. */
  resolveGlobal(module: string, qualname: string, offset: number): Ref {
    if (this.denyOnly && !(IMPORTABLE.test(module) && IMPORTABLE.test(qualname))) {
      // Array data read as opcodes names garbage (which could even look like a dunder attribute); CPython's
      // find_class fails on a name that nothing can import, so the reading ends here.
      throw new ParseError('INVALID_VALUE', 'a global name that nothing can import', offset);
    }
    const key = `${module}\0${qualname}`;
    let ref = this.interned.get(key);
    if (ref === undefined) {
      if (this.interned.size >= MAX_DISTINCT_GLOBALS) {
        throw new LimitError('MEMO_SIZE', `more than ${MAX_DISTINCT_GLOBALS} distinct globals`, offset);
      }
      ref = new Ref(
        module,
        qualname,
        canonicalPath(module, qualname),
        this.policy.judge(module, qualname),
        undefined,
        offset,
      );
      this.interned.set(key, ref);
    }
    this.findings.resolved(ref);
    this.program?.global(ref);
    return ref;
  }

  /** A global reached through a resolver chain (`getattr(__import__('os'), 'system')`); `via` renders the chain. */
  derivedGlobal(
    module: string,
    qualname: string,
    via: string,
    resolver: Ref,
    base: Value,
    offset: number,
  ): Ref {
    const verdict = combine(this.policy.judge(module, qualname), resolver);
    const ref = new Ref(module, qualname, canonicalPath(module, qualname), verdict, via, offset);
    this.findings.resolved(ref);
    this.findings.consumed(resolver);
    // The chain's intermediate module or object is represented by the final global.
    if (base instanceof Ref && base.via !== undefined) this.findings.consumed(base);
    return ref;
  }

  // ----- stack ---------------------------------------------------------------------------------------------

  underflow(offset: number): ParseError {
    return new ParseError('STACK_UNDERFLOW', 'unpickling stack underflow', offset);
  }

  pop(offset: number): Value {
    if (this.stack.length <= this.fence) throw this.underflow(offset);
    return this.stack.pop() as Value;
  }

  top(offset: number): Value {
    if (this.stack.length <= this.fence) throw this.underflow(offset);
    return this.stack[this.stack.length - 1] as Value;
  }

  /** Pops the top mark; returns the stack index where its items start. */
  popMark(offset: number): number {
    const mark = this.marks.pop();
    if (mark === undefined) throw new ParseError('STACK_UNDERFLOW', 'could not find MARK', offset);
    this.fence = this.marks.length > 0 ? (this.marks[this.marks.length - 1] ?? 0) : 0;
    return mark;
  }

  mark(): void {
    this.marks.push(this.stack.length);
    this.fence = this.stack.length;
  }

  /** POP: like CPython, pops the mark instead when the top of the stack is a mark. */
  popOp(offset: number): void {
    const marks = this.marks;
    if (marks.length > 0 && marks[marks.length - 1] === this.stack.length) this.popMark(offset);
    else if (this.program === undefined) this.pop(offset);
    else this.program.pop(this.pop(offset));
  }

  tupleFromMark(offset: number): void {
    const start = this.popMark(offset);
    const tuple = makeTuple(this.stack, start, this.stack.length);
    this.stack.length = start;
    this.stack.push(tuple);
  }

  listFromMark(offset: number): void {
    const start = this.popMark(offset);
    const list = new PyList();
    for (let i = start; i < this.stack.length; i++) list.append(this.stack[i] as Value);
    this.stack.length = start;
    this.stack.push(list);
  }

  dictFromMark(offset: number): void {
    const start = this.popMark(offset);
    if ((this.stack.length - start) % 2 !== 0) {
      throw new ParseError('INVALID_VALUE', 'odd number of items for DICT', offset);
    }
    const dict = new PyDict();
    for (let i = start; i < this.stack.length; i += 2)
      dict.set(this.stack[i] as Value, this.stack[i + 1] as Value);
    this.stack.length = start;
    this.stack.push(dict);
  }

  frozensetFromMark(offset: number): void {
    const start = this.popMark(offset);
    const set = new PySet(true);
    for (let i = start; i < this.stack.length; i++) set.add(this.stack[i] as Value);
    this.stack.length = start;
    this.stack.push(set);
  }

  /** APPENDS / SETITEMS / ADDITEMS: items above the mark go into the container below it. */
  extendFromMark(kind: 'append' | 'setitem' | 'add', offset: number): void {
    const start = this.popMark(offset);
    if (start <= this.fence || start === 0) throw this.underflow(offset);
    const target = this.stack[start - 1] as Value;
    const stack = this.stack;
    if (kind === 'setitem') {
      if ((stack.length - start) % 2 !== 0)
        throw new ParseError('INVALID_VALUE', 'odd number of items for SETITEMS', offset);
      if (target instanceof PyDict) {
        if (this.writable(target))
          for (let i = start; i < stack.length; i += 2) target.set(stack[i] as Value, stack[i + 1] as Value);
      } else if (stack.length > start) {
        this.program?.items(target, kind, stack.slice(start));
        this.mutated(target, 'SETITEMS', offset);
      }
    } else if (target instanceof PyList && kind === 'append') {
      if (this.writable(target)) for (let i = start; i < stack.length; i++) target.append(stack[i] as Value);
    } else if (target instanceof PySet && kind === 'add') {
      if (this.writable(target)) for (let i = start; i < stack.length; i++) target.add(stack[i] as Value);
    } else if (stack.length > start) {
      this.program?.items(target, kind, stack.slice(start));
      this.mutated(target, kind === 'add' ? 'ADDITEMS' : 'APPENDS', offset);
    }
    stack.length = start;
  }

  appendOne(offset: number): void {
    const value = this.pop(offset);
    const target = this.top(offset);
    if (target instanceof PyList) {
      if (this.writable(target)) target.append(value);
    } else {
      this.program?.items(target, 'append', [value]);
      this.mutated(target, 'APPEND', offset);
    }
  }

  setItem(offset: number): void {
    const value = this.pop(offset);
    const key = this.pop(offset);
    const target = this.top(offset);
    if (target instanceof PyDict) {
      if (this.writable(target)) target.set(key, value);
    } else {
      this.program?.items(target, 'setitem', [key, value]);
      this.mutated(target, 'SETITEM', offset);
    }
  }

  /**
   * BUILD, APPEND, SETITEM… on an imported object (a class, function or module rather than an instance) write
   * into that object: monkey-patching. Legitimate picklers only ever fill instances they just created.
   */
  private mutated(target: Value, opcode: string, offset: number): void {
    if (!(target instanceof Ref)) return;
    // A deny-only reading may have reached a global of the main reading by chance (random array bytes).
    if (this.denyOnly && target.verdict.level !== 'deny') return;
    this.findings.other(
      PICKLE_DANGEROUS_CALLABLE.id,
      `Loading this pickle modifies ${target.name} with ${opcode}: it patches an imported module, class or function.`,
      `${opcode} on ${target.name}`,
      offset,
    );
  }

  // ----- memo ----------------------------------------------------------------------------------------------

  get(key: number | bigint, offset: number): Value {
    const value = this.memo.get(key);
    if (value === undefined) {
      this.findings.unresolved(
        `The pickle reads memo entry ${key}, which was never stored; the real unpickler fails here.`,
        `GET ${key}`,
        offset,
      );
      this.findings.flush();
      throw new ParseError('MEMO_MISSING', `memo key ${key} is missing`, offset);
    }
    return value;
  }

  // ----- globals and calls ---------------------------------------------------------------------------------

  stackGlobal(offset: number): void {
    const name = this.pop(offset);
    const module = this.pop(offset);
    if (typeof module === 'string' && typeof name === 'string') {
      this.memo.pin(module);
      this.memo.pin(name);
      this.stack.push(this.findClass(module, name, offset));
      return;
    }
    const shown = `${typeof module === 'string' ? module : render(module)}.${typeof name === 'string' ? name : render(name)}`;
    const why =
      module === EVICTED || name === EVICTED
        ? 'a memo entry the scanner did not retain'
        : isConstant(module) && isConstant(name)
          ? 'values that are not strings (the real unpickler fails here)'
          : 'values computed while loading';
    this.findings.unresolved(`The pickle imports a global named by ${why}: ${shown}.`, shown, offset);
    this.program?.computedGlobal(module, name);
    this.stack.push(UNKNOWN);
  }

  /** EXT1/2/4: the copyreg extension registry is empty unless the loading program filled it. */
  extension(code: number, offset: number): void {
    this.findings.unresolved(
      `The pickle imports a global through extension code ${code}, which only the loading program's copyreg registry can resolve.`,
      `EXT ${code}`,
      offset,
    );
    this.program?.extension(code);
    this.stack.push(UNKNOWN);
  }

  reduce(offset: number): void {
    const args = this.pop(offset);
    const callee = this.pop(offset);
    this.stack.push(this.opcodeCall('reduce', callee, args, undefined, offset));
  }

  newobj(offset: number): void {
    const args = this.pop(offset);
    const cls = this.pop(offset);
    this.stack.push(this.opcodeCall('newobj', cls, args, undefined, offset));
  }

  newobjEx(offset: number): void {
    const kwargs = this.pop(offset);
    const args = this.pop(offset);
    const cls = this.pop(offset);
    this.stack.push(this.opcodeCall('newobj', cls, args, kwargs, offset));
  }

  /** OBJ: `cls(*args)` with cls and args above the mark. */
  obj(offset: number): void {
    const start = this.popMark(offset);
    if (this.stack.length === start) throw this.underflow(offset);
    const cls = this.stack[start] as Value;
    const args = makeTuple(this.stack, start + 1, this.stack.length);
    this.stack.length = start;
    this.stack.push(this.opcodeCall('obj', cls, args, undefined, offset));
  }

  /** INST: `find_class(module, name)(*args)` with args above the mark. */
  inst(module: string, name: string, offset: number): void {
    const start = this.popMark(offset);
    const args = makeTuple(this.stack, start, this.stack.length);
    this.stack.length = start;
    const cls = this.resolveGlobal(module, name, offset);
    this.stack.push(this.opcodeCall('obj', cls, args, undefined, offset));
  }

  /** A call made by an opcode: its effect, recorded for the program rendering when there is one. */
  private opcodeCall(
    form: CallForm,
    callee: Value,
    args: Value,
    kwargs: Value | undefined,
    offset: number,
  ): Value {
    const result = this.call(callee, args, kwargs, offset);
    this.program?.call(form, callee, args, kwargs, result, offset);
    return result;
  }

  call(callee: Value, args: Value, kwargs: Value | undefined, offset: number): Value {
    const tuple: Tuple = sequenceItems(args) ?? [args];
    return callValue(this, callee, tuple, kwargs, offset);
  }

  build(offset: number): void {
    const state = this.pop(offset);
    const target = this.top(offset);
    this.program?.build(target, state);
    if (target instanceof Call) {
      if (this.denyOnly) return;
      target.state = state;
      if (target.callee instanceof Ref && target.callee.path === JOBLIB_WRAPPER) this.joblibWrapper = target;
    } else if (target instanceof Ref) {
      this.mutated(target, 'BUILD', offset);
      this.recordPatch(target, state);
    }
  }

  /** BUILD on an imported object: `obj.__dict__.update(state)` and `setattr` for the slot-state dict. */
  private recordPatch(target: Ref, state: Value): void {
    const parts = Array.isArray(state) && state.length === 2 ? (state as readonly Value[]) : [state];
    for (const part of parts) {
      if (part instanceof Ref) this.namespaces.set(target.path, part);
      else if (part instanceof PyDict) {
        part.keys.forEach((key, index) => {
          if (typeof key === 'string') this.patched.set(`${target.path}.${key}`, part.values[index] ?? null);
        });
      }
    }
  }

  /** Replaces the wrapper on top of the stack by the array that joblib reads from the stream. */
  arrayRead(): void {
    this.stack[this.stack.length - 1] = this.program?.array(this.joblibWrapper) ?? ARRAY_DATA;
    this.joblibWrapper = undefined;
  }

  // ----- persistent ids and buffers ------------------------------------------------------------------------

  persistent(pid: Value, offset: number): void {
    const items = sequenceItems(pid);
    // Legacy torch.save stores nn.Module classes as ('module', cls, source_file, source); torch's
    // persistent_load returns cls, a global the policy has already judged.
    if (items !== undefined && items[0] === 'module' && items[1] instanceof Ref) {
      this.stack.push(items[1]);
      return;
    }
    if (
      items !== undefined &&
      items[0] === 'storage' &&
      items.length >= 4 &&
      this.storages.length < MAX_STORAGES
    ) {
      const [, type, key, location, numel] = items;
      if (typeof key === 'string') {
        this.storages.push({
          key,
          storageType: type instanceof Ref ? type.name : render(type ?? null),
          location: typeof location === 'string' ? location : undefined,
          numel: typeof numel === 'number' ? numel : undefined,
        });
      }
    } else if (
      (items === undefined || items[0] !== 'storage') &&
      !(typeof pid === 'string' && /^\d+$/.test(pid))
    ) {
      // Only PyTorch's loaders resolve persistent ids: storage tuples, legacy module classes, and the decimal
      // storage keys of the legacy TAR format. Anything else makes pickle.load raise.
      this.findings.unresolved(
        `The pickle refers to a persistent object ${render(pid)} that only the loading program's persistent_load can resolve.`,
        `PERSID ${render(pid)}`,
        offset,
      );
    }
    this.stack.push(this.program?.persistent(pid) ?? PERSISTENT);
  }

  nextBuffer(offset: number): void {
    this.findings.anomaly(
      'The pickle refers to out-of-band buffers (NEXT_BUFFER), which a file cannot carry; pickle.load without buffers= fails.',
      'NEXT_BUFFER',
      offset,
    );
    this.stack.push(BUFFER);
  }

  /** Value left by STOP. */
  stop(offset: number): Value {
    return this.pop(offset);
  }
}

const RANK: Readonly<Record<Verdict['level'], number>> = { allow: 0, unknown: 1, deny: 2 };

/** The verdict of a global reached through a resolver: the target's, unless the resolver is worse. */
function combine(target: Verdict, resolver: Ref): Verdict {
  const via = resolver.verdict;
  if (RANK[via.level] <= RANK[target.level]) return target;
  return { ...via, reason: `is reached through ${resolver.name}, which ${via.reason}` };
}

function isConstant(value: Value): boolean {
  return value === null || typeof value !== 'object';
}
