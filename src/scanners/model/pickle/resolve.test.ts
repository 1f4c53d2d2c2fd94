import { describe, expect, it } from 'vitest';
import { OP } from './opcodes.js';
import { asm, P, pickle0, pickle4, scanBytes, u32 } from './testing.js';

const evidence = (findings: readonly { evidence?: string | undefined }[]): (string | undefined)[] =>
  findings.map((f) => f.evidence);

const osSystem = (...resolver: Parameters<typeof asm>) =>
  pickle4(...resolver, P.str('id'), P.tuple1, P.reduce);

describe('resolver chains', () => {
  it('follows getattr(__import__(…), …) and reports only the final target', async () => {
    const bytes = osSystem(
      P.call(
        P.stackGlobal('builtins', 'getattr'),
        P.call(P.stackGlobal('builtins', '__import__'), P.str('os')),
        P.str('system'),
      ),
    );
    const { findings } = await scanBytes(bytes);
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'MODEL-PICKLE-001',
        evidence: "os.system('id') via builtins.getattr(builtins.__import__('os'), 'system')",
      }),
    ]);
  });

  it('follows importlib.import_module, pkgutil.resolve_name and pydoc.locate', async () => {
    const importModule = P.call(P.stackGlobal('importlib', 'import_module'), P.str('os'));
    const viaImport = await scanBytes(
      osSystem(P.call(P.stackGlobal('builtins', 'getattr'), importModule, P.str('system'))),
    );
    expect(evidence(viaImport.findings)).toEqual([
      "os.system('id') via builtins.getattr(importlib.import_module('os'), 'system')",
    ]);
    const resolveName = await scanBytes(
      osSystem(P.call(P.stackGlobal('pkgutil', 'resolve_name'), P.str('os:system'))),
    );
    expect(evidence(resolveName.findings)).toEqual(["os.system('id') via pkgutil.resolve_name('os:system')"]);
    const locate = await scanBytes(osSystem(P.call(P.stackGlobal('pydoc', 'locate'), P.str('os.system'))));
    expect(evidence(locate.findings)).toEqual(["os.system('id') via pydoc.locate('os.system')"]);
  });

  it('follows attrgetter and methodcaller in their C-module spellings', async () => {
    const imported = P.call(P.stackGlobal('builtins', '__import__'), P.str('os'));
    const getter = await scanBytes(
      osSystem(P.call(P.call(P.stackGlobal('_operator', 'attrgetter'), P.str('system')), imported)),
    );
    expect(evidence(getter.findings)).toEqual([
      "_operator.attrgetter('system')",
      "os.system('id') via _operator.attrgetter('system')(builtins.__import__('os'))",
    ]);
    const caller = await scanBytes(
      pickle4(
        P.call(P.call(P.stackGlobal('_operator', 'methodcaller'), P.str('system'), P.str('id')), imported),
      ),
    );
    expect(evidence(caller.findings)).toContain(
      "os.system('id') via _operator.methodcaller('system', 'id')(builtins.__import__('os'))",
    );
  });

  it('reports what functools.partial wraps when the partial object is called', async () => {
    const bytes = pickle4(
      P.call(P.stackGlobal('functools', 'partial'), P.stackGlobal('posix', 'system'), P.str('id')),
      OP.EMPTY_TUPLE,
      P.reduce,
    );
    const { findings } = await scanBytes(bytes);
    expect(findings.map((f) => [f.ruleId, f.evidence])).toEqual([
      ['MODEL-PICKLE-002', 'functools.partial'],
      ['MODEL-PICKLE-001', "posix.system('id') via functools.partial(posix.system, 'id')"],
    ]);
  });

  it('maps Python-2 spellings (protocol 0) to the denied callable', async () => {
    const bytes = pickle0(
      P.global('__builtin__', 'eval'),
      [OP.MARK, OP.STRING, "'1+1'\n", OP.TUPLE],
      OP.REDUCE,
    );
    const { findings } = await scanBytes(bytes);
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'MODEL-PICKLE-001', evidence: "__builtin__.eval('1+1')" }),
    ]);
    expect(findings[0]?.message).toContain('builtins.eval');
  });

  it('flags a call on a value that cannot be resolved', async () => {
    const bytes = pickle4(
      P.stackGlobal('collections', 'OrderedDict'),
      OP.EMPTY_TUPLE,
      P.reduce,
      OP.EMPTY_TUPLE,
      P.reduce,
    );
    const { findings } = await scanBytes(bytes);
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'MODEL-PICKLE-003', evidence: 'collections.OrderedDict()()' }),
    ]);
  });
});

