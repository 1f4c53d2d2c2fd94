import generated from './data/stdlib-3.11.json' with { type: 'json' };

/** The Python versions whose standard library the shadowing check knows. */
export const PYTHON_VERSIONS = ['3.10', '3.11', '3.12', '3.13'] as const;
export type PythonVersion = (typeof PYTHON_VERSIONS)[number];

export interface StdlibNames {
  /** `sys.stdlib_module_names`: every top-level module and package of the standard library. */
  readonly stdlib: ReadonlySet<string>;
  /**
   * Modules built in to every CPython build of the version (the interpreter's own plus `Modules/Setup.bootstrap`).
   * `BuiltinImporter` finds them before any path entry, so no file can shadow them. Distributors build in more
   * (Debian's 3.11 has 61, such as `math`, `zlib`, `_socket`), but elsewhere those load from `lib-dynload`.
   */
  readonly builtin: ReadonlySet<string>;
}

interface Change {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

function apply(base: ReadonlySet<string>, change: Change): ReadonlySet<string> {
  const result = new Set(base);
  for (const name of change.removed) result.delete(name);
  for (const name of change.added) result.add(name);
  return result;
}

/** `sys.stdlib_module_names` changes between versions (the notes' "Stdlib module lists"; 3.10 is 3.11 undone). */
const STDLIB_3_10_FROM_3_11: Change = { added: ['binhex'], removed: ['tomllib', '_tokenize', '_typing'] };
const STDLIB_3_12_FROM_3_11: Change = {
  added: ['_pydatetime', '_pylong', '_sha2'],
  removed: ['asynchat', 'asyncore', 'distutils', 'imp', 'smtpd', '_sha256', '_sha512', '_bootsubprocess'],
};
/** PEP 594's dead batteries, removed in 3.13. */
const PEP_594 = [
  'aifc',
  'audioop',
  'cgi',
  'cgitb',
  'chunk',
  'crypt',
  'imghdr',
  'mailcap',
  'msilib',
  'nis',
  'nntplib',
  'ossaudiodev',
  'pipes',
  'sndhdr',
  'spwd',
  'sunau',
  'telnetlib',
  'uu',
  'xdrlib',
  'lib2to3',
];
const STDLIB_3_13_FROM_3_12: Change = {
  added: [
    '_pyrepl',
    '_colorize',
    '_interpreters',
    '_interpchannels',
    '_interpqueues',
    '_opcode_metadata',
    '_suggestions',
    '_sysconfig',
    '_android_support',
    '_ios_support',
    '_wmi',
  ],
  removed: [...PEP_594, '_crypt', '_msi'],
};

/** Built in to every 3.11 build (a plain `./configure && make`; Debian adds 30 more). */
const CORE_BUILTIN_3_11: readonly string[] = [
  '_abc',
  '_ast',
  '_codecs',
  '_collections',
  '_functools',
  '_imp',
  '_io',
  '_locale',
  '_operator',
  '_signal',
  '_sre',
  '_stat',
  '_string',
  '_symtable',
  '_thread',
  '_tokenize',
  '_tracemalloc',
  '_warnings',
  '_weakref',
  'atexit',
  'builtins',
  'errno',
  'faulthandler',
  'gc',
  'itertools',
  'marshal',
  'posix',
  'pwd',
  'sys',
  'time',
  'xxsubtype',
];
const BUILTIN_3_10_FROM_3_11: Change = { added: [], removed: ['_tokenize'] };
const BUILTIN_3_12_FROM_3_11: Change = { added: ['_typing'], removed: ['xxsubtype'] };
const BUILTIN_3_13_FROM_3_12: Change = { added: ['_suggestions', '_sysconfig'], removed: [] };

function tables(): Readonly<Record<PythonVersion, StdlibNames>> {
  const stdlib311 = new Set(generated.stdlib);
  const builtin311 = new Set(CORE_BUILTIN_3_11);
  const stdlib312 = apply(stdlib311, STDLIB_3_12_FROM_3_11);
  const builtin312 = apply(builtin311, BUILTIN_3_12_FROM_3_11);
  return {
    '3.10': {
      stdlib: apply(stdlib311, STDLIB_3_10_FROM_3_11),
      builtin: apply(builtin311, BUILTIN_3_10_FROM_3_11),
    },
    '3.11': { stdlib: stdlib311, builtin: builtin311 },
    '3.12': { stdlib: stdlib312, builtin: builtin312 },
    '3.13': {
      stdlib: apply(stdlib312, STDLIB_3_13_FROM_3_12),
      builtin: apply(builtin312, BUILTIN_3_13_FROM_3_12),
    },
  };
}

/** Standard-library and core built-in module names per Python version. */
export const STDLIB_NAMES: Readonly<Record<PythonVersion, StdlibNames>> = tables();

/** The names `generate_stdlib_names.py` read from this machine's 3.11 (Debian's build, so with its built-ins). */
export const GENERATED_3_11 = {
  python: generated.python,
  stdlib: generated.stdlib,
  builtin: generated.builtin,
};

/**
 * The versions among `targets` in which a file named `module` would shadow a standard-library module: the name is
 * in that version's standard library and not built in to it.
 */
export function shadowedIn(
  module: string,
  targets: readonly PythonVersion[] = PYTHON_VERSIONS,
): PythonVersion[] {
  return targets.filter((version) => {
    const names = STDLIB_NAMES[version];
    return names.stdlib.has(module) && !names.builtin.has(module);
  });
}
