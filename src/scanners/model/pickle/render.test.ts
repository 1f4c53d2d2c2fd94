import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelItem } from '../../../core/model-part.js';
import { scanBytesForTest, scanFileForTest, type TestScan } from '../test-support.js';
import { OP } from './opcodes.js';
import { MAX_LINE } from './render-layout.js';
import { MAX_PROGRAM_LINES } from './render.js';
import { P, pickle4 } from './testing.js';

const FIXTURES = join(import.meta.dirname, '../../../../test/fixtures/model');

/** The program sections of a scan, one per pickle read, as `[risk] text` lines. */
function programs(scan: TestScan): string[][] {
  return scan.models.flatMap((part) =>
    (part.sections ?? [])
      .filter((section) => section.title === 'program')
      .map((section) => section.items.map(show)),
  );
}

function show(item: ModelItem): string {
  return item.risk === undefined ? item.text : `[${item.risk}] ${item.text}`;
}

async function programOf(path: string): Promise<string[]> {
  const found = programs(await scanFileForTest(join(FIXTURES, path), { detail: true }));
  expect(found).toHaveLength(1);
  return found[0] ?? [];
}

async function programOfBytes(bytes: Uint8Array): Promise<ModelItem[]> {
  const scan = await scanBytesForTest(bytes, 'test.pkl', { detail: true });
  const [program] = scan.models.flatMap((part) => part.sections ?? []);
  return [...(program?.items ?? [])];
}

