import { CODE_RUNNING_MODULES } from './keras-names.js';

/**
 * What a Keras Lambda's marshal'd code object refers to, for evidence only: the names it loads (globals and
 * attributes, `co_names`) and its text constants (`co_consts`), of the code object and the code objects inside
 * it. The bytes are read as data after CPython's marshal format; nothing is unmarshalled or run, and nothing is
 * decided from it (the Lambda is reported whatever its code says).
 */

const MAX_NAMES = 16;
const MAX_CONSTANTS = 8;
/** Longer text constants are cut to this many characters in the evidence. */
const CONSTANT_MAX_CHARS = 60;
/** A code object nests a few levels (comprehensions, inner functions); deeper data is not a real Lambda. */
const MAX_DEPTH = 64;
const MAX_OBJECTS = 100_000;

interface CodeObject {
  readonly names: string[];
  readonly consts: Value[];
}
/** A read object: text, a container's items, a code object, or `null` for anything the evidence ignores. */
type Value = string | Value[] | CodeObject | null;

/**
 * Code object layouts: the 32-bit fields before `co_code`, the objects from `co_code` to `co_firstlineno`
 * (always `co_code`, `co_consts`, `co_names` first) and the objects after it. Python versions differ, and the
 * bytes do not say which wrote them: the layout that reads the bytes exactly to their end is the one.
 */
const LAYOUTS = [
  { fields: 5, before: 8, after: 2 }, // 3.11+: … filename, name, qualname | linetable, exceptiontable
  { fields: 6, before: 8, after: 1 }, // 3.8–3.10: posonlyargcount and nlocals | lnotab or linetable
  { fields: 5, before: 8, after: 1 }, // 3.0–3.7: nlocals, no posonlyargcount | lnotab
] as const;
type Layout = (typeof LAYOUTS)[number];

/** Thrown inside the reader for bytes that do not fit the layout; never leaves this module. */
class NotMarshal extends Error {}

class MarshalReader {
  private offset = 0;
  private objects = 0;
  private readonly refs: Value[] = [];
  private readonly bytes: Uint8Array;
  private readonly layout: Layout;

  constructor(bytes: Uint8Array, layout: Layout) {
    this.bytes = bytes;
    this.layout = layout;
  }

  /** The one object the bytes hold, when they end right after it. */
  readWhole(): Value {
    const value = this.read(0);
    if (this.offset !== this.bytes.length) throw new NotMarshal('trailing bytes');
    return value;
  }

