import { describe, expect, it } from 'vitest';
import { LimitError, ParseError } from '../../../core/errors.js';
import { Decoder } from './decoder.js';
import { Findings } from './findings.js';
import { NestedLabels, PayloadBudget, type Host } from './host.js';
import { looksLikePickle, scanOnePickle } from './index.js';
import { Machine } from './machine.js';
import { Memo } from './memo.js';
import { OP } from './opcodes.js';
import { policyFor } from './policy.js';
import {
  asm,
  collectingContext,
  P,
  pickle0,
  pickle4,
  readerOf,
  scanBytes,
  u16,
  u32,
  u64,
} from './testing.js';
import { EVICTED } from './values.js';

function floatBE(value: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, false);
  return [...new Uint8Array(view.buffer)];
}

async function valueOf(bytes: Uint8Array) {
  const context = collectingContext();
  const result = await scanOnePickle(readerOf(bytes), context);
  return { result, findings: context.findings };
}

const rules = (findings: readonly { ruleId: string }[]): string[] => findings.map((f) => f.ruleId).sort();

/** STACK_GLOBAL whose `os` and `system` operands come back from the memo (the 2023 memo bypass). */
function memoStackGlobalOsSystem(): Uint8Array {
  return pickle4(
    P.str('os'),
    P.binput(0),
    P.pop,
    P.str('system'),
    P.binput(1),
    P.pop,
    P.binget(0),
    P.binget(1),
    OP.STACK_GLOBAL,
  );
}