describe('constant folding of assembled names', () => {
  const join = (parts: string[]) =>
    P.call(P.stackGlobal('builtins', 'str.join'), P.str(''), [
      OP.EMPTY_LIST,
      OP.MARK,
      ...parts.map((part) => P.str(part)),
      OP.APPENDS,
    ]);

  it('folds str.join, operator.add, codecs rot13 and hex/base64 decoding into module names', async () => {
    const cases = [
      join(['o', 's']),
      P.call(P.stackGlobal('_operator', 'add'), P.str('o'), P.str('s')),
      P.call(P.stackGlobal('codecs', 'decode'), P.str('bf'), P.str('rot13')),
      P.call(
        P.stackGlobal('builtins', 'bytes.decode'),
        P.call(P.stackGlobal('builtins', 'bytes.fromhex'), P.str('6f73')),
        P.str('ascii'),
      ),
      P.call(
        P.stackGlobal('codecs', 'decode'),
        P.call(P.stackGlobal('base64', 'b64decode'), P.str('b3M=')),
        P.str('utf-8'),
      ),
    ];
    for (const module of cases) {
      const { findings, error } = await scanBytes(
        pickle4(module, P.str('system'), OP.STACK_GLOBAL, P.str('id'), P.tuple1, P.reduce),
      );
      expect(error).toBeUndefined();
      expect(evidence(findings)).toContain("os.system('id')");
      // The folding callable is judged too (not on the allow list).
      expect(findings.some((f) => f.ruleId === 'MODEL-PICKLE-002')).toBe(true);
    }
  });

  it('folds the protocol-2 encoding of bytes (_codecs.encode(str, "latin1")) without findings', async () => {
    const bytes = asm(
      P.proto(2),
      P.call(P.global('_codecs', 'encode'), [OP.BINUNICODE, ...u32(2), 0xc3, 0xa9], P.str('latin1')),
      P.stop,
    );
    expect(await scanBytes(bytes)).toEqual({ findings: [], error: undefined });
  });
});

