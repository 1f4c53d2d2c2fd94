/**
 * Canonical spellings of pickle globals, so that one deny or allow entry covers every way to name a callable.
 *
 * - Python-2 names, exactly as CPython's unpickler maps them (`_compat_pickle`, generated into compat.json):
 *   `__builtin__` → builtins, `copy_reg` → copyreg, `cPickle` → pickle, `commands` → subprocess, `urllib2` →
 *   urllib.request, (`__builtin__`, `reduce`) → functools.reduce, … The real unpickler applies them only to
 *   protocol < 3 pickles; the policy applies them always, which can only add findings.
 * - C accelerator and platform modules that re-export a public module's callables (`posix.system` is
 *   `os.system`, `_operator.attrgetter` is `operator.attrgetter`).
 */
import compat from './data/compat.json' with { type: 'json' };

const IMPORT_MAPPING: ReadonlyMap<string, string> = new Map(Object.entries(compat.import));

const NAME_MAPPING: ReadonlyMap<string, string> = new Map(
  compat.name.map((entry): [string, string] => {
    const [module = '', name = '', module3 = '', name3 = ''] = entry;
    return [`${module}\0${name}`, `${module3}.${name3}`];
  }),
);

const MODULE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['posix', 'os'],
  ['nt', 'os'],
  ['_operator', 'operator'],
  ['_functools', 'functools'],
  ['_io', 'io'],
  ['_pyio', 'io'],
  ['_pickle', 'pickle'],
  ['_codecs', 'codecs'],
  ['_collections', 'collections'],
  ['_socket', 'socket'],
  ['_ssl', 'ssl'],
  ['_imp', 'importlib'],
  ['_frozen_importlib', 'importlib._bootstrap'],
  ['_frozen_importlib_external', 'importlib._bootstrap_external'],
  ['_lsprof', 'cProfile'],
  ['_tkinter', 'tkinter'],
  ['_ctypes', 'ctypes'],
  ['_sqlite3', 'sqlite3'],
  ['_bz2', 'bz2'],
  ['_lzma', 'lzma'],
  ['_signal', 'signal'],
  ['_weakref', 'weakref'],
  ['_thread', 'threading'],
  ['_sitebuiltins', 'site'],
  ['_datetime', 'datetime'],
  ['_pydatetime', 'datetime'],
  ['_decimal', 'decimal'],
  ['_pydecimal', 'decimal'],
  ['_json', 'json'],
  ['_struct', 'struct'],
  ['_random', 'random'],
  ['_sre', 're'],
  ['_string', 'string'],
  ['_warnings', 'warnings'],
  ['_abc', 'abc'],
]);

/** The module as the policy sees it: Python-2 and accelerator spellings mapped to the public module. */
export function canonicalModule(module: string): string {
  const mapped = IMPORT_MAPPING.get(module) ?? module;
  const dot = mapped.indexOf('.');
  const head = dot < 0 ? mapped : mapped.slice(0, dot);
  const alias = MODULE_ALIASES.get(head);
  return alias === undefined ? mapped : alias + mapped.slice(head.length);
}

/** Canonical dotted path of `find_class(module, qualname)`; a module object itself has an empty qualname. */
export function canonicalPath(module: string, qualname: string): string {
  const renamed = NAME_MAPPING.get(`${module}\0${qualname}`);
  if (renamed !== undefined) return renamed;
  const canonical = canonicalModule(module);
  return qualname === '' ? canonical : `${canonical}.${qualname}`;
}

/** `__x__`: attributes that reach interpreter internals (`__globals__`, `__builtins__`, `__subclasses__`, …). */
export function isDunder(segment: string): boolean {
  return segment.length > 4 && segment.startsWith('__') && segment.endsWith('__');
}
