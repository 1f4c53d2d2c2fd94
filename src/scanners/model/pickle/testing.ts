/**
 * Test support for the pickle scanner (used by the *.test.ts files next to it; usable by container tests too):
 * a ScanContext that collects findings, and a tiny pickle assembler so tests build exact opcode sequences
 * without Python.
 */
import { CollectingContext } from '../../../core/context.js';
import type { RawFinding } from '../../../core/finding.js';
import { DEFAULT_LIMITS, type Limits } from '../../../core/limits.js';
import type { PicklePolicyOptions } from '../../../core/scanner.js';
import { BufferedReader } from '../../../targets/reader.js';
import { MemorySource } from '../../../targets/memory.js';
import { scanPickleStream, type PickleScanOptions } from './index.js';
import { OP } from './opcodes.js';

/** The engine's context for one file, with test limits and policy options (`timeoutMs: -1` is already late). */
export function collectingContext(
  limits: Partial<Limits> = {},
  pickle: Partial<PicklePolicyOptions> = {},
): CollectingContext {
  return new CollectingContext({
    limits: { ...DEFAULT_LIMITS, ...limits },
    pickle: { allowGlobals: pickle.allowGlobals ?? [], denyGlobals: pickle.denyGlobals ?? [] },
  });
}

export function readerOf(bytes: Uint8Array, windowBytes?: number): BufferedReader {
  return new BufferedReader(new MemorySource(bytes, 'test'), windowBytes);
}

export interface StreamScan {
  readonly findings: RawFinding[];
  readonly error: unknown;
}

/** Runs scanPickleStream over `bytes`, returning findings and the error it threw (if any). */
export async function scanBytes(
  bytes: Uint8Array,
  options: PickleScanOptions = {},
  limits: Partial<Limits> = {},
  pickle: Partial<PicklePolicyOptions> = {},
): Promise<StreamScan> {
  const context = collectingContext(limits, pickle);
  let error: unknown;
  try {
    await scanPickleStream(readerOf(bytes), context, options);
  } catch (caught) {
    error = caught;
  }
  return { findings: context.findings, error };
}

// ----- assembler ---------------------------------------------------------------------------------------------

export type Part = number | string | Uint8Array | readonly Part[];

/** Concatenates parts: numbers are bytes, strings are Latin-1 text, arrays nest. */
export function asm(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  const add = (part: Part): void => {
    if (typeof part === 'number') out.push(part & 0xff);
    else if (typeof part === 'string') for (const char of part) out.push(char.charCodeAt(0) & 0xff);
    else if (part instanceof Uint8Array) for (const byte of part) out.push(byte);
    else for (const inner of part) add(inner);
  };
  parts.forEach(add);
  return Uint8Array.from(out);
}

export function u16(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff];
}

export function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

export function u64(value: number): number[] {
  return [...u32(value % 0x100000000), ...u32(Math.floor(value / 0x100000000))];
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Opcode helpers; each returns the bytes of one opcode with its argument. */
export const P = {
  proto: (version: number): Part => [OP.PROTO, version],
  frame: (length: number): Part => [OP.FRAME, ...u64(length)],
  stop: OP.STOP,
  mark: OP.MARK,
  none: OP.NONE,
  str: (text: string): Part => {
    const bytes = utf8(text);
    return bytes.length < 256
      ? [OP.SHORT_BINUNICODE, bytes.length, bytes]
      : [OP.BINUNICODE, ...u32(bytes.length), bytes];
  },
  binunicode: (text: string): Part => [OP.BINUNICODE, ...u32(utf8(text).length), utf8(text)],
  binunicode8: (text: string): Part => [OP.BINUNICODE8, ...u64(utf8(text).length), utf8(text)],
  bytes: (data: Uint8Array | string): Part => {
    const bytes = typeof data === 'string' ? asm(data) : data;
    return bytes.length < 256
      ? [OP.SHORT_BINBYTES, bytes.length, bytes]
      : [OP.BINBYTES, ...u32(bytes.length), bytes];
  },
  int: (value: number): Part =>
    value >= 0 && value < 256
      ? [OP.BININT1, value]
      : value >= 0 && value < 65536
        ? [OP.BININT2, ...u16(value)]
        : [OP.BININT, ...u32(value)],
  /** GLOBAL with text lines (protocols 0-3). */
  global: (module: string, name: string): Part => [OP.GLOBAL, module, '\n', name, '\n'],
  /** STACK_GLOBAL on two string constants (protocol 4+). */
  stackGlobal: (module: string, name: string): Part => [P.str(module), P.str(name), OP.STACK_GLOBAL],
  inst: (module: string, name: string): Part => [OP.INST, module, '\n', name, '\n'],
  memoize: OP.MEMOIZE,
  binput: (key: number): Part => [OP.BINPUT, key],
  binget: (key: number): Part => [OP.BINGET, key],
  tuple1: OP.TUPLE1,
  tuple2: OP.TUPLE2,
  tuple3: OP.TUPLE3,
  reduce: OP.REDUCE,
  build: OP.BUILD,
  pop: OP.POP,
  /** `callee(*args)`: callee part, then each argument part, wrapped in MARK … TUPLE, then REDUCE. */
  call: (callee: Part, ...args: Part[]): Part => [callee, OP.MARK, ...args, OP.TUPLE, OP.REDUCE],
};

/** A protocol-4 pickle of `body` followed by STOP, without frames. */
export function pickle4(...body: Part[]): Uint8Array {
  return asm(P.proto(4), ...body, P.stop);
}

/** A protocol-0 pickle: `body` then STOP. */
export function pickle0(...body: Part[]): Uint8Array {
  return asm(...body, P.stop);
}