describe('plain-data opcodes', () => {
  it('decodes every scalar encoding of protocols 0-5 to the value pickle.loads gives', async () => {
    const bytes = asm(
      P.proto(2),
      OP.EMPTY_LIST,
      P.binput(0),
      OP.MARK,
      [OP.INT, '00\n'],
      [OP.INT, '01\n'],
      [OP.INT, '-42\n'],
      [OP.INT, '0x1f\n'],
      [OP.LONG, '123456789012345678901234567890L\n'],
      [OP.FLOAT, '1.5\n'],
      [OP.STRING, "'a\\nb\\x41\\101'\n"],
      [OP.STRING, '"q\'"\n'],
      [OP.UNICODE, 'caf\\u00e9 \\U0001F600\n'],
      [OP.BININT, ...u32(-5 >>> 0)],
      [OP.BININT1, 7],
      [OP.BININT2, ...u16(513)],
      [OP.LONG1, 2, 0xff, 0x7f],
      [OP.LONG1, 1, 0xff],
      [OP.LONG1, 0],
      [OP.LONG4, ...u32(1), 0x80],
      [OP.LONG1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1],
      [OP.BINFLOAT, ...floatBE(2.5)],
      [OP.BINSTRING, ...u32(2), 'hi'],
      [OP.SHORT_BINSTRING, 2, 'yo'],
      P.binunicode('é'),
      P.binunicode8('x'),
      P.str('short'),
      OP.APPENDS,
      OP.EMPTY_LIST,
      OP.MARK,
      [OP.BINBYTES, ...u32(2), 1, 2],
      [OP.SHORT_BINBYTES, 1, 9],
      [OP.BINBYTES8, ...u64(1), 3],
      [OP.BYTEARRAY8, ...u64(1), 4],
      OP.NONE,
      OP.NEWTRUE,
      OP.NEWFALSE,
      OP.EMPTY_TUPLE,
      [OP.BININT1, 1, OP.TUPLE1],
      [OP.BININT1, 1, OP.BININT1, 2, OP.TUPLE2],
      [OP.BININT1, 1, OP.BININT1, 2, OP.BININT1, 3, OP.TUPLE3],
      [OP.MARK, OP.BININT1, 4, OP.BININT1, 5, OP.TUPLE],
      [OP.EMPTY_DICT, P.str('k'), OP.NONE, OP.SETITEM, OP.MARK, P.str('j'), OP.NEWTRUE, OP.SETITEMS],
      [OP.MARK, P.str('d'), OP.BININT1, 1, OP.DICT],
      [OP.MARK, OP.BININT1, 1, OP.LIST, OP.BININT1, 2, OP.APPEND],
      [OP.BININT1, 5, OP.PUT, '7\n', OP.POP, OP.GET, '7\n'],
      [OP.BININT1, 6, OP.LONG_BINPUT, ...u32(300), OP.POP, OP.LONG_BINGET, ...u32(300)],
      [OP.BININT1, 9, OP.DUP],
      [OP.MARK, OP.BININT1, 1, OP.BININT1, 2, OP.POP_MARK],
      OP.APPENDS,
      OP.TUPLE2,
      P.stop,
    );
    const { result, findings } = await valueOf(bytes);
    expect(findings).toEqual([]);
    expect(result.value).toEqual([
      [
        false,
        true,
        -42,
        31,
        123456789012345678901234567890n,
        1.5,
        'a\nbAA',
        "q'",
        'café 😀',
        -5,
        7,
        513,
        32767,
        -1,
        0,
        -128,
        2n ** 64n,
        2.5,
        'hi',
        'yo',
        'é',
        'x',
        'short',
      ],
      [
        Uint8Array.from([1, 2]),
        Uint8Array.from([9]),
        Uint8Array.from([3]),
        Uint8Array.from([4]),
        null,
        true,
        false,
        [],
        [1],
        [1, 2],
        [1, 2, 3],
        [4, 5],
        {
          dict: [
            ['k', null],
            ['j', true],
          ],
        },
        { dict: [['d', 1]] },
        [1, 2],
        5,
        6,
        9,
        9,
      ],
    ]);
  });

  it('keeps MEMOIZE keys equal to the memo length, as CPython does', async () => {
    const bytes = pickle4(
      P.str('a'),
      P.memoize,
      OP.POP,
      P.str('b'),
      P.memoize,
      OP.POP,
      P.binget(1),
      P.binget(0),
      P.tuple2,
    );
    expect((await valueOf(bytes)).result.value).toEqual(['b', 'a']);
  });

  it('handles sets, frozensets and READONLY_BUFFER without findings', async () => {
    const bytes = pickle4(
      OP.EMPTY_SET,
      OP.MARK,
      P.int(1),
      P.int(2),
      OP.ADDITEMS,
      OP.MARK,
      P.int(3),
      OP.FROZENSET,
      P.tuple2,
    );
    const { result, findings } = await valueOf(bytes);
    expect(findings).toEqual([]);
    expect(result.value).toBeUndefined();
  });

  it('skips payloads above the retention cap without buffering them', async () => {
    const big = new Uint8Array(200_000).fill(7);
    const bytes = pickle4([OP.BINBYTES8, ...u64(big.length), big], OP.POP, P.int(1));
    const { result, findings } = await valueOf(bytes);
    expect(findings).toEqual([]);
    expect(result.value).toBe(1);
  });

  it('records torch persistent ids and flags other persistent ids', async () => {
    const pid = [
      OP.MARK,
      P.str('storage'),
      P.global('torch', 'FloatStorage'),
      P.str('0'),
      P.str('cpu'),
      P.int(4),
      OP.TUPLE,
    ];
    const { result, findings } = await valueOf(pickle4(pid, OP.BINPERSID));
    expect(findings).toEqual([]);
    expect(result.storages).toEqual([
      { key: '0', storageType: 'torch.FloatStorage', location: 'cpu', numel: 4 },
    ]);
    const text = await scanBytes(pickle0([OP.PERSID, 'evil\n']));
    expect(rules(text.findings)).toEqual(['MODEL-PICKLE-003']);
  });

  it('reports out-of-band buffers and unregistered extension codes', async () => {
    const buffers = await scanBytes(asm(P.proto(5), OP.NEXT_BUFFER, OP.READONLY_BUFFER, P.stop));
    expect(rules(buffers.findings)).toEqual(['MODEL-PICKLE-005']);
    for (const ext of [
      [OP.EXT1, 1],
      [OP.EXT2, ...u16(513)],
      [OP.EXT4, ...u32(70000)],
    ]) {
      const scan = await scanBytes(pickle4(ext, P.str('x'), P.tuple1, P.reduce));
      expect(scan.error).toBeUndefined();
      expect(rules(scan.findings)).toEqual(['MODEL-PICKLE-003', 'MODEL-PICKLE-003']);
      expect(scan.findings[0]?.evidence).toMatch(/^EXT \d+$/);
    }
  });

  it('builds objects with INST, OBJ, NEWOBJ, NEWOBJ_EX, REDUCE and BUILD of allowed classes', async () => {
    const od = P.global('collections', 'OrderedDict');
    const bytes = pickle0(
      OP.MARK,
      [OP.MARK, OP.INST, 'collections\nOrderedDict\n'],
      [OP.MARK, od, OP.OBJ],
      [P.proto(4), od, OP.EMPTY_TUPLE, OP.NEWOBJ],
      [od, OP.EMPTY_TUPLE, OP.EMPTY_DICT, OP.NEWOBJ_EX],
      [od, OP.EMPTY_TUPLE, OP.REDUCE, OP.EMPTY_DICT, OP.BUILD],
      OP.LIST,
    );
    const { findings } = await valueOf(bytes);
    expect(findings).toEqual([]);
  });
});

