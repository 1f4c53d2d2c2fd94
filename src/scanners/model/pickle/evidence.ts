/**
 * Renders symbolic values as short Python expressions for finding evidence, e.g. `posix.system('echo pwned')`
 * or `os.system('id') via builtins.getattr(builtins.__import__('os'), 'system')`.
 *
 * Output is bounded (depth, items, string length, total length) because values can be deep or shared
 * many times over (billion-laughs pickles); nothing is expanded twice beyond the limits.
 */
import { BigStr, Call, More, Opaque, PyBytes, PyDict, PyList, PySet, Ref, type Value } from './values.js';

const MAX_DEPTH = 4;
const MAX_ITEMS = 8;
const MAX_STRING = 120;
const MAX_TOTAL = 600;

function quoteStr(text: string): string {
  const shown = text.length > MAX_STRING ? text.slice(0, MAX_STRING) : text;
  // Python's repr prefers single quotes unless the text contains one and no double quote.
  const quote = shown.includes("'") && !shown.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of shown) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === quote) out += `\\${quote}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  out += quote;
  return text.length > MAX_STRING ? `${out}…(${text.length} chars)` : out;
}

function quoteBytes(bytes: Uint8Array, prefix: string): string {
  const shown = bytes.subarray(0, MAX_STRING);
  let out = `${prefix}'`;
  for (const byte of shown) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x27) out += "\\'";
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  out += "'";
  return bytes.length > MAX_STRING ? `${out}…(${bytes.length} bytes)` : out;
}

function renderNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (Number.isNaN(value)) return "float('nan')";
  if (!Number.isFinite(value)) return value > 0 ? "float('inf')" : "-float('inf')";
  return String(value);
}

function renderItems(items: readonly Value[], more: number, depth: number): string {
  const parts: string[] = [];
  let hidden = more;
  for (const item of items) {
    if (item instanceof More) {
      hidden += item.count;
      continue;
    }
    if (parts.length === MAX_ITEMS) {
      hidden++;
      continue;
    }
    parts.push(render(item, depth + 1));
  }
  if (hidden > 0) parts.push(`…${hidden} more`);
  return parts.join(', ');
}

/** Renders `value`; `depth` counts nesting levels already used. */
export function render(value: Value, depth = 0): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return renderNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return quoteStr(value);
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) {
    const inner = renderItems(value, 0, depth);
    return value.length === 1 ? `(${inner},)` : `(${inner})`;
  }
  if (value instanceof PyList) return `[${renderItems(value.items, value.more, depth)}]`;
  if (value instanceof PySet) {
    const inner = renderItems(value.items, value.more, depth);
    if (value.frozen) return `frozenset({${inner}})`;
    return inner === '' ? 'set()' : `{${inner}}`;
  }
  if (value instanceof PyDict) {
    const parts: string[] = [];
    value.keys.slice(0, MAX_ITEMS).forEach((key, index) => {
      parts.push(`${render(key, depth + 1)}: ${render(value.values[index] ?? null, depth + 1)}`);
    });
    const hidden = value.more + Math.max(0, value.keys.length - MAX_ITEMS);
    if (hidden > 0) parts.push(`…${hidden} more`);
    return `{${parts.join(', ')}}`;
  }
  if (value instanceof PyBytes) {
    const prefix = value.mutable ? 'bytearray(b' : 'b';
    const body = value.data === undefined ? `<${value.length} bytes>` : quoteBytes(value.data, prefix);
    return value.mutable && value.data !== undefined ? `${body})` : body;
  }
  if (value instanceof BigStr) return `<str of ${value.length} chars>`;
  // A global produced by a resolver chain renders as the expression that produced it.
  if (value instanceof Ref) return value.via ?? value.name;
  if (value instanceof Call) return renderCall(value.callee, value.args, value.kwargs, depth);
  if (value instanceof Opaque) return `<${value.what}>`;
  return '…';
}

/** `callee(arg, …, key=value)`. */
export function renderCall(
  callee: Value,
  args: readonly Value[],
  kwargs: Value | undefined,
  depth = 0,
): string {
  let inner = renderItems(args, 0, depth);
  if (kwargs instanceof PyDict && kwargs.keys.length > 0) {
    const named = kwargs.keys
      .slice(0, MAX_ITEMS)
      .map(
        (key, index) =>
          `${typeof key === 'string' ? key : render(key, depth + 1)}=${render(kwargs.values[index] ?? null, depth + 1)}`,
      );
    inner = inner === '' ? named.join(', ') : `${inner}, ${named.join(', ')}`;
  }
  return clip(`${render(callee, depth)}(${inner})`);
}

/** Evidence for a call of a resolved global: `name(args)`, plus the chain that produced it. */
export function renderRefCall(ref: Ref, args: readonly Value[], kwargs: Value | undefined): string {
  const call = renderCall(
    new Ref(ref.module, ref.qualname, ref.path, ref.verdict, undefined, ref.offset),
    args,
    kwargs,
  );
  return ref.via === undefined ? call : clip(`${call} via ${ref.via}`);
}

/** Evidence for a resolved global: its name, plus the chain that produced it. */
export function renderRef(ref: Ref): string {
  return ref.via === undefined ? ref.name : clip(`${ref.name} via ${ref.via}`);
}

function clip(text: string): string {
  return text.length > MAX_TOTAL ? `${text.slice(0, MAX_TOTAL)}…` : text;
}
