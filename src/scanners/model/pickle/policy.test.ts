import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DENY_EXCEPTIONS, DENY_LIST } from './denylist.js';
import { ALLOW_LIST, builtInDeny, Policy } from './policy.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const plain = new Policy({ allowGlobals: [], denyGlobals: [] }, false);

describe('built-in deny list', () => {
  it.each([
    ['posix', 'system', 'MODEL-PICKLE-001'],
    ['nt', 'system', 'MODEL-PICKLE-001'],
    ['os', 'popen', 'MODEL-PICKLE-001'],
    ['__builtin__', 'eval', 'MODEL-PICKLE-001'],
    ['builtins', 'exec', 'MODEL-PICKLE-001'],
    ['builtins', 'getattr', 'MODEL-PICKLE-001'],
    ['builtins', '__import__', 'MODEL-PICKLE-001'],
    ['_operator', 'attrgetter', 'MODEL-PICKLE-001'],
    ['operator', 'methodcaller', 'MODEL-PICKLE-001'],
    ['_functools', 'reduce', 'MODEL-PICKLE-001'],
    ['__builtin__', 'reduce', 'MODEL-PICKLE-001'],
    ['commands', 'getoutput', 'MODEL-PICKLE-001'],
    ['cPickle', 'loads', 'MODEL-PICKLE-001'],
    ['_pickle', 'loads', 'MODEL-PICKLE-001'],
    ['urllib2', 'urlopen', 'MODEL-PICKLE-001'],
    ['urllib', 'urlopen', 'MODEL-PICKLE-001'],
    ['httplib', 'HTTPConnection', 'MODEL-PICKLE-001'],
    ['asyncio', 'unix_events._UnixSubprocessTransport._start', 'MODEL-PICKLE-001'],
    ['asyncio.unix_events', '_UnixSubprocessTransport._start', 'MODEL-PICKLE-001'],
    ['torch', 'os.system', 'MODEL-PICKLE-001'],
    ['pathlib', 'os.system', 'MODEL-PICKLE-001'],
    ['posixpath', 'os.system', 'MODEL-PICKLE-001'],
    ['torch.serialization', 'os.system', 'MODEL-PICKLE-001'],
    ['torch.utils.bottleneck.__main__', 'run_cprofile', 'MODEL-PICKLE-001'],
    ['torch._dynamo.guards', 'GuardBuilder.get', 'MODEL-PICKLE-001'],
    ['torch.fx.experimental.symbolic_shapes', 'ShapeEnv.evaluate_guards_expression', 'MODEL-PICKLE-001'],
    ['torch.utils.collect_env', 'run', 'MODEL-PICKLE-001'],
    ['torch.utils.data.datapipes.utils.decoder', 'basichandlers', 'MODEL-PICKLE-001'],
    ['torch.jit.unsupported_tensor_ops', 'execWrapper', 'MODEL-PICKLE-001'],
    ['torch.utils._config_module', 'ConfigModule.load_config', 'MODEL-PICKLE-001'],
    ['torch._inductor.codecache', 'compile_file', 'MODEL-PICKLE-001'],
    ['torch', 'load', 'MODEL-PICKLE-001'],
    ['torch.hub', 'load', 'MODEL-PICKLE-001'],
    ['torch.serialization', 'load', 'MODEL-PICKLE-001'],
    ['builtins', 'object.__subclasses__', 'MODEL-PICKLE-001'],
    ['numpy', '__builtins__', 'MODEL-PICKLE-001'],
    ['collections', 'OrderedDict.__init__.__globals__', 'MODEL-PICKLE-001'],
    ['uuid', 'UUID.__init__', 'MODEL-PICKLE-001'],
    ['uuid', '_get_command_stdout', 'MODEL-PICKLE-001'],
    ['_posixsubprocess', 'fork_exec', 'MODEL-PICKLE-001'],
    ['_io', 'FileIO', 'MODEL-PICKLE-001'],
    ['io', 'open', 'MODEL-PICKLE-001'],
    ['logging', 'FileHandler', 'MODEL-PICKLE-001'],
    ['logging.config', 'listen', 'MODEL-PICKLE-001'],
    ['pkgutil', 'resolve_name', 'MODEL-PICKLE-001'],
    ['pydoc', 'locate', 'MODEL-PICKLE-001'],
    ['importlib', 'import_module', 'MODEL-PICKLE-001'],
    ['runpy', '_run_code', 'MODEL-PICKLE-001'],
    ['numpy', 'load', 'MODEL-PICKLE-001'],
    ['numpy.testing._private.utils', 'runstring', 'MODEL-PICKLE-001'],
    ['numpy.f2py.crackfortran', 'getlincoef', 'MODEL-PICKLE-001'],
    ['ssl', 'get_server_certificate', 'MODEL-PICKLE-001'],
    ['pip', 'main', 'MODEL-PICKLE-001'],
    ['ensurepip', '_run_pip', 'MODEL-PICKLE-001'],
    ['_xxsubinterpreters', 'run_string', 'MODEL-PICKLE-001'],
    ['site', 'addsitedir', 'MODEL-PICKLE-001'],
    ['atexit', 'register', 'MODEL-PICKLE-001'],
    ['mailcap', 'findmatch', 'MODEL-PICKLE-001'],
    ['threading', 'Thread', 'MODEL-PICKLE-001'],
    ['sys', 'modules', 'MODEL-PICKLE-001'],
    ['gc', 'get_objects', 'MODEL-PICKLE-001'],
    ['shutil', 'rmtree', 'MODEL-PICKLE-001'],
    ['webbrowser', 'open', 'MODEL-PICKLE-001'],
    ['ctypes', 'CDLL', 'MODEL-PICKLE-001'],
    ['_pyrepl.pager', 'pipe_pager', 'MODEL-PICKLE-001'],
    ['dill._dill', '_import_module', 'MODEL-PICKLE-001'],
    ['types', 'CodeType', 'MODEL-PICKLE-004'],
    ['types', 'FunctionType', 'MODEL-PICKLE-004'],
    ['marshal', 'loads', 'MODEL-PICKLE-004'],
    ['dill._dill', '_create_function', 'MODEL-PICKLE-004'],
    ['cloudpickle.cloudpickle', '_make_function', 'MODEL-PICKLE-004'],
    ['cloudpickle.cloudpickle_fast', '_function_setstate', 'MODEL-PICKLE-004'],
  ])('%s.%s is denied (%s)', (module, qualname, ruleId) => {
    expect(plain.judge(module, qualname)).toMatchObject({ level: 'deny', ruleId });
  });

  it('allows the exact benign names it carves out of denied modules, and nothing under them', () => {
    for (const [module, qualname] of [
      ['copyreg', '__newobj__'],
      ['copy_reg', '_reconstructor'],
      ['uuid', 'UUID'],
      ['pathlib', 'PosixPath'],
      ['_codecs', 'encode'],
      ['__builtin__', 'set'],
      ['__builtin__', 'xrange'],
      ['dill._dill', '_create_array'],
    ] as const) {
      expect(plain.judge(module, qualname)).toMatchObject({ level: 'allow' });
    }
    expect(plain.judge('pathlib', 'PosixPath.write_text')).toMatchObject({ level: 'deny' });
  });

  it('keeps the generated allow list disjoint from the deny list', () => {
    const overlap = [...ALLOW_LIST].filter(
      (entry) => !DENY_EXCEPTIONS.has(entry) && builtInDeny(entry, '') !== undefined,
    );
    expect(overlap).toEqual([]);
    expect(DENY_LIST.size).toBeGreaterThan(150);
    expect(ALLOW_LIST.size).toBeGreaterThan(700);
  });
});