describe('nested pickles', () => {
  const payload = asm(
    P.proto(2),
    P.global('posix', 'system'),
    [OP.BINUNICODE, ...u32(2), 'id'],
    P.tuple1,
    P.reduce,
    P.stop,
  );
  const benign = asm(P.proto(2), P.int(1), P.stop);

  it('scans constant bytes given to pickle.loads and labels the nested findings', async () => {
    const bytes = pickle4(P.call(P.stackGlobal('pickle', 'loads'), P.bytes(payload)));
    const { findings } = await scanBytes(bytes, { member: 'archive/data.pkl' });
    expect(findings.map((f) => [f.ruleId, f.evidence, f.member])).toEqual([
      ['MODEL-PICKLE-001', expect.stringMatching(/^pickle\.loads\(b'/), 'archive/data.pkl'],
      ['MODEL-PICKLE-001', "posix.system('id')", 'archive/data.pkl!loads@48'],
    ]);
  });

  it('flags torch.storage._load_from_bytes only when the nested pickle is not clean', async () => {
    const loader = P.stackGlobal('torch.storage', '_load_from_bytes');
    expect(await scanBytes(pickle4(P.call(loader, P.bytes(benign))))).toEqual({
      findings: [],
      error: undefined,
    });
    const { findings } = await scanBytes(pickle4(P.call(loader, P.bytes(payload))));
    expect(findings.map((f) => f.ruleId)).toEqual(['MODEL-PICKLE-001', 'MODEL-PICKLE-001']);
    expect(findings[1]?.evidence).toContain('torch.storage._load_from_bytes');
  });

  it('hands nested bytes (also through io.BytesIO) to the container callback when there is one', async () => {
    const seen: [number, string][] = [];
    const scanNested = (bytes: Uint8Array, label: string): Promise<void> => {
      seen.push([bytes.length, label]);
      return Promise.resolve();
    };
    const bytesIO = P.call(P.stackGlobal('io', 'BytesIO'), P.bytes(payload));
    const { findings } = await scanBytes(pickle4(P.call(P.stackGlobal('torch', 'load'), bytesIO)), {
      scanNested,
    });
    expect(seen).toEqual([[payload.length, expect.stringMatching(/^load@\d+$/)]]);
    expect(findings.map((f) => f.ruleId)).toEqual(['MODEL-PICKLE-002', 'MODEL-PICKLE-001']);
  });
});

describe('joblib raw array data', () => {
  const dtype = (code: string, elsize = -1, flags = 0) => [
    P.call(P.stackGlobal('numpy', 'dtype'), P.str(code), OP.NEWFALSE, OP.NEWTRUE),
    OP.MARK,
    P.int(3),
    P.str('<'),
    P.none,
    P.none,
    P.none,
    [OP.BININT, ...u32(elsize >>> 0)],
    [OP.BININT, ...u32(-1 >>> 0)],
    P.int(flags),
    OP.TUPLE,
    P.build,
  ];
  const wrapper = (code: string, shape: number[], aligned: boolean, elsize = -1, flags = 0) => [
    P.stackGlobal('joblib.numpy_pickle', 'NumpyArrayWrapper'),
    OP.EMPTY_TUPLE,
    OP.NEWOBJ,
    OP.EMPTY_DICT,
    OP.MARK,
    [P.str('subclass'), P.stackGlobal('numpy', 'ndarray')],
    [P.str('shape'), OP.MARK, ...shape.map((d) => P.int(d)), OP.TUPLE],
    [P.str('order'), P.str('C')],
    [P.str('dtype'), dtype(code, elsize, flags)],
    [P.str('allow_mmap'), OP.NEWTRUE],
    aligned ? [P.str('numpy_array_alignment_bytes'), P.int(16)] : [],
    OP.SETITEMS,
    P.build,
  ];
  const after = asm(P.stackGlobal('posix', 'system'), P.str('id'), P.tuple1, P.reduce, P.stop);

  it('skips the padding and the array bytes, then keeps decoding the stream', async () => {
    // Array bytes that would be garbage opcodes (0xff) if they were parsed.
    const raw = new Uint8Array(2 * 3 * 4).fill(0xff);
    const aligned = asm(
      P.proto(4),
      OP.EMPTY_DICT,
      P.str('w'),
      wrapper('f4', [2, 3], true),
      3,
      [0xff, 0xff, 0xff],
      raw,
      OP.SETITEM,
      after,
    );
    const scan = await scanBytes(aligned);
    expect(scan.error).toBeUndefined();
    expect(evidence(scan.findings)).toEqual(["posix.system('id')"]);
    const unaligned = asm(
      P.proto(4),
      wrapper('U5', [2], false, 20, 8),
      new Uint8Array(40).fill(0xff),
      P.pop,
      after,
    );
    expect(evidence((await scanBytes(unaligned)).findings)).toEqual(["posix.system('id')"]);
  });

  it('scans the inline pickle of an object array', async () => {
    const inline = asm(
      P.proto(2),
      P.global('posix', 'system'),
      [OP.BINUNICODE, ...u32(1), 'x'],
      P.tuple1,
      P.reduce,
      P.stop,
    );
    const bytes = asm(P.proto(4), wrapper('O8', [1], true, -1, 63), inline, P.pop, P.none, P.stop);
    const scan = await scanBytes(bytes);
    expect(scan.error).toBeUndefined();
    expect(evidence(scan.findings)).toEqual(["posix.system('x')"]);
  });

  it('refuses to guess when the array size cannot be computed', async () => {
    const bytes = asm(P.proto(4), wrapper('not a dtype', [2], true), new Uint8Array(8), after);
    expect((await scanBytes(bytes)).error).toMatchObject({ code: 'UNSUPPORTED' });
  });
});