  private take(length: number): Uint8Array {
    if (length < 0 || this.offset + length > this.bytes.length) throw new NotMarshal('truncated');
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  private int32(): number {
    return Buffer.from(this.take(4)).readInt32LE(0);
  }

  private text(length: number, encoding: 'latin1' | 'utf8'): string {
    return Buffer.from(this.take(length)).toString(encoding);
  }

  private items(count: number, depth: number): Value[] {
    // Every object takes at least one byte: a count beyond the bytes left is not marshal data.
    if (count < 0 || count > this.bytes.length - this.offset) throw new NotMarshal('bad count');
    const items: Value[] = [];
    for (let index = 0; index < count; index += 1) items.push(this.read(depth + 1));
    return items;
  }

  private read(depth: number): Value {
    this.objects += 1;
    if (depth > MAX_DEPTH || this.objects > MAX_OBJECTS) throw new NotMarshal('too large');
    const code = this.take(1)[0] ?? 0;
    // FLAG_REF: the object joins the table `r` refers to, in the order objects start (CPython reserves the slot
    // of a container before reading its items).
    const slot = (code & 0x80) !== 0 ? this.refs.push(null) - 1 : undefined;
    const value = this.readValue(String.fromCharCode(code & 0x7f), depth);
    if (slot !== undefined) this.refs[slot] = value;
    return value;
  }

  private readValue(type: string, depth: number): Value {
    switch (type) {
      case 'N': // None, False, True, StopIteration, Ellipsis
      case 'F':
      case 'T':
      case 'S':
      case '.':
        return null;
      case 'i':
        this.take(4);
        return null;
      case 'l': // digits of 15 bits, two bytes each
        this.take(Math.abs(this.int32()) * 2);
        return null;
      case 'g':
        this.take(8);
        return null;
      case 'y':
        this.take(16);
        return null;
      case 'f':
        this.take(this.take(1)[0] ?? 0);
        return null;
      case 'x':
        this.take(this.take(1)[0] ?? 0);
        this.take(this.take(1)[0] ?? 0);
        return null;
      case 's': // bytes (co_code, line tables, bytes constants)
        this.take(this.int32());
        return null;
      case 'u':
      case 't':
        return this.text(this.int32(), 'utf8');
      case 'a':
      case 'A':
        return this.text(this.int32(), 'latin1');
      case 'z':
      case 'Z':
        return this.text(this.take(1)[0] ?? 0, 'latin1');
      case ')':
        return this.items(this.take(1)[0] ?? 0, depth);
      case '(':
      case '[':
      case '<':
      case '>':
        return this.items(this.int32(), depth);
      case ':': // slice (marshal version 5)
        return this.items(3, depth);
      case '{':
        return this.dict(depth);
      case 'r':
        return this.ref();
      case 'c':
        return this.codeObject(depth);
      default:
        throw new NotMarshal(`type ${type}`);
    }
  }

  private dict(depth: number): Value {
    const items: Value[] = [];
    // Key-value pairs up to a NULL ('0') in place of a key.
    while ((this.bytes[this.offset] ?? 0x30) !== 0x30) items.push(this.read(depth + 1), this.read(depth + 1));
    this.take(1);
    return items;
  }

  private ref(): Value {
    const index = this.int32();
    if (index < 0 || index >= this.refs.length) throw new NotMarshal('bad reference');
    return this.refs[index] ?? null;
  }

  private codeObject(depth: number): CodeObject {
    for (let index = 0; index < this.layout.fields; index += 1) this.int32();
    const before: Value[] = [];
    for (let index = 0; index < this.layout.before; index += 1) before.push(this.read(depth + 1));
    this.int32(); // co_firstlineno
    for (let index = 0; index < this.layout.after; index += 1) this.read(depth + 1);
    const [, consts, names] = before;
    if (!Array.isArray(consts) || !Array.isArray(names)) throw new NotMarshal('not a code object');
    return { consts, names: names.filter((name) => typeof name === 'string') };
  }
}

function isCode(value: Value): value is CodeObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function readCode(bytes: Uint8Array): CodeObject | undefined {
  for (const layout of LAYOUTS) {
    try {
      const value = new MarshalReader(bytes, layout).readWhole();
      if (isCode(value)) return value;
    } catch (error) {
      if (!(error instanceof NotMarshal)) throw error;
    }
  }
  return undefined;
}

/**
 * Names and text constants of `code` and the code objects among its constants, in order, without repeats. Each
 * container is visited once: references (`r`) can make a tuple hold the same tuple many times over.
 */
function collect(code: CodeObject, names: Set<string>, constants: Set<string>): void {
  const visited = new Set<object>();
  const visit = (value: Value): void => {
    if (typeof value === 'string') constants.add(value);
    if (value === null || typeof value !== 'object' || visited.has(value)) return;
    visited.add(value);
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else {
      for (const name of value.names) names.add(name);
      value.consts.forEach(visit);
    }
  };
  visit(code);
}

/**
 * Strings of a marshal'd code object, for evidence only: the short ASCII string types (`z`, `Z`, with or
 * without the reference flag) followed by a one-byte length, as CPython 3.4+ writes names and small constants.
 * A heuristic scan over the bytes, for code objects of a layout {@link readCode} does not know (Python 2).
 */
export function marshalStrings(bytes: Uint8Array, max = 32): string[] {
  const found: string[] = [];
  for (let index = 0; index + 1 < bytes.length && found.length < max; index += 1) {
    const type = (bytes[index] ?? 0) & 0x7f;
    if (type !== 0x7a && type !== 0x5a) continue;
    const length = bytes[index + 1] ?? 0;
    if (length === 0 || index + 2 + length > bytes.length) continue;
    const slice = bytes.subarray(index + 2, index + 2 + length);
    if (!slice.every((byte) => byte >= 0x20 && byte < 0x7f)) continue;
    const text = Buffer.from(slice).toString('latin1');
    if (!found.includes(text)) found.push(text);
    index += 1 + length;
  }
  return found;
}

/**
 * Joins a code-running module name with the name right after it (`os`, `system` in co_names → `os.system`), the
 * usual shape of `os.system(...)` in bytecode.
 */
function dottedCalls(strings: readonly string[]): string[] {
  const joined: string[] = [];
  for (let index = 0; index < strings.length; index += 1) {
    const current = strings[index] ?? '';
    const next = strings[index + 1];
    if (CODE_RUNNING_MODULES.has(current) && next !== undefined && /^[A-Za-z_]\w*$/.test(next)) {
      joined.push(`${current}.${next}`);
      index += 1;
    } else {
      joined.push(current);
    }
  }
  return joined;
}

function quoted(text: string): string {
  const cut = text.length > CONSTANT_MAX_CHARS ? `${text.slice(0, CONSTANT_MAX_CHARS)}…` : text;
  return JSON.stringify(cut);
}

/**
 * A short, stable account of a Lambda's code (`names os.system; constants "echo pwned"`), or undefined when
 * nothing can be read from it.
 */
export function describeLambdaCode(bytes: Uint8Array): string | undefined {
  const code = readCode(bytes);
  if (code === undefined) {
    const strings = dottedCalls(marshalStrings(bytes));
    return strings.length > 0 ? `marshal strings ${strings.join(', ')}` : undefined;
  }
  const names = new Set<string>();
  const constants = new Set<string>();
  collect(code, names, constants);
  const parts: string[] = [];
  const called = dottedCalls([...names]).slice(0, MAX_NAMES);
  if (called.length > 0) parts.push(`names ${called.join(', ')}`);
  const texts = [...constants].slice(0, MAX_CONSTANTS).map(quoted);
  if (texts.length > 0) parts.push(`constants ${texts.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}
