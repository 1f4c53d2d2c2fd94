/**
 * What a call does, symbolically. Every call of a non-allowed global is recorded when it happens; on top of
 * that, calls whose effect is to *produce another callable* are followed so that the final target is judged:
 * getattr / attrgetter / methodcaller / itemgetter-on-vars / functools.partial / builtins.__import__ /
 * importlib.import_module / pkgutil.resolve_name / pydoc.locate / numpy's _ufunc_reconstruct / dill and
 * cloudpickle import helpers, in all their spellings (names.ts canonicalises `_operator`, `__builtin__` …).
 * Calls that call their arguments (partial objects, apply, copyreg helpers, torch's _rebuild_from_type_v2,
 * dill's _create_array) record the inner call too. Calls of something that cannot be resolved statically are
 * MODEL-PICKLE-003 findings.
 */
import { PICKLE_DANGEROUS_CALLABLE, PICKLE_UNLISTED_GLOBAL } from '../rules.js';
import { render, renderCall } from './evidence.js';
import { foldFunction, method } from './fold.js';
import type { Machine } from './machine.js';
import {
  Call,
  EVICTED,
  isTruncated,
  PyBytes,
  PyDict,
  Ref,
  sequenceItems,
  UNKNOWN,
  type Tuple,
  type Value,
} from './values.js';

type Handler = (
  m: Machine,
  ref: Ref,
  args: Tuple,
  kwargs: Value | undefined,
  offset: number,
) => Value | undefined;

const OBJECT = 'builtins.object';

function joinName(qualname: string, name: string): string {
  return qualname === '' ? name : `${qualname}.${name}`;
}

/** `getattr(base, name)` where `resolver` is the global doing the lookup. */
function attribute(
  m: Machine,
  resolver: Ref,
  base: Value,
  name: Value,
  via: string,
  offset: number,
): Value | undefined {
  if (typeof name !== 'string') return undefined;
  if (base instanceof Ref) {
    return m.derivedGlobal(base.module, joinName(base.qualname, name), via, resolver, base, offset);
  }
  // An attribute of a module's namespace dict (`vars(os)`), or a bound method of a constant (`''.join`):
  // left symbolic; calling it is handled in callObject.
  return undefined;
}

function importName(m: Machine, resolver: Ref, name: string, via: string, offset: number): Ref {
  return m.derivedGlobal(name, '', via, resolver, null, offset);
}

/** Splits `a.b.c` for pkgutil.resolve_name / pydoc.locate: every split is possible; the worst one is judged. */
function dottedTarget(m: Machine, resolver: Ref, path: string, via: string, offset: number): Ref {
  const colon = path.indexOf(':');
  if (colon >= 0) {
    return m.derivedGlobal(path.slice(0, colon), path.slice(colon + 1), via, resolver, null, offset);
  }
  const parts = path.split('.');
  let chosen: [string, string] = [parts[0] ?? path, parts.slice(1).join('.')];
  let worst = -1;
  for (let i = 1; i <= parts.length; i++) {
    const module = parts.slice(0, i).join('.');
    const qualname = parts.slice(i).join('.');
    const level = m.policy.judge(module, qualname).level;
    const rank = level === 'deny' ? 2 : level === 'unknown' ? 1 : 0;
    if (rank > worst) {
      worst = rank;
      chosen = [module, qualname];
    }
  }
  return m.derivedGlobal(chosen[0], chosen[1], via, resolver, null, offset);
}

function relativeModule(name: string, packageArg: Value | undefined): string | undefined {
  if (!name.startsWith('.')) return name;
  if (typeof packageArg !== 'string') return undefined;
  const dots = name.length - name.replace(/^\.+/, '').length;
  const base = packageArg.split('.');
  if (dots - 1 >= base.length) return undefined;
  const parent = base.slice(0, base.length - (dots - 1)).join('.');
  const rest = name.slice(dots);
  return rest === '' ? parent : `${parent}.${rest}`;
}

/** Bytes that a nested loader would read: a bytes constant, or io.BytesIO(bytes). */
function loadedBytes(value: Value | undefined): Value | undefined {
  if (value instanceof Call && value.callee instanceof Ref && value.callee.path === 'io.BytesIO')
    return value.args[0];
  return value;
}

