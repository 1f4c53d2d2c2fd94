/**
 * Globals that are dangerous to import or call from a pickle, as data.
 *
 * Each entry is a canonical dotted path (Python-3 spelling, C accelerators mapped to their public module, see
 * names.ts) and matches that path and everything under it: a module entry covers all its submodules and
 * attributes (`asyncio` covers `asyncio.unix_events._UnixSubprocessTransport._start`, CVE-2025-10157), a name
 * entry covers dotted attributes of the name. The reason is shown in the finding's message.
 *
 * The allow list is exact and is consulted after this list, so a benign type living in a denied module (e.g.
 * `uuid.UUID`) must be carved out in {@link DENY_EXCEPTIONS}.
 */

export interface DenyEntry {
  readonly reason: string;
  /** Rebuilds Python code: reported as MODEL-PICKLE-004 instead of MODEL-PICKLE-001. */
  readonly code: boolean;
}

const SHELL = 'runs shell commands';
const PROCESS = 'starts processes or threads';
const EVAL = 'evaluates code';
const IMPORT = 'imports arbitrary modules';
const ATTR = 'reaches arbitrary attributes';
const CALLS = 'calls functions it is given';
const NATIVE = 'loads native code';
const FILES = 'reads or writes files';
const NETWORK = 'accesses the network';
const NESTED = 'loads nested pickles or models';
const CODE = 'rebuilds Python code';
const INTERPRETER = 'changes interpreter state';
const INSTALL = 'installs packages';

const ENTRIES: readonly (readonly [string, string])[] = [
  // Shell commands and processes.
  ...(['os', 'subprocess', '_posixsubprocess', 'pty', 'pipes', 'popen2', 'platform', 'mailcap'] as const).map(
    (path) => [path, SHELL] as const,
  ),
  ...(
    ['_osx_support', '_aix_support', 'uuid', '_pyrepl', 'webbrowser', '_winapi', 'msvcrt', 'winreg'] as const
  ).map((path) => [path, SHELL] as const),
  ...(
    ['multiprocessing', '_multiprocessing', 'concurrent', 'asyncio', 'threading', '_thread', 'sched'] as const
  ).map((path) => [path, PROCESS] as const),
  ['torch.multiprocessing', PROCESS],
  ['torch.utils.collect_env', SHELL],
  // Code evaluation.
  ...(
    [
      'builtins.eval',
      'builtins.exec',
      'builtins.execfile',
      'builtins.compile',
      'builtins.breakpoint',
      'builtins.input',
      'builtins.raw_input',
      'builtins.help',
      'builtins.exit',
      'builtins.quit',
      'builtins.__build_class__',
      'code',
      'codeop',
      'runpy',
      'timeit',
      'trace',
      'profile',
      'cProfile',
      '_lsprof',
      'bdb',
      'pdb',
      'doctest',
      'test',
      'idlelib',
      'lib2to3',
      'pydoc',
      'rlcompleter',
      'tkinter',
      '_tkinter',
      'turtle',
      '_interpreters',
      '_xxsubinterpreters',
      '_xxinterpchannels',
      '_interpqueues',
      'interpreters',
      'cgitb',
      'logging.config',
      'numpy.testing',
      'numpy.f2py',
      'numpy._pytesttester',
      'torch.utils.bottleneck',
      'torch._dynamo',
      'torch.fx.experimental.symbolic_shapes',
      'torch.jit.unsupported_tensor_ops',
      'torch.jit.annotations',
      'torch.utils._config_module',
      'torch._inductor',
      'torch.testing._internal',
      'torch.package',
    ] as const
  ).map((path) => [path, EVAL] as const),
  ...(
    [
      'builtins.__import__',
      'builtins.reload',
      'importlib',
      'imp',
      'pkgutil',
      'zipimport',
      'modulefinder',
    ] as const
  ).map((path) => [path, IMPORT] as const),
  ...(
    ['builtins.getattr', 'builtins.setattr', 'builtins.delattr', 'builtins.vars', 'builtins.globals'] as const
  ).map((path) => [path, ATTR] as const),
  ...(['builtins.locals', 'operator.attrgetter', 'operator.methodcaller', 'inspect', 'gc'] as const).map(
    (path) => [path, ATTR] as const,
  ),
  ...(
    ['builtins.apply', 'functools.reduce', 'operator.call', 'atexit', 'signal', 'weakref.finalize'] as const
  ).map((path) => [path, CALLS] as const),
  // Native code.
  ...(
    [
      'ctypes',
      '_ctypes',
      'cffi',
      'numpy.ctypeslib',
      'torch.ops',
      'torch._ops',
      'torch.classes',
      'torch.library',
    ] as const
  ).map((path) => [path, NATIVE] as const),
  ...(
    ['torch.utils.cpp_extension', 'numpy.distutils', 'distutils', 'setuptools', '_distutils_hack'] as const
  ).map((path) => [path, NATIVE] as const),
  // Files.
  ...(
    [
      'builtins.open',
      'builtins.file',
      'io',
      'codecs.open',
      'codecs.EncodedFile',
      'fileinput',
      'shutil',
      'tempfile',
      'glob',
      'linecache',
      'mmap',
      'pathlib',
      'shelve',
      'dbm',
      'sqlite3',
      'zipfile',
      'tarfile',
      'gzip',
      'bz2',
      'lzma',
      'mailbox',
      'logging',
      'compileall',
      'py_compile',
      'zipapp',
      'venv',
      'fcntl',
      'pwd',
      'grp',
      'spwd',
      'getpass',
      'resource',
      'termios',
      'numpy.load',
      'numpy.save',
      'numpy.savez',
      'numpy.savez_compressed',
      'numpy.savetxt',
      'numpy.loadtxt',
      'numpy.genfromtxt',
      'numpy.fromfile',
      'numpy.fromregex',
      'numpy.memmap',
      'numpy.core.memmap',
      'numpy.lib.npyio',
      'numpy.lib.format',
      'numpy.lib._datasource',
      'numpy.DataSource',
      'torch.save',
      'torch.serialization.save',
      'torch.from_file',
    ] as const
  ).map((path) => [path, FILES] as const),
  // Network.
  ...(
    [
      'socket',
      '_socket',
      'ssl',
      '_ssl',
      'http',
      'urllib',
      'urllib3',
      'ftplib',
      'smtplib',
      'smtpd',
      'telnetlib',
      'imaplib',
      'poplib',
      'nntplib',
      'xmlrpc',
      'socketserver',
      'asynchat',
      'asyncore',
      'requests',
      'aiohttp',
      'httpx',
      'websocket',
      'websockets',
      'paramiko',
      'torch.hub',
      'torch.distributed',
      'torch.utils.model_zoo',
    ] as const
  ).map((path) => [path, NETWORK] as const),
  // Nested pickles and models.
  ...(
    [
      'pickle',
      'joblib.load',
      'joblib.numpy_pickle.load',
      'numpy.loads',
      'torch.load',
      'torch.serialization.load',
      'torch.jit.load',
      'torch.jit._serialization.load',
      'torch.utils.data.datapipes.utils.decoder',
      'keras.models.load_model',
      'tensorflow.keras.models.load_model',
    ] as const
  ).map((path) => [path, NESTED] as const),
  // Code objects and functions built from bytecode.
  ...(
    ['marshal', 'types.CodeType', 'types.FunctionType', 'types.LambdaType', 'dill', 'cloudpickle'] as const
  ).map((path) => [path, CODE] as const),
  // Specific dill / cloudpickle helpers whose effect is not code rebuilding (the longest matching entry wins).
  ['dill._dill._create_filehandle', FILES],
  ['dill._dill._get_attr', ATTR],
  ['dill._dill._import_module', IMPORT],
  ['cloudpickle.cloudpickle.subimport', IMPORT],
  ['cloudpickle.cloudpickle_fast.subimport', IMPORT],
  ['cloudpickle.cloudpickle.dynamic_subimport', IMPORT],
  ...(['types', 'sys', 'site', 'sitecustomize', 'usercustomize', '_sitebuiltins', 'copyreg'] as const).map(
    (path) => [path, INTERPRETER] as const,
  ),
  ...(['pip', 'ensurepip', 'pkg_resources'] as const).map((path) => [path, INSTALL] as const),
];