describe('pickle program rendering', () => {
  it('shows the os.system payload on its own risky line, the same at every protocol', async () => {
    const expected = [
      '[critical] import posix  # system',
      "[critical] _var0 = posix.system('echo pwned')",
      "result = {'model': [1, 2, 3], 'x': _var0}",
    ];
    expect(await programOf('malicious/pickle_reduce_posix_system_p4.pkl')).toEqual(expected);
    expect(await programOf('malicious/pickle_reduce_posix_system_p0.pkl')).toEqual(expected);
    expect(await programOf('malicious/pickle_reduce_posix_system_p2.pkl')).toEqual(expected);
  });

  it('shows a torch state dict as one OrderedDict literal with compact storages', async () => {
    const scan = await scanFileForTest(join(FIXTURES, 'benign/torch/state_dict.pt'), { detail: true });
    const part = scan.models.find((model) => model.format === 'pickle');
    expect(part?.member).toBe('state_dict/data.pkl');
    expect(programs(scan)).toEqual([
      [
        'import collections  # OrderedDict',
        'import torch._utils  # _rebuild_tensor_v2',
        'import torch  # FloatStorage',
        'result = collections.OrderedDict({',
        "    'fc1.weight': torch._utils._rebuild_tensor_v2(<storage '0' float32 cpu 12 elements>, 0, (3, 4), (4, 1), False, collections.OrderedDict()),",
        "    'fc1.bias': torch._utils._rebuild_tensor_v2(<storage '1' float32 cpu 3 elements>, 0, (3,), (1,), False, collections.OrderedDict()),",
        "    'fc2.weight': torch._utils._rebuild_tensor_v2(<storage '2' float32 cpu 6 elements>, 0, (2, 3), (3, 1), False, collections.OrderedDict()),",
        "    'fc2.bias': torch._utils._rebuild_tensor_v2(<storage '3' float32 cpu 2 elements>, 0, (2,), (1,), False, collections.OrderedDict()),",
        '})',
        'result.__setstate__({',
        "    '_metadata': collections.OrderedDict({'': {'version': 1}, 'fc1': {'version': 1}, 'fc2': {'version': 1}}),",
        '})',
      ],
    ]);
  });

  it('shows a scikit-learn pipeline as objects built by __new__ and filled by __setstate__', async () => {
    const lines = await programOf('benign/sklearn/scaler_logreg_pipeline.pkl');
    expect(lines.slice(0, 9)).toEqual([
      'import sklearn.pipeline  # Pipeline',
      'import sklearn.preprocessing._data  # StandardScaler',
      'import numpy.core.multiarray  # scalar, _reconstruct',
      'import numpy  # dtype, ndarray',
      'import sklearn.linear_model._logistic  # LogisticRegression',
      'result = sklearn.pipeline.Pipeline.__new__(sklearn.pipeline.Pipeline)',
      '_var0 = sklearn.preprocessing._data.StandardScaler.__new__(sklearn.preprocessing._data.StandardScaler)',
      "_var1 = numpy.dtype('i8', False, True)",
      "_var1.__setstate__((3, '<', None, None, None, -1, -1, 0))",
    ]);
    // Array data is shortened, with its length.
    expect(lines).toContain(
      "_var4.__setstate__((1, (6,), _var3, False, b'\\xc0\\xae\\xb0\\t\\x8f\\x82\\x02@\\xec2<G\\xb3l&@\\xacot\\x9a%y\\x03@'…(48 bytes)))",
    );
    expect(lines.slice(-6)).toEqual([
      'result.__setstate__({',
      "    'steps': [('scaler', _var0), ('clf', _var6)],",
      "    'memory': None,",
      "    'verbose': False,",
      "    '_sklearn_version': '1.2.1',",
      '})',
    ]);
    expect(lines.every((line) => !line.startsWith('['))).toBe(true);
  });

  it('shows joblib arrays as read by their wrapper, and the inline object-array pickle on its own', async () => {
    const scan = await scanFileForTest(
      join(FIXTURES, 'malicious/joblib_object_array_nested_payload.joblib'),
      {
        detail: true,
      },
    );
    const [inline, main] = programs(scan);
    expect(inline).toContain("[critical] _var1 = posix.system('echo pwned')");
    expect(main?.at(-1)).toBe("result = {'w': _var0.read(unpickler), 'objs': _var2.read(unpickler)}");
  });

  it('resolves memo references: a value used twice is named once', async () => {
    const bytes = pickle4(
      P.mark,
      [OP.EMPTY_DICT, P.memoize, P.str('a'), P.int(1), OP.SETITEM],
      P.binget(0),
      OP.LIST,
    );
    expect((await programOfBytes(bytes)).map(show)).toEqual(["_var0 = {'a': 1}", 'result = [_var0, _var0]']);
    expect(await programOf('adversarial/memo/global_memoized_then_called_via_get.pkl')).toEqual([
      '[critical] import posix  # system',
      "[critical] posix.system('echo pwned')",
      "[critical] result = posix.system('echo pwned again')",
    ]);
  });

  it('shows resolver chains as written, with what they reach', async () => {
    expect(await programOf('adversarial/chains/getattr_import_os_system.pkl')).toEqual([
      '[critical] import builtins  # getattr, __import__',
      "[critical] result = builtins.getattr(builtins.__import__('os'), 'system')('echo pwned')  # → os.system",
    ]);
    expect(await programOf('adversarial/chains/functools_partial.pkl')).toEqual([
      '[medium] import functools  # partial',
      '[critical] import posix  # system',
      "[critical] _var0 = functools.partial(posix.system, 'echo pwned')",
      '[critical] result = _var0()  # → posix.system',
    ]);
    expect(await programOf('adversarial/chains/str_join_importlib_getattr.pkl')).toContain(
      "[medium] builtins.str.join('', ['o', 's'])  # = 'os'",
    );
  });

  it('keeps calls whose result is discarded, and unresolvable imports', async () => {
    expect(await programOf('adversarial/chains/obj_call_result_popped.pkl')).toEqual([
      '[critical] import posix  # system',
      "[critical] posix.system('echo pwned')",
      "result = {'ok': True}",
    ]);
    expect(await programOf('adversarial/memo/stack_global_type_confusion_int_module.pkl')).toEqual([
      '[critical] import posix  # system',
      "[critical] posix.system('echo pwned')",
      "[high] find_class(42, 'system')  # a global named by values computed while loading",
      '[high] <value computed at load time>()  # cannot be resolved statically',
      'result = <value computed at load time>',
    ]);
  });

  it('shows protocol 0 text pickles (INST) and code objects', async () => {
    expect(await programOf('adversarial/proto0/inst_pty_spawn.pkl')).toEqual([
      '[critical] import pty  # spawn',
      "[critical] result = pty.spawn(['sh', '-c', 'echo pwned'])",
    ]);
    const code = await programOf('adversarial/proto0/newobj_codetype_functiontype.pkl');
    expect(code[0]).toBe('[critical] import types  # CodeType, FunctionType');
    expect(code.at(-1)).toBe('[high] result = _var1()  # cannot be resolved statically');
  });

  it('shows what was read before a pickle breaks', async () => {
    const lines = await programOf('adversarial/memo/get_missing_memo_key.pkl');
    expect(lines.at(-1)).toBe('# stopped: memo key 9 is missing');
    expect(lines).toContain("[critical] posix.system('echo pwned')");
  });

  it('stays bounded on hostile pickles', async () => {
    const laughs = await programOf('adversarial/resource/billion_laughs_memo_dup.pkl');
    expect(laughs.length).toBeLessThan(50);
    expect(laughs.at(-1)).toMatch(/^result = \[_var\d+, /);
    expect(await programOf('adversarial/resource/deep_nesting_100k.pkl')).toEqual([
      'result = [[[[[[[[[[[[[…]]]]]]]]]]]]]',
    ]);

    // 3,000 discarded calls and a 10,000-character string.
    const calls = Array.from({ length: 3000 }, (_, i) => [P.call(P.binget(0), P.int(i)), P.pop]);
    const bytes = pickle4(
      P.stackGlobal('posix', 'system'),
      P.memoize,
      P.pop,
      calls,
      P.str('x'.repeat(10_000)),
    );
    const lines = await programOfBytes(bytes);
    expect(lines).toHaveLength(MAX_PROGRAM_LINES);
    expect(lines[1]).toEqual({ text: 'posix.system(0)', risk: 'critical' });
    expect(lines.at(-1)?.text).toMatch(/^# … \d+ more lines not shown$/);
    expect(lines.every((line) => line.text.length <= MAX_LINE + 200)).toBe(true);

    const long = await programOfBytes(pickle4(P.str('y'.repeat(10_000))));
    expect(long[0]?.text).toBe(`result = '${'y'.repeat(120)}'…(10000 chars)`);
  });

  it('describes nothing without detail, and the findings do not depend on it', async () => {
    for (const path of [
      'malicious/pickle_reduce_posix_system_p4.pkl',
      'adversarial/chains/functools_partial.pkl',
      'malicious/joblib_object_array_nested_payload.joblib',
      'benign/torch/state_dict.pt',
    ]) {
      const plain = await scanFileForTest(join(FIXTURES, path));
      const detailed = await scanFileForTest(join(FIXTURES, path), { detail: true });
      expect(programs(plain)).toEqual([]);
      expect(detailed.findings).toEqual(plain.findings);
    }
  });

  it('spells globals in full, and names that are not identifiers through find_class', async () => {
    const bytes = pickle4(
      P.call(P.stackGlobal('numpy', 'dtype'), P.str('f4')),
      P.call(P.stackGlobal('torch', 'dtype'), P.str('x')),
      P.stackGlobal('os; rm', 'x y'),
      OP.TUPLE3,
    );
    expect((await programOfBytes(bytes)).map(show)).toEqual([
      'import numpy  # dtype',
      '[medium] import torch  # dtype',
      "[medium] _var0 = torch.dtype('x')",
      "[medium] result = (numpy.dtype('f4'), _var0, find_class('os; rm', 'x y'))",
    ]);
  });
});