const nestedLoad: Handler = (m, ref, args, _kwargs, offset) => {
  const data = loadedBytes(args[0]);
  if (data instanceof PyBytes && data.data !== undefined) {
    const name = ref.qualname.split('.').pop() ?? ref.name;
    m.nested.push({ bytes: data.data, name, offset, loader: ref });
  } else if (data instanceof PyBytes) {
    m.findings.unresolved(
      `The pickle loads ${data.length} bytes of nested data with ${ref.name}; the scanner did not keep the ` +
        'payload (too large, or past its memory budget for payloads), so it was not scanned.',
      `${ref.name}(<${data.length} bytes>)`,
      offset,
    );
  } else if (ref.verdict.level === 'allow') {
    m.findings.unresolved(
      `The pickle loads nested data computed while loading with ${ref.name}.`,
      renderCall(ref, args, undefined),
      offset,
    );
  }
  return undefined;
};

/** Calls `callee(*args)` on behalf of a helper (`through`) that calls its argument. */
function callThrough(
  m: Machine,
  callee: Value | undefined,
  args: Value | undefined,
  offset: number,
  through: Call,
): void {
  if (callee === undefined) return;
  const items = args === undefined ? [] : (sequenceItems(args) ?? [args]);
  callValue(m, callee, items, undefined, offset, through);
}

const getattrHandler: Handler = (m, ref, args, _kwargs, offset) =>
  attribute(m, ref, args[0] ?? null, args[1] ?? null, renderCall(ref, args, undefined), offset);

const importHandler: Handler = (m, ref, args, kwargs, offset) => {
  const [name, , , fromlist, level] = args;
  const relative = level ?? (kwargs instanceof PyDict ? kwargs.get('level') : undefined) ?? 0;
  if (typeof name !== 'string' || relative !== 0) return undefined;
  const via = renderCall(ref, args, kwargs);
  const items = fromlist === undefined ? undefined : sequenceItems(fromlist);
  if ((items === undefined || items.length === 0) && name.includes('.')) {
    // `__import__('a.b')` runs a.b's code but returns the top package `a`.
    importName(m, ref, name, via, offset);
    return importName(m, ref, name.slice(0, name.indexOf('.')), via, offset);
  }
  return importName(m, ref, name, via, offset);
};

const importModuleHandler: Handler = (m, ref, args, kwargs, offset) => {
  const [name, packageArg] = args;
  if (typeof name !== 'string') return undefined;
  const module = relativeModule(
    name,
    packageArg ?? (kwargs instanceof PyDict ? kwargs.get('package') : undefined),
  );
  return module === undefined ? undefined : importName(m, ref, module, renderCall(ref, args, kwargs), offset);
};

const resolveNameHandler: Handler = (m, ref, args, kwargs, offset) => {
  const [path] = args;
  return typeof path === 'string'
    ? dottedTarget(m, ref, path, renderCall(ref, args, kwargs), offset)
    : undefined;
};

const moduleAndNameHandler: Handler = (m, ref, args, kwargs, offset) => {
  const [module, name] = args;
  if (typeof module !== 'string' || typeof name !== 'string') return undefined;
  return m.derivedGlobal(module, name, renderCall(ref, args, kwargs), ref, null, offset);
};

const typeByNameHandler: Handler = (m, ref, args, kwargs, offset) => {
  const [name] = args;
  if (typeof name !== 'string') return undefined;
  const module = name.endsWith('Type') ? 'types' : 'builtins';
  return m.derivedGlobal(module, name, renderCall(ref, args, kwargs), ref, null, offset);
};

const subimportHandler: Handler = (m, ref, args, kwargs, offset) => {
  const [name] = args;
  return typeof name === 'string'
    ? importName(m, ref, name, renderCall(ref, args, kwargs), offset)
    : undefined;
};

const RESOLVERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['builtins.getattr', getattrHandler],
  ['dill._dill._get_attr', getattrHandler],
  ['builtins.__import__', importHandler],
  ['importlib.__import__', importHandler],
  ['importlib.import_module', importModuleHandler],
  ['dill._dill._import_module', subimportHandler],
  ['cloudpickle.cloudpickle.subimport', subimportHandler],
  ['cloudpickle.cloudpickle_fast.subimport', subimportHandler],
  ['pkgutil.resolve_name', resolveNameHandler],
  ['pydoc.locate', resolveNameHandler],
  ['numpy.core._ufunc_reconstruct', moduleAndNameHandler],
  ['numpy._core._ufunc_reconstruct', moduleAndNameHandler],
  ['cloudpickle.cloudpickle._builtin_type', typeByNameHandler],
  ['cloudpickle.cloudpickle_fast._builtin_type', typeByNameHandler],
  ['dill._dill._load_type', typeByNameHandler],
]);

/** A helper that calls its argument number `fn` with the arguments in its argument number `args`. */
function callsArgument(fn: number, args: number): Handler {
  return (m, ref, given, kwargs, offset) => {
    callThrough(m, given[fn], given[args], offset, new Call(ref, given, kwargs, offset));
    return undefined;
  };
}

const EFFECTS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  // Helpers that call an argument: apply(f, args), _rebuild_from_type_v2(f, type, args, state), dill's
  // _create_array(f, args, state, npdict).
  ['builtins.apply', callsArgument(0, 1)],
  ['torch._utils._rebuild_from_type_v2', callsArgument(0, 2)],
  ['torch._tensor._rebuild_from_type_v2', callsArgument(0, 2)],
  ['torch._tensor._rebuild_from_type', callsArgument(0, 2)],
  ['dill._dill._create_array', callsArgument(0, 1)],
  [
    'copyreg._reconstructor',
    (m, ref, args, kwargs, offset) => {
      const [cls, base, state] = args;
      // copyreg._reconstructor runs base.__init__(obj, state) unless base is object.
      if (base instanceof Ref && base.path !== OBJECT && state !== null) {
        callThrough(m, base, [state ?? null], offset, new Call(ref, args, kwargs, offset));
      }
      return cls === undefined ? undefined : new Call(cls, [], undefined, offset);
    },
  ],
  [
    'copyreg.__newobj__',
    (m, ref, args, kwargs, offset) =>
      args[0] === undefined
        ? undefined
        : callValue(m, args[0], args.slice(1), undefined, offset, new Call(ref, args, kwargs, offset)),
  ],
  [
    'copyreg.__newobj_ex__',
    (m, ref, args, kwargs, offset) =>
      args[0] === undefined
        ? undefined
        : callValue(
            m,
            args[0],
            sequenceItems(args[1] ?? null) ?? [],
            args[2],
            offset,
            new Call(ref, args, kwargs, offset),
          ),
  ],
  [
    'builtins.type',
    (m, ref, args, kwargs, offset) => {
      if (args.length === 3) {
        m.findings.other(
          PICKLE_UNLISTED_GLOBAL.id,
          'The pickle creates a new class while loading (builtins.type with three arguments).',
          renderCall(ref, args, kwargs),
          offset,
        );
      }
      return undefined;
    },
  ],
  // Nested pickles and models.
  ...[
    'pickle.loads',
    'pickle.load',
    'pickle._loads',
    'pickle._load',
    'dill.loads',
    'dill.load',
    'dill._dill.loads',
    'dill._dill.load',
    'cloudpickle.loads',
    'cloudpickle.load',
    'torch.load',
    'torch.serialization.load',
    'torch.storage._load_from_bytes',
    'joblib.load',
    'joblib.numpy_pickle.load',
    'numpy.load',
    'numpy.loads',
    'numpy.lib.npyio.load',
  ].map((path) => [path, nestedLoad] as const),
]);