/** Entries whose callables rebuild code (MODEL-PICKLE-004). */
const CODE_PATHS = new Set([
  'marshal',
  'types.CodeType',
  'types.FunctionType',
  'types.LambdaType',
  'dill',
  'cloudpickle',
]);

export const DENY_LIST: ReadonlyMap<string, DenyEntry> = new Map(
  ENTRIES.map(([path, reason]) => [path, { reason, code: CODE_PATHS.has(path) }]),
);

/**
 * Exact paths exempted from a module-wide deny entry: harmless value types that legitimate pickles contain.
 * An exception covers only the exact path, never attributes under it (`uuid.UUID.foo` stays denied).
 */
export const DENY_EXCEPTIONS: ReadonlySet<string> = new Set([
  'uuid.UUID',
  'uuid.SafeUUID',
  'types.SimpleNamespace',
  'pathlib.Path',
  'pathlib.PurePath',
  'pathlib.PosixPath',
  'pathlib.PurePosixPath',
  'pathlib.WindowsPath',
  'pathlib.PureWindowsPath',
  'copyreg._reconstructor',
  'copyreg.__newobj__',
  'copyreg.__newobj_ex__',
  'io.BytesIO',
  'io.StringIO',
  'logging.getLogger',
  // dill pickles NumPy arrays through _create_array(f, args, state): the machine treats it as a call of `f`,
  // which is a global checked on its own (benign dill files in test/fixtures/model contain it).
  'dill._dill._create_array',
]);

/** Dunder attributes are denied anywhere in a qualname except these exact paths. */
export const DUNDER_EXCEPTIONS: ReadonlySet<string> = new Set([
  'copyreg.__newobj__',
  'copyreg.__newobj_ex__',
]);

export const DUNDER_REASON = 'reaches Python internals through a dunder attribute';