describe('allow list and unknown globals', () => {
  it.each([
    ['torch._utils', '_rebuild_tensor_v2'],
    ['torch', 'FloatStorage'],
    ['torch.nn.modules.linear', 'Linear'],
    ['numpy.core.multiarray', '_reconstruct'],
    ['numpy._core.multiarray', '_reconstruct'],
    ['numpy', 'dtype'],
    ['sklearn.ensemble._forest', 'RandomForestClassifier'],
    ['sklearn.tree._tree', 'Tree'],
    ['scipy.sparse._csr', 'csr_matrix'],
    ['collections', 'OrderedDict'],
    ['joblib.numpy_pickle', 'NumpyArrayWrapper'],
    ['builtins', 'type'],
    // Older NumPy spellings, as in joblib's own test data written with NumPy < 1.16.
    ['numpy.matrixlib.defmatrix', 'matrix'],
    ['numpy.core.records', 'recarray'],
  ])('%s.%s is allowed', (module, qualname) => {
    expect(plain.judge(module, qualname).level).toBe('allow');
  });

  it('reports other globals as unknown, with a reason for the notable ones', () => {
    expect(plain.judge('__main__', 'MyModel')).toMatchObject({
      level: 'unknown',
      ruleId: 'MODEL-PICKLE-002',
    });
    expect(plain.judge('functools', 'partial').reason).toContain('arbitrary callable');
    expect(plain.judge('joblib.numpy_pickle_compat', 'NDArrayWrapper').reason).toContain('separate files');
    expect(plain.judge('__torch__.torch.nn.modules.linear', 'Linear').level).toBe('unknown');
    expect(
      new Policy({ allowGlobals: [], denyGlobals: [] }, true).judge(
        '__torch__.torch.nn.modules.linear',
        'Linear',
      ).level,
    ).toBe('allow');
  });

  it('allows every global that real producers emit in test/fixtures/model/benign', () => {
    const file = path.join(repoRoot, 'test/fixtures/model/benign-globals.txt');
    if (!existsSync(file)) return;
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(lines.length).toBeGreaterThan(50);
    const torchScript = new Policy({ allowGlobals: [], denyGlobals: [] }, true);
    const notAllowed = lines
      .map((line) => line.split('\t'))
      .filter(([module = '', name = '', kinds = '']) => {
        const policy = kinds.includes('torchscript') ? torchScript : plain;
        return policy.judge(module, name).level !== 'allow';
      });
    expect(notAllowed).toEqual([]);
  });
});

describe('configuration', () => {
  it('lets users extend both lists; deny wins, and `module.*` never overrides the built-in deny list', () => {
    const policy = new Policy(
      {
        allowGlobals: ['mymod.Thing', 'other.*', 'os.*', 'subprocess.Popen', 'both.X'],
        denyGlobals: ['collections.OrderedDict', 'bad.*', 'both.X'],
      },
      false,
    );
    expect(policy.judge('mymod', 'Thing').level).toBe('allow');
    expect(policy.judge('other.sub', 'Anything').level).toBe('allow');
    expect(policy.judge('os', 'system').level).toBe('deny');
    expect(policy.judge('subprocess', 'Popen').level).toBe('allow');
    expect(policy.judge('collections', 'OrderedDict')).toMatchObject({
      level: 'deny',
      ruleId: 'MODEL-PICKLE-001',
    });
    expect(policy.judge('bad.module', 'f').level).toBe('deny');
    expect(policy.judge('both', 'X').level).toBe('deny');
  });
});