describe('globals and calls', () => {
  it('renders the call of a denied global as evidence, at the REDUCE offset', async () => {
    const bytes = pickle0(
      P.global('posix', 'system'),
      [OP.MARK, OP.UNICODE, 'echo pwned\n', OP.TUPLE],
      OP.REDUCE,
    );
    const { findings } = await scanBytes(bytes);
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'MODEL-PICKLE-001',
        evidence: "posix.system('echo pwned')",
        offset: 28,
      }),
    ]);
    expect(findings[0]?.message).toContain('(os.system)');
    expect(findings[0]?.message).toContain('runs shell commands');
  });

  it('counts a call whose result is POPped, and a global that is never called', async () => {
    const popped = await scanBytes(
      pickle4(P.stackGlobal('os', 'system'), P.str('id'), P.tuple1, P.reduce, P.pop, P.none),
    );
    expect(popped.findings.map((f) => f.evidence)).toEqual(["os.system('id')"]);
    const reference = await scanBytes(pickle4(P.stackGlobal('subprocess', 'Popen')));
    expect(reference.findings.map((f) => f.evidence)).toEqual(['subprocess.Popen']);
  });

  it('reports one finding per unknown global however often it is used', async () => {
    const uses = Array.from({ length: 2000 }, (_, i) => [P.binget(0), P.int(i), P.tuple1, P.reduce, P.pop]);
    const bytes = pickle4(P.stackGlobal('mymod', 'Thing'), P.binput(0), P.pop, uses, P.none);
    const { findings } = await scanBytes(bytes);
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'MODEL-PICKLE-002', evidence: 'mymod.Thing' }),
    ]);
  });

  it('resolves STACK_GLOBAL operands fetched through the memo and flags non-constant ones', async () => {
    const memo = await scanBytes(memoStackGlobalOsSystem());
    expect(memo.findings.map((f) => f.evidence)).toEqual(['os.system']);
    const computed = await scanBytes(
      pickle4(P.stackGlobal('mymod', 'f'), OP.EMPTY_TUPLE, P.reduce, P.str('x'), OP.STACK_GLOBAL),
    );
    expect(rules(computed.findings)).toEqual(['MODEL-PICKLE-002', 'MODEL-PICKLE-003']);
    const confused = await scanBytes(pickle4(P.int(42), P.str('os'), OP.STACK_GLOBAL));
    expect(computed.error ?? confused.error).toBeUndefined();
    expect(confused.findings).toEqual([
      expect.objectContaining({ ruleId: 'MODEL-PICKLE-003', evidence: '42.os' }),
    ]);
  });

  it('flags BUILD that writes into an imported object and follows what it wrote', async () => {
    const state = [
      OP.NONE,
      OP.EMPTY_DICT,
      P.str('a'),
      P.str('posix'),
      OP.SETITEM,
      P.str('b'),
      P.str('system'),
      OP.SETITEM,
      P.tuple2,
    ];
    const bytes = pickle4(
      P.global('numpy', 'prod'),
      state,
      P.build,
      P.pop,
      P.stackGlobal('numpy', 'prod.a'),
      P.stackGlobal('numpy', 'prod.b'),
      OP.STACK_GLOBAL,
      P.str('id'),
      P.tuple1,
      P.reduce,
    );
    const { findings } = await scanBytes(bytes);
    const evidence = findings.map((f) => f.evidence);
    expect(evidence).toContain('BUILD on numpy.prod');
    expect(evidence).toContain("posix.system('id')");
  });
});

