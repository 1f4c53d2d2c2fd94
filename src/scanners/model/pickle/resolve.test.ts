import { describe, expect, it } from 'vitest';
import { OP } from './opcodes.js';
import { asm, P, pickle0, pickle4, scanBytes, u32, u64, type Part } from './testing.js';

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
      ['MODEL-PICKLE-001', "posix.system('id')", 'archive/data.pkl!loads#1'],
    ]);
  });

  it('labels nested payloads by ordinal per loader, not by offset, across the pickles of one stream', async () => {
    const loads = (padding: number) =>
      asm(
        pickle4(
          P.str('x'.repeat(padding)),
          P.pop,
          P.call(P.stackGlobal('pickle', 'loads'), P.bytes(payload)),
        ),
        pickle4(P.call(P.stackGlobal('pickle', 'loads'), P.bytes(payload))),
        pickle4(P.call(P.stackGlobal('torch.storage', '_load_from_bytes'), P.bytes(payload))),
      );
    const members = async (padding: number) => {
      const { findings } = await scanBytes(loads(padding), { member: 'm' });
      return findings.filter((f) => f.evidence === "posix.system('id')").map((f) => f.member);
    };
    expect(await members(1)).toEqual(['m!loads#1', 'm!loads#2', 'm!_load_from_bytes#1']);
    // Bytes inserted before the loads move their offsets, not their labels (nor so their fingerprints).
    expect(await members(100)).toEqual(await members(1));
    const { findings } = await scanBytes(loads(1));
    const unclean = findings.find(
      (f) => f.evidence === 'torch.storage._load_from_bytes(<nested _load_from_bytes#1>)',
    );
    expect(unclean?.message).toContain(`at offset ${unclean?.offset}`);
  });

  it('keeps a large payload for a nested load when it is any recognised content (gzip here)', async () => {
    const gzip = new Uint8Array(100_000);
    gzip.set([0x1f, 0x8b, 0x08]);
    const seen: number[] = [];
    const scanNested = (bytes: Uint8Array): Promise<void> => {
      seen.push(bytes.length);
      return Promise.resolve();
    };
    const bytesIO = P.call(P.stackGlobal('io', 'BytesIO'), [OP.BINBYTES, ...u32(gzip.length), gzip]);
    const { findings } = await scanBytes(pickle4(P.call(P.stackGlobal('torch', 'load'), bytesIO)), {
      scanNested,
    });
    expect(seen).toEqual([gzip.length]);
    expect(findings.map((f) => f.ruleId)).toEqual(['MODEL-PICKLE-002', 'MODEL-PICKLE-001']);
  });

  it('stops keeping payloads once a scan has kept 64 MiB of them, and reports the loads it cannot scan', async () => {
    // Four payloads of 16 MiB that look like pickles (each popped) spend the budget; the fifth, loaded, is not kept.
    const filler = 16 * 1024 * 1024;
    const nested = asm(P.proto(2), P.binunicode('x'.repeat(1000)), P.pop, payload.subarray(2));
    const head = asm(P.proto(4));
    const tail = pickle4(P.call(P.stackGlobal('pickle', 'loads'), P.bytes(nested))).subarray(2);
    const bytes = new Uint8Array(head.length + 4 * (10 + filler) + tail.length);
    bytes.set(head);
    for (let i = 0; i < 4; i++) {
      const at = head.length + i * (10 + filler);
      bytes.set([OP.BINBYTES8, ...u64(filler), OP.PROTO, 2], at);
      bytes[at + 9 + filler] = OP.POP;
    }
    bytes.set(tail, head.length + 4 * (10 + filler));
    const { findings, error } = await scanBytes(bytes);
    expect(error).toBeUndefined();
    expect(findings.map((f) => f.ruleId)).toEqual(['MODEL-PICKLE-001', 'MODEL-PICKLE-003']);
    expect(findings[1]?.message).toContain('did not keep the payload');
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
    expect(seen).toEqual([[payload.length, 'load#1']]);
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
  const wrapper = (code: string, shape: number[], aligned: boolean, elsize = -1, flags = 0) =>
    wrapperOf(dtype(code, elsize, flags), shape, aligned);
  const wrapperOf = (dtypePart: Part, shape: number[], aligned: boolean) => [
    P.stackGlobal('joblib.numpy_pickle', 'NumpyArrayWrapper'),
    OP.EMPTY_TUPLE,
    OP.NEWOBJ,
    OP.EMPTY_DICT,
    OP.MARK,
    [P.str('subclass'), P.stackGlobal('numpy', 'ndarray')],
    [P.str('shape'), OP.MARK, ...shape.map((d) => P.int(d)), OP.TUPLE],
    [P.str('order'), P.str('C')],
    [P.str('dtype'), dtypePart],
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

  describe('dtypes built from the memo', () => {
    /** `numpy.dtype(typestr)` with BUILD state `(3, '|', subdescr, None, fields, elsize, 1, 0)`, memoized at `key`. */
    const structured = (key: number, subdescr: Part, fields: Part) => [
      P.call(P.stackGlobal('numpy', 'dtype'), P.str('V8'), OP.NEWFALSE, OP.NEWTRUE),
      P.binput(key),
      [OP.MARK, P.int(3), P.str('|'), subdescr, P.none, fields, P.int(8), P.int(1), P.int(0), OP.TUPLE],
      P.build,
    ];
    const fieldsOf = (key: number, count: number) => [
      OP.EMPTY_DICT,
      OP.MARK,
      Array.from({ length: count }, (_, index) => [P.str(`f${index}`), P.binget(key), P.int(0), P.tuple2]),
      OP.SETITEMS,
    ];
    const scanArray = (dtypePart: Part) =>
      scanBytes(asm(P.proto(4), wrapperOf(dtypePart, [1], false), new Uint8Array(8), P.pop, after));

    it('stops with a ParseError at a dtype that contains itself', async () => {
      const { error } = await scanArray(structured(0, P.none, fieldsOf(0, 1)));
      expect(error).toMatchObject({ code: 'UNSUPPORTED' });
      expect(String(error)).toContain('contains itself');
    });

    it('stops with a ParseError at a chain of sub-array dtypes deeper than NumPy builds', async () => {
      const chain = [
        dtype('f4'),
        P.binput(0),
        P.pop,
        Array.from({ length: 40 }, (_, level) => [
          structured(level + 1, [P.binget(level), P.int(1), P.tuple1, P.tuple2], P.none),
          P.pop,
        ]),
        P.binget(40),
      ];
      const { error } = await scanArray(chain);
      expect(error).toMatchObject({ code: 'UNSUPPORTED' });
      expect(String(error)).toContain('nests more than');
    });

    it('reads a dtype that names one field dtype many times once per dtype', async () => {
      const levels = Array.from({ length: 12 }, (_, level) => [
        structured(level + 1, P.none, fieldsOf(level, 32)),
        P.pop,
      ]);
      const started = Date.now();
      const scan = await scanArray([dtype('f4'), P.binput(0), P.pop, levels, P.binget(12)]);
      expect(scan.error).toBeUndefined();
      expect(evidence(scan.findings)).toEqual(["posix.system('id')"]);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  describe('read as plain pickle (pickle.load / torch.load read the array bytes as opcodes)', () => {
    // posix.system('echo pwned') as a protocol-2 pickle, without its PROTO header.
    const payload = asm(P.global('posix', 'system'), P.binunicode('echo pwned'), P.tuple1, P.reduce, P.stop);
    const padded = (bytes: Uint8Array, length: number): Uint8Array => {
      const out = new Uint8Array(length);
      out.set(bytes);
      return out;
    };
    const end = asm(P.pop, P.none, P.stop);
    const hidden = (findings: readonly { ruleId: string; evidence?: string; message: string }[]) =>
      findings.filter((f) => f.message.includes('joblib array data'));

    it('finds a payload at the start of unaligned array data', async () => {
      const head = asm(P.proto(4), wrapper('f8', [8], false));
      const bytes = asm(head, padded(asm(P.proto(2), payload), 64), end);
      const scan = await scanBytes(bytes);
      expect(scan.error).toBeUndefined();
      expect(scan.findings).toEqual([
        expect.objectContaining({
          ruleId: 'MODEL-PICKLE-001',
          evidence: "posix.system('echo pwned')",
          // the REDUCE: PROTO 2, GLOBAL (13 bytes of lines), BINUNICODE (15), TUPLE1
          offset: head.length + 2 + 14 + 15 + 1,
        }),
      ]);
      expect(scan.findings[0]?.message).toContain(
        `joblib array data at offset ${head.length} as pickle opcodes`,
      );
    });

    it('finds protocol-0 text opcodes, and ignores GLOBAL lines that name nothing importable', async () => {
      const text = asm("I42\n0(S'echo pwned'\n", P.inst('posix', 'system'), P.stop);
      const found = await scanBytes(asm(P.proto(4), wrapper('u1', [64], false), padded(text, 64), end));
      expect(found.error).toBeUndefined();
      expect(evidence(found.findings)).toEqual(["posix.system('echo pwned')"]);
      // A qualname with a dunder segment is denied, but CPython cannot import these modules: the reading ends.
      const allowed = asm(P.stackGlobal('collections', 'OrderedDict'), P.pop);
      for (const garbage of [
        asm('I42\n0', OP.GLOBAL, 'po\xffsix\n__reduce__\n', P.stop),
        asm(allowed, OP.GLOBAL, 'po\xffsix\n__reduce__\n', P.stop),
        asm(allowed, P.stackGlobal('po six', '__reduce__'), P.stop),
      ]) {
        const ignored = await scanBytes(
          asm(P.proto(4), wrapper('u1', [64], false), padded(garbage, 64), end),
        );
        expect(ignored.error).toBeUndefined();
        expect(ignored.findings).toEqual([]);
      }
    });

    it('starts at the padding-length byte of aligned data, as plain pickle does', async () => {
      // Padding length 0x80 = PROTO, whose argument is the first padding byte: the payload hides in the padding.
      const padding = padded(asm(2, payload), 0x80);
      const head = asm(P.proto(4), wrapper('f4', [2, 3], true));
      const scan = await scanBytes(asm(head, 0x80, padding, new Uint8Array(24), end));
      expect(scan.error).toBeUndefined();
      expect(evidence(scan.findings)).toEqual(["posix.system('echo pwned')"]);
      expect(scan.findings[0]?.message).toContain(`at offset ${head.length} `);
      // joblib's own padding length (1-16) is no opcode: plain pickle fails before it reaches the data.
      const genuine = asm(
        P.proto(4),
        wrapper('f8', [8], true),
        4,
        [0xff, 0xff, 0xff, 0xff],
        padded(payload, 64),
        end,
      );
      const failing = await scanBytes(genuine);
      expect(failing.error).toBeUndefined();
      expect(failing.findings).toEqual([]);
    });

    it('keeps reading past the array data with the state the array bytes left', async () => {
      // The array bytes only poison memo entries that the main stream later reads for a STACK_GLOBAL.
      const poison = asm(P.str('posix'), P.binput(0), P.str('system'), P.binput(1), P.pop, P.pop);
      const bytes = asm(
        P.proto(4),
        P.str('collections'),
        P.binput(0),
        P.str('OrderedDict'),
        P.binput(1),
        P.pop,
        P.pop,
        wrapper('u1', [poison.length], false),
        poison,
        P.pop,
        P.binget(0),
        P.binget(1),
        OP.STACK_GLOBAL,
        OP.EMPTY_TUPLE,
        P.reduce,
        P.stop,
      );
      const scan = await scanBytes(bytes);
      expect(scan.error).toBeUndefined();
      expect(evidence(hidden(scan.findings))).toEqual(['posix.system()']);
      expect(scan.findings).toHaveLength(1);
    });

    it('reports nothing for random array data, whatever the stack below the wrapper holds', async () => {
      let seed = 20261126;
      const random = (): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed >>> 24;
      };
      const arrays: Uint8Array[] = [];
      for (let i = 0; i < 3000; i++) {
        const data = new Uint8Array(64);
        if (i % 2 === 0) {
          const view = new DataView(data.buffer);
          for (let j = 0; j < 8; j++) view.setFloat64(j * 8, (random() - 128) / (random() + 1), true);
        } else data.forEach((_, j) => (data[j] = random()));
        // Below the wrapper: a global (reduce arguments), a dict and key, a list (APPENDS) in turn.
        const layouts = [
          [P.stackGlobal('collections', 'OrderedDict'), wrapper('f8', [8], false), data, P.tuple1, P.reduce],
          [OP.EMPTY_DICT, P.str('w'), wrapper('f8', [8], false), data, OP.SETITEM],
          [OP.EMPTY_LIST, OP.MARK, wrapper('f8', [8], false), data, OP.APPENDS],
        ];
        arrays.push(asm(P.proto(4), layouts[i % 3] ?? [], P.stop));
      }
      // Bytes that are all opcodes: an allowed global (so that the decoder reads them), then BUILD / APPEND …
      // on the global of the main reading right below the wrapper.
      const allowed = asm(P.stackGlobal('collections', 'OrderedDict'), P.pop);
      for (const opcode of [OP.BUILD, OP.APPEND, OP.SETITEM, OP.STACK_GLOBAL, OP.REDUCE]) {
        const data = padded(asm(allowed, opcode, P.stop), 64);
        arrays.push(
          asm(P.proto(4), P.stackGlobal('collections', 'OrderedDict'), wrapper('f8', [8], false), data, end),
        );
      }
      // An allowed global, then NONE up to 1 MiB: the reading stops silently at the end of its look-ahead.
      const nones = new Uint8Array(1 << 20).fill(OP.NONE);
      nones.set(asm(P.stackGlobal('collections', 'OrderedDict')));
      arrays.push(asm(P.proto(4), wrapper('u1', [1 << 20], false), nones, end));
      for (const bytes of arrays) {
        const scan = await scanBytes(bytes);
        expect(scan.error).toBeUndefined();
        expect(scan.findings).toEqual([]);
      }
    });

    it('never writes into the containers of the main reading', async () => {
      // The array bytes SETITEM into the main reading's memoized dict; the main reading later shows it.
      const bytes = asm(
        P.proto(4),
        OP.EMPTY_DICT,
        P.binput(0),
        P.pop,
        wrapper('u1', [48], false),
        padded(
          asm(P.stackGlobal('collections', 'OrderedDict'), P.binget(0), P.str('k'), P.str('v'), OP.SETITEM),
          48,
        ),
        P.pop,
        P.call(P.stackGlobal('posix', 'system'), P.binget(0)),
        P.stop,
      );
      const scan = await scanBytes(bytes);
      expect(scan.error).toBeUndefined();
      expect(evidence(scan.findings)).toEqual(['posix.system({})']);
    });
  });
});
