/**
 * The pickle opcode table (protocols 0-5), as in CPython's `pickle.py` / `pickletools.py`.
 *
 * Opcodes are plain byte constants so that the decoder's `switch` compiles to a jump table.
 */
export const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  FLOAT: 0x46,
  INT: 0x49,
  BININT: 0x4a,
  BININT1: 0x4b,
  LONG: 0x4c,
  BININT2: 0x4d,
  NONE: 0x4e,
  PERSID: 0x50,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  STRING: 0x53,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  UNICODE: 0x56,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  EMPTY_DICT: 0x7d,
  APPENDS: 0x65,
  GET: 0x67,
  BINGET: 0x68,
  INST: 0x69,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  EMPTY_LIST: 0x5d,
  OBJ: 0x6f,
  PUT: 0x70,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  SETITEMS: 0x75,
  BINFLOAT: 0x47,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  EXT1: 0x82,
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97,
  READONLY_BUFFER: 0x98,
} as const;

/** How an opcode's argument is encoded in the stream. */
export const ArgKind = {
  None: 0,
  /** A fixed number of bytes (see {@link FIXED_ARG_BYTES}). */
  Fixed: 1,
  /** A little-endian length of 1, 4 or 8 bytes followed by that many bytes. */
  Counted: 2,
  /** One `\n`-terminated text line. */
  Line: 3,
  /** Two `\n`-terminated text lines (GLOBAL, INST). */
  TwoLines: 4,
} as const;
export type ArgKind = (typeof ArgKind)[keyof typeof ArgKind];

const OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(OP).map(([name, code]) => [code, name]),
);

/** Argument kind per opcode byte; `undefined` for bytes that are not opcodes. */
export const ARG_KIND: readonly (ArgKind | undefined)[] = (() => {
  const kinds: (ArgKind | undefined)[] = new Array<ArgKind | undefined>(256).fill(undefined);
  for (const code of Object.values(OP)) kinds[code] = ArgKind.None;
  for (const code of [
    OP.BININT,
    OP.BININT1,
    OP.BININT2,
    OP.BINGET,
    OP.LONG_BINGET,
    OP.BINPUT,
    OP.LONG_BINPUT,
  ]) {
    kinds[code] = ArgKind.Fixed;
  }
  for (const code of [OP.BINFLOAT, OP.PROTO, OP.EXT1, OP.EXT2, OP.EXT4, OP.FRAME])
    kinds[code] = ArgKind.Fixed;
  for (const code of [
    OP.LONG1,
    OP.LONG4,
    OP.BINSTRING,
    OP.SHORT_BINSTRING,
    OP.BINUNICODE,
    OP.SHORT_BINUNICODE,
    OP.BINUNICODE8,
    OP.BINBYTES,
    OP.SHORT_BINBYTES,
    OP.BINBYTES8,
    OP.BYTEARRAY8,
  ]) {
    kinds[code] = ArgKind.Counted;
  }
  for (const code of [OP.FLOAT, OP.INT, OP.LONG, OP.PERSID, OP.STRING, OP.UNICODE, OP.GET, OP.PUT]) {
    kinds[code] = ArgKind.Line;
  }
  kinds[OP.GLOBAL] = ArgKind.TwoLines;
  kinds[OP.INST] = ArgKind.TwoLines;
  return kinds;
})();

/** Bytes of the fixed argument (Fixed) or of the length prefix (Counted). */
export const FIXED_ARG_BYTES: Uint8Array = (() => {
  const sizes = new Uint8Array(256);
  const set = (bytes: number, codes: readonly number[]): void => {
    for (const code of codes) sizes[code] = bytes;
  };
  set(1, [
    OP.BININT1,
    OP.BINGET,
    OP.BINPUT,
    OP.PROTO,
    OP.EXT1,
    OP.LONG1,
    OP.SHORT_BINSTRING,
    OP.SHORT_BINUNICODE,
  ]);
  set(1, [OP.SHORT_BINBYTES]);
  set(2, [OP.BININT2, OP.EXT2]);
  set(4, [
    OP.BININT,
    OP.LONG_BINGET,
    OP.LONG_BINPUT,
    OP.EXT4,
    OP.LONG4,
    OP.BINSTRING,
    OP.BINUNICODE,
    OP.BINBYTES,
  ]);
  set(8, [OP.BINFLOAT, OP.FRAME, OP.BINUNICODE8, OP.BINBYTES8, OP.BYTEARRAY8]);
  return sizes;
})();

export function opcodeName(code: number): string {
  return OPCODE_NAMES.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}