describe('stream structure', () => {
  it('reads stacked pickles and rejects trailing bytes that are not a pickle', async () => {
    const benign = pickle4(P.int(1));
    const malicious = pickle4(P.stackGlobal('posix', 'system'));
    const stacked = await scanBytes(asm(benign, malicious));
    expect(stacked.error).toBeUndefined();
    expect(stacked.findings.map((f) => f.evidence)).toEqual(['posix.system']);
    const trailing = await scanBytes(asm(benign, '\n\n junk'));
    expect(trailing.error).toBeInstanceOf(ParseError);
    expect(trailing.error).toMatchObject({ code: 'BAD_STRUCTURE', offset: benign.length });
  });

  it('reports a payload before the stream breaks (payload, then garbage)', async () => {
    const bytes = asm(
      P.proto(4),
      P.stackGlobal('posix', 'system'),
      P.str('id'),
      P.tuple1,
      P.reduce,
      0xff,
      0xff,
    );
    const { findings, error } = await scanBytes(bytes);
    expect(findings.map((f) => f.evidence)).toEqual(["posix.system('id')"]);
    expect(error).toMatchObject({ code: 'UNKNOWN_OPCODE', offset: bytes.length - 2 });
  });

  it('never ends clean on truncation, invalid lengths or a missing memo key', async () => {
    expect((await scanBytes(asm(P.proto(4), P.str('abc')))).error).toMatchObject({ code: 'TRUNCATED' });
    expect((await scanBytes(asm(P.proto(4), [OP.BINUNICODE, ...u32(1000), 'ab']))).error).toMatchObject({
      code: 'TRUNCATED',
    });
    expect(await scanBytes(pickle0([OP.BINSTRING, ...u32(0xffffffff)]))).toMatchObject({
      error: { code: 'INVALID_LENGTH' },
    });
    expect(await scanBytes(asm(P.proto(4), [OP.BINUNICODE8, ...u64(2 ** 62)]))).toMatchObject({
      error: { code: 'INVALID_LENGTH' },
    });
    expect(await scanBytes(pickle0([OP.INT, 'zz\n']))).toMatchObject({ error: { code: 'INVALID_VALUE' } });
    expect(await scanBytes(asm(P.proto(9), P.none, P.stop))).toMatchObject({
      error: { code: 'INVALID_VALUE' },
    });
    expect(await scanBytes(pickle0(OP.POP))).toMatchObject({ error: { code: 'STACK_UNDERFLOW' } });
    const missing = await scanBytes(pickle4(P.stackGlobal('posix', 'system'), P.binget(9)));
    expect(missing.error).toMatchObject({ code: 'MEMO_MISSING' });
    expect(rules(missing.findings)).toEqual(['MODEL-PICKLE-001', 'MODEL-PICKLE-003']);
  });

  it('sniffs pickles by their first bytes', () => {
    expect(looksLikePickle(asm(P.proto(2), P.none))).toBe(true);
    expect(looksLikePickle(asm(P.proto(5)))).toBe(true);
    expect(looksLikePickle(asm('cposix\nsystem\n(Vx\ntR.'))).toBe(true);
    expect(looksLikePickle(asm("(dp0\nS'a'\np1\nI1\ns."))).toBe(true);
    expect(looksLikePickle(asm(']q\x00(K\x01K\x02e.'))).toBe(true);
    expect(looksLikePickle(asm(P.proto(1), ']q\x00.'))).toBe(true);
    expect(looksLikePickle(asm('\x89PNG\r\n\x1a\n'))).toBe(false);
    expect(looksLikePickle(asm('PK\x03\x04'))).toBe(false);
    expect(looksLikePickle(asm('cat\ndog\n'))).toBe(false);
    expect(looksLikePickle(asm('hello world'))).toBe(false);
    expect(looksLikePickle(new Uint8Array())).toBe(false);
  });
});