/** Calls of objects returned by earlier calls: attrgetter(...)(x), partial(f, ...)(...), getattr(c, 'm')(...). */
function callObject(
  m: Machine,
  made: Call,
  args: Tuple,
  kwargs: Value | undefined,
  offset: number,
): Value | undefined {
  const maker = made.callee;
  if (!(maker instanceof Ref)) return undefined;
  const via = renderCall(made, args, kwargs);
  const [first] = args;
  switch (maker.path) {
    case 'operator.attrgetter': {
      const [names] = made.args;
      if (typeof names !== 'string' || first === undefined) return undefined;
      let target: Value | undefined = first;
      for (const name of names.split('.')) {
        target = target === undefined ? undefined : attribute(m, maker, target, name, via, offset);
      }
      return target;
    }
    case 'operator.methodcaller': {
      const [name, ...bound] = made.args;
      if (typeof name !== 'string' || first === undefined) return undefined;
      const target = attribute(m, maker, first, name, via, offset);
      if (target !== undefined) return callValue(m, target, bound, made.kwargs, offset);
      return method(first, name, bound);
    }
    case 'operator.itemgetter':
      return first === undefined || made.args[0] === undefined
        ? undefined
        : item(m, maker, first, made.args[0], via, offset);
    case 'functools.partial':
      return made.args[0] === undefined
        ? undefined
        : callValue(m, made.args[0], [...made.args.slice(1), ...args], kwargs, offset, made);
    case 'builtins.getattr':
    case 'dill._dill._get_attr': {
      const [self, name] = made.args;
      return typeof name === 'string' && self !== undefined ? method(self, name, args) : undefined;
    }
    default:
      return undefined;
  }
}

/** `container[key]` for constants, and `vars(module)[name]` as an attribute lookup. */
function item(
  m: Machine,
  resolver: Ref,
  container: Value,
  key: Value,
  via: string,
  offset: number,
): Value | undefined {
  if (
    container instanceof Call &&
    container.callee instanceof Ref &&
    container.callee.path === 'builtins.vars'
  ) {
    return attribute(m, resolver, container.args[0] ?? null, key, via, offset);
  }
  if (container instanceof PyDict && (key === null || typeof key !== 'object')) return container.get(key);
  const items = sequenceItems(container);
  if (items !== undefined && typeof key === 'number' && !isTruncated(container)) return items.at(key);
  return undefined;
}

function describe(callee: Value): string {
  if (callee === EVICTED) return 'a memo entry the scanner did not retain';
  if (callee instanceof Call) return `the result of ${render(callee)}`;
  if (callee === null || typeof callee !== 'object')
    return `the constant ${render(callee)} (the real unpickler fails here)`;
  return render(callee);
}

/** The effect of calling `callee(*args, **kwargs)`; records findings for the call. */
export function callValue(
  m: Machine,
  callee: Value,
  args: Tuple,
  kwargs: Value | undefined,
  offset: number,
  through?: Call,
): Value {
  if (callee instanceof Ref) {
    const resolver = RESOLVERS.get(callee.path);
    const resolved = resolver?.(m, callee, args, kwargs, offset);
    // A resolver that produced a global is represented by that global's finding.
    if (resolved instanceof Ref && resolved.via !== undefined) return resolved;
    m.findings.called(callee, args, kwargs, offset, through);
    const effect = EFFECTS.get(callee.path)?.(m, callee, args, kwargs, offset);
    if (effect !== undefined) return effect;
    return foldFunction(callee.path, args) ?? new Call(callee, args, kwargs, offset);
  }
  if (callee instanceof Call) {
    const result = callObject(m, callee, args, kwargs, offset);
    if (result !== undefined) return result;
  }
  m.findings.unresolved(
    `The pickle calls ${describe(callee)}, which cannot be resolved statically.`,
    renderCall(callee, args, kwargs),
    offset,
  );
  return callee === UNKNOWN ? UNKNOWN : new Call(callee, args, kwargs, offset);
}

/**
 * Reported when a nested payload loaded by an allowed loader turns out not to be clean. `label` names the
 * nested findings' member; the payload's offset is this finding's.
 */
export function reportUncleanNested(m: Machine, loader: Ref, label: string, offset: number): void {
  m.findings.other(
    PICKLE_DANGEROUS_CALLABLE.id,
    `Loading this pickle calls ${loader.name} at offset ${offset} on a nested pickle that is not clean (see the ` +
      `findings of ${label}).`,
    `${loader.name}(<nested ${label}>)`,
    offset,
  );
}