describe('FRAME handling', () => {
  it('accepts well-formed frames and a large payload written after its frame', async () => {
    const body = asm(
      OP.EMPTY_LIST,
      OP.MARK,
      ...Array.from({ length: 100 }, (_, i) => P.int(i)),
      OP.APPENDS,
      P.stop,
    );
    const framed = await scanBytes(asm(P.proto(4), P.frame(body.length), body));
    expect(framed).toEqual({ findings: [], error: undefined });
    const big = new Uint8Array(100_000);
    const outside = asm(
      P.proto(4),
      P.frame(5),
      [OP.BINBYTES, ...u32(big.length)],
      big,
      P.frame(2),
      OP.MEMOIZE,
      P.stop,
    );
    expect(await scanBytes(outside)).toEqual({ findings: [], error: undefined });
  });

  it('scans the reading of CPython\u2019s file unpickler when a payload straddles a frame end', async () => {
    // Frame: SHORT_BINUNICODE of length 12 with only 2 payload bytes left in the frame. pickle.loads reads the
    // 12 bytes across the frame end and then sees SHORT_BINBYTES(k) swallowing the call as data; the C
    // unpickler reading a file without peek (io.BytesIO, as torch.load uses) drops the 2 bytes, reads 12 bytes
    // after the frame, and executes the call. (Checked against CPython 3.11 with a harmless payload.)
    const call = asm(P.global('posix', 'system'), OP.MARK, [OP.UNICODE, 'id\n'], OP.TUPLE, OP.REDUCE, OP.POP);
    const filler = asm('0123456789');
    const bytes = asm(
      P.proto(4),
      P.frame(4),
      OP.SHORT_BINUNICODE,
      12,
      'xy',
      filler,
      OP.SHORT_BINBYTES,
      call.length,
      call,
      P.none,
      P.stop,
    );
    const { findings, error } = await scanBytes(bytes);
    expect(error).toBeUndefined();
    expect(rules(findings)).toEqual(['MODEL-PICKLE-001', 'MODEL-PICKLE-005']);
    expect(findings.find((f) => f.ruleId === 'MODEL-PICKLE-001')).toMatchObject({
      evidence: "posix.system('id')",
      offset: 47,
    });
  });

  it('forks the reading of a straddle after a large memo', async () => {
    const memoized = new Uint8Array(3 * 200_000);
    for (let i = 0; i < memoized.length; i += 3) memoized.set([OP.NONE, OP.MEMOIZE, OP.POP], i);
    // pickle.loads takes 'xy' and 10 bytes more as the string; the file reading takes the 12 bytes after the frame.
    const after = asm('x'.repeat(10), P.none, P.none, P.stop);
    const bytes = asm(P.proto(4), memoized, P.frame(4), OP.SHORT_BINUNICODE, 12, 'xy', after);
    const { findings, error } = await scanBytes(bytes);
    expect(error).toBeUndefined();
    expect(rules(findings)).toEqual(['MODEL-PICKLE-005']);
  });

  it('reports a bytes payload across a frame end without forking (CPython reads it linearly)', async () => {
    const call = asm(P.global('posix', 'system'), OP.MARK, [OP.UNICODE, 'id\n'], OP.TUPLE, OP.REDUCE, OP.POP);
    const bytes = asm(
      P.proto(4),
      P.frame(4),
      OP.SHORT_BINBYTES,
      12,
      'xy',
      '0123456789',
      OP.SHORT_BINBYTES,
      call.length,
      call,
      P.none,
      P.stop,
    );
    const { findings, error } = await scanBytes(bytes);
    expect(error).toBeUndefined();
    expect(rules(findings)).toEqual(['MODEL-PICKLE-005']);
  });

  it('detects a text line that straddles a frame end', async () => {
    const bytes = asm(P.proto(4), P.frame(3), OP.GLOBAL, 'os', '\nsystem\n', P.stop);
    const { findings } = await scanBytes(bytes);
    expect(rules(findings)).toContain('MODEL-PICKLE-005');
  });

  it('reports a FRAME inside a frame and a STOP before the end of its frame', async () => {
    const nested = await scanBytes(asm(P.proto(4), P.frame(12), P.frame(2), P.none, P.stop));
    expect(nested.findings.map((f) => f.evidence)).toContain('FRAME inside FRAME');
    const early = await scanBytes(asm(P.proto(4), P.frame(4), P.none, P.stop, P.none, P.stop));
    expect(early.findings.map((f) => f.evidence)).toEqual(['STOP inside FRAME']);
  });
});

describe('limits and resource use', () => {
  it('enforces maxOpcodes, maxStackDepth and maxMemoEntries with LimitError codes', async () => {
    const many = pickle4(
      Array.from({ length: 50 }, () => [P.none, P.pop]),
      P.none,
    );
    expect((await scanBytes(many, {}, { maxOpcodes: 20 })).error).toMatchObject({ code: 'OPCODE_COUNT' });
    const deep = pickle4(Array.from({ length: 50 }, () => P.none));
    expect((await scanBytes(deep, {}, { maxStackDepth: 20 })).error).toMatchObject({ code: 'STACK_DEPTH' });
    const memo = pickle4(
      P.none,
      Array.from({ length: 50 }, () => P.memoize),
    );
    const error = (await scanBytes(memo, {}, { maxMemoEntries: 20 })).error;
    expect(error).toBeInstanceOf(LimitError);
    expect(error).toMatchObject({ code: 'MEMO_SIZE' });
  });

  it('checks the deadline while decoding', async () => {
    const timed = collectingContext({ timeoutMs: -1 });
    const bytes = pickle4(
      Array.from({ length: 70_000 }, () => [P.none, P.pop]),
      P.none,
    );
    await expect(scanOnePickle(readerOf(bytes), timed)).rejects.toMatchObject({ code: 'TIME' });
  });

  it('finishes 100,000 nested lists and a billion-laughs structure quickly, with bounded evidence', async () => {
    const depth = 100_000;
    const nested = asm(
      new Uint8Array(depth).fill(OP.EMPTY_LIST),
      new Uint8Array(depth - 1).fill(OP.APPEND),
      P.stop,
    );
    const started = Date.now();
    expect(await scanBytes(nested)).toEqual({ findings: [], error: undefined });
    const levels = Array.from({ length: 40 }, (_, level) => [
      OP.MARK,
      ...Array.from({ length: 10 }, () => P.binget(level)),
      OP.LIST,
      P.binput(level + 1),
    ]);
    const laughs = pickle4(
      OP.EMPTY_LIST,
      P.binput(0),
      P.pop,
      ...levels,
      P.stackGlobal('mymod', 'f'),
      P.binget(40),
      P.tuple1,
      P.reduce,
    );
    const { findings } = await scanBytes(laughs);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.evidence).toBe('mymod.f');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps the memo bounded: evicted entries are reported where their identity matters', async () => {
    const memo = new Memo(100);
    for (let i = 0; i < 10; i++) memo.put(i, `value-${i}`);
    expect(memo.get(0)).toBe('value-0');
    expect(memo.get(9)).toBe(EVICTED);
    expect(memo.get(10)).toBeUndefined();
    memo.pin('value-9');
    expect(memo.get(9)).toBe('value-9');
    expect(memo.size).toBe(10);

    const context = collectingContext();
    const findings = context.findings;
    const sink = new Findings(context, undefined);
    const machine = new Machine({
      policy: policyFor(context.settings.pickle, false),
      findings: sink,
      memoBudgetBytes: 0,
    });
    const host: Host = {
      context,
      ops: 0,
      payloads: new PayloadBudget(0),
      labels: new NestedLabels(),
      scanNested: () => Promise.resolve(true),
      scanInline: () => Promise.resolve(),
      restricted: () => host,
    };
    const bytes = memoStackGlobalOsSystem();
    await new Decoder(readerOf(bytes), machine, host, {
      mode: 'linear',
      origin: 0,
      frameEnd: Infinity,
    }).run();
    sink.flush();
    expect(findings).toEqual([expect.objectContaining({ ruleId: 'MODEL-PICKLE-003' })]);
    expect(findings[0]?.message).toContain('did not retain');
  });

  it('charges the memo budget for overwrites and for what a memoized tuple holds', () => {
    const memo = new Memo(200);
    for (const fill of ['x', 'y', 'z']) memo.put(0, fill.repeat(100));
    expect(memo.get(0)).toBe(EVICTED);
    memo.pin('z'.repeat(100));
    expect(memo.get(0)).toBe('z'.repeat(100));
    const tuples = new Memo(50_000);
    tuples.put(
      0,
      Array.from({ length: 10 }, (_, index) => String(index).repeat(10_000)),
    );
    tuples.put(1, 'next');
    expect(tuples.get(1)).toBe(EVICTED);
  });

  it('gives alternative readings a copy-on-write memo that leaves the original untouched', () => {
    const memo = new Memo(1024);
    memo.put(0, 'zero');
    memo.put(1, null);
    const view = memo.overlay();
    expect([view.get(0), view.get(1), view.get(2), view.size]).toEqual(['zero', null, undefined, 2]);
    view.put(0, 'shadowed');
    view.put(2, null);
    expect([view.get(0), view.get(2), view.size]).toEqual(['shadowed', null, 3]);
    expect([memo.get(0), memo.get(2), memo.size]).toEqual(['zero', undefined, 2]);
    const copy = view.clone();
    expect([copy.get(0), copy.get(1), copy.size]).toEqual(['shadowed', null, 3]);
  });

  it('reads protocol-0 lines longer than many window refills', async () => {
    const long = 'a'.repeat(50_000);
    const bytes = pickle0(OP.UNICODE, long, '\n', OP.POP, P.global('posix', 'system'), OP.POP, OP.NONE);
    const context = collectingContext();
    await scanOnePickle(readerOf(bytes, 7), context);
    expect(context.findings.map((f) => f.evidence)).toEqual(['posix.system']);
    const line = pickle0(OP.UNICODE, long, '\n');
    const { result } = await valueOf(line);
    expect(result.value).toBe(long);
  });

  it('reads through a small window (values that cross window refills)', async () => {
    const bytes = pickle4(P.str('a'.repeat(300)), P.str('posix'), P.str('system'), OP.STACK_GLOBAL, P.tuple2);
    const context = collectingContext();
    await scanOnePickle(readerOf(bytes, 7), context);
    expect(context.findings.map((f) => f.evidence)).toEqual(['posix.system']);
  });
});
