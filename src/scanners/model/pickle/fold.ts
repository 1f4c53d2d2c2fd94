/**
 * Constant folding of the small pure functions attackers use to assemble names at load time (`''.join`, string
 * concatenation, rot13/hex/base64 decoding, bytes.fromhex, bytes.decode …), so that a global built from them is
 * still resolved and shown. Only constant arguments are folded; anything else returns undefined (the call then
 * stays symbolic). The folding callables themselves are judged by the policy like any other global.
 */
import { isTruncated, PyBytes, PyList, Ref, sequenceItems, type Value } from './values.js';

/** Results larger than this are not folded (names are short; this bounds memory). */
const MAX_FOLD = 65_536;

function bytesOf(value: Value): Uint8Array | undefined {
  return value instanceof PyBytes ? value.data : undefined;
}

function textOrBytes(value: Value): string | Uint8Array | undefined {
  return typeof value === 'string' ? value : bytesOf(value);
}

function makeBytes(data: Uint8Array | undefined, mutable = false): Value | undefined {
  if (data === undefined || data.length > MAX_FOLD) return undefined;
  return new PyBytes(data, data.length, mutable);
}

function str(value: string): Value | undefined {
  return value.length > MAX_FOLD ? undefined : value;
}

function latin1Bytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return undefined;
    out[i] = code;
  }
  return out;
}

function latin1Text(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}

function fromHex(text: string): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

function fromBase64(data: Uint8Array | string, urlsafe: boolean): Uint8Array {
  let text = typeof data === 'string' ? data : latin1Text(data);
  if (urlsafe) text = text.replace(/-/g, '+').replace(/_/g, '/');
  // Like base64.b64decode(validate=False): characters outside the alphabet are discarded.
  return Uint8Array.from(Buffer.from(text.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
}

function fromBase32(data: Uint8Array | string): Uint8Array | undefined {
  const text = (typeof data === 'string' ? data : latin1Text(data)).replace(/=+$/, '');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const index = alphabet.indexOf(char);
    if (index < 0) return undefined;
    buffer = (buffer << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

function rot13(text: string): string {
  return text.replace(/[a-zA-Z]/g, (char) => {
    const base = char <= 'Z' ? 65 : 97;
    return String.fromCharCode(((char.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function normaliseEncoding(value: Value | undefined): string | undefined {
  if (value === undefined) return 'utf-8';
  return typeof value === 'string' ? value.toLowerCase().replace(/_/g, '-') : undefined;
}

function decodeText(bytes: Uint8Array, encoding: string): string | undefined {
  if (encoding === 'utf-8' || encoding === 'utf8') return new TextDecoder('utf-8').decode(bytes);
  if (encoding === 'latin-1' || encoding === 'latin1' || encoding === 'iso-8859-1' || encoding === 'ascii') {
    return latin1Text(bytes);
  }
  return undefined;
}

function encodeText(text: string, encoding: string): Uint8Array | undefined {
  if (encoding === 'utf-8' || encoding === 'utf8') return new TextEncoder().encode(text);
  if (encoding === 'latin-1' || encoding === 'latin1' || encoding === 'iso-8859-1' || encoding === 'ascii') {
    return latin1Bytes(text);
  }
  return undefined;
}

/** `codecs.decode(obj, encoding)`. */
function codecsDecode(obj: Value, encodingArg: Value | undefined): Value | undefined {
  const encoding = normaliseEncoding(encodingArg);
  if (encoding === undefined) return undefined;
  if (typeof obj === 'string') {
    if (encoding === 'rot13' || encoding === 'rot-13') return str(rot13(obj));
    return undefined;
  }
  const bytes = bytesOf(obj);
  if (bytes === undefined) return undefined;
  if (encoding === 'hex' || encoding === 'hex-codec') return makeBytes(fromHex(latin1Text(bytes)));
  if (encoding === 'base64' || encoding === 'base64-codec') return makeBytes(fromBase64(bytes, false));
  const text = decodeText(bytes, encoding);
  return text === undefined ? undefined : str(text);
}

/** `codecs.encode(obj, encoding)`; protocol-2 pickles write bytes as `_codecs.encode(str, 'latin1')`. */
function codecsEncode(obj: Value, encodingArg: Value | undefined): Value | undefined {
  const encoding = normaliseEncoding(encodingArg);
  if (encoding === undefined) return undefined;
  if (typeof obj === 'string') {
    if (encoding === 'rot13' || encoding === 'rot-13') return str(rot13(obj));
    return makeBytes(encodeText(obj, encoding));
  }
  const bytes = bytesOf(obj);
  if (bytes === undefined) return undefined;
  if (encoding === 'hex' || encoding === 'hex-codec') {
    return makeBytes(new TextEncoder().encode(Buffer.from(bytes).toString('hex')));
  }
  return undefined;
}

/** Folds functions by canonical path; undefined when not foldable. */
export function foldFunction(path: string, args: readonly Value[]): Value | undefined {
  const [first, second] = args;
  if (first === undefined) return undefined;
  switch (path) {
    case 'builtins.str.join':
      return second === undefined ? undefined : join(first, second);
    case 'operator.add':
    case 'operator.concat':
    case 'operator.iadd':
    case 'operator.iconcat':
      return second === undefined ? undefined : concat(first, second);
    case 'codecs.decode':
      return codecsDecode(first, second);
    case 'codecs.encode':
      return codecsEncode(first, second);
    case 'base64.b64decode':
    case 'base64.standard_b64decode':
    case 'base64.decodebytes':
    case 'binascii.a2b_base64': {
      const input = textOrBytes(first);
      return input === undefined ? undefined : makeBytes(fromBase64(input, false));
    }
    case 'base64.urlsafe_b64decode': {
      const input = textOrBytes(first);
      return input === undefined ? undefined : makeBytes(fromBase64(input, true));
    }
    case 'base64.b32decode': {
      const input = textOrBytes(first);
      return input === undefined ? undefined : makeBytes(fromBase32(input));
    }
    case 'base64.b16decode':
    case 'binascii.unhexlify':
    case 'binascii.a2b_hex': {
      const input = textOrBytes(first);
      return input === undefined
        ? undefined
        : makeBytes(fromHex(typeof input === 'string' ? input : latin1Text(input)));
    }
    case 'builtins.bytes.fromhex':
    case 'builtins.bytearray.fromhex':
      return typeof first === 'string'
        ? makeBytes(fromHex(first), path.startsWith('builtins.bytearray'))
        : undefined;
    case 'builtins.bytes.decode':
    case 'builtins.bytearray.decode':
      return method(first, 'decode', args.slice(1));
    case 'builtins.str.encode':
      return method(first, 'encode', args.slice(1));
    case 'builtins.str': {
      const bytes = bytesOf(first);
      if (bytes !== undefined && second !== undefined) return codecsDecode(first, second);
      return typeof first === 'string' ? first : undefined;
    }
    case 'builtins.bytes':
    case 'builtins.bytearray':
      return toBytes(first, second, path === 'builtins.bytearray');
    case 'builtins.chr':
      return typeof first === 'number' && Number.isInteger(first) && first >= 0 && first <= 0x10ffff
        ? String.fromCodePoint(first)
        : undefined;
    case 'builtins.map':
      return mapFold(first, second);
    default:
      return undefined;
  }
}

/** A method called on a constant (`'.'.join(…)`, `b'…'.decode()`, via getattr or methodcaller). */
export function method(self: Value, name: string, args: readonly Value[]): Value | undefined {
  const [first, second] = args;
  if (typeof self === 'string') {
    switch (name) {
      case 'join':
        return first === undefined ? undefined : join(self, first);
      case 'encode':
        return codecsEncode(self, first);
      case 'replace':
        return typeof first === 'string' && typeof second === 'string'
          ? str(self.split(first).join(second))
          : undefined;
      case 'lower':
        return self.toLowerCase();
      case 'upper':
        return self.toUpperCase();
      case 'strip':
        return first === undefined ? self.trim() : undefined;
      case 'lstrip':
        return first === undefined ? self.trimStart() : undefined;
      case 'rstrip':
        return first === undefined ? self.trimEnd() : undefined;
      case '__add__':
        return first === undefined ? undefined : concat(self, first);
      default:
        return undefined;
    }
  }
  const bytes = bytesOf(self);
  if (bytes === undefined) return undefined;
  if (name === 'decode') return codecsDecode(self, first);
  if (name === '__add__' && first !== undefined) return concat(self, first);
  return undefined;
}

function join(separator: Value, iterable: Value): Value | undefined {
  const items = sequenceItems(iterable);
  if (items === undefined || isTruncated(iterable)) return undefined;
  if (typeof separator === 'string') {
    if (!items.every((item): item is string => typeof item === 'string')) return undefined;
    return str(items.join(separator));
  }
  const sep = bytesOf(separator);
  if (sep === undefined) return undefined;
  const parts = items.map(bytesOf);
  if (parts.some((part) => part === undefined)) return undefined;
  const chunks: Uint8Array[] = [];
  parts.forEach((part, index) => {
    if (index > 0) chunks.push(sep);
    chunks.push(part as Uint8Array);
  });
  return makeBytes(Uint8Array.from(Buffer.concat(chunks)));
}

function concat(a: Value, b: Value): Value | undefined {
  if (typeof a === 'string' && typeof b === 'string') return str(a + b);
  const left = bytesOf(a);
  const right = bytesOf(b);
  if (left !== undefined && right !== undefined)
    return makeBytes(Uint8Array.from(Buffer.concat([left, right])));
  const leftItems = Array.isArray(a) ? (a as readonly Value[]) : undefined;
  const rightItems = Array.isArray(b) ? (b as readonly Value[]) : undefined;
  if (leftItems !== undefined && rightItems !== undefined && !isTruncated(a) && !isTruncated(b)) {
    return [...leftItems, ...rightItems];
  }
  return undefined;
}

function toBytes(first: Value, second: Value | undefined, mutable: boolean): Value | undefined {
  if (typeof first === 'string') {
    const encoding = normaliseEncoding(second);
    return encoding === undefined ? undefined : makeBytes(encodeText(first, encoding), mutable);
  }
  const items = sequenceItems(first);
  if (items === undefined || isTruncated(first)) return undefined;
  if (!items.every((item): item is number => typeof item === 'number' && item >= 0 && item <= 255))
    return undefined;
  return makeBytes(Uint8Array.from(items), mutable);
}

/** `map(chr, [...])` / `map(str, [...])` as used inside `''.join(map(chr, codes))`. */
function mapFold(fn: Value, iterable: Value | undefined): Value | undefined {
  if (iterable === undefined || !(fn instanceof Ref)) return undefined;
  if (fn.path !== 'builtins.chr' && fn.path !== 'builtins.str') return undefined;
  const items = sequenceItems(iterable);
  if (items === undefined || isTruncated(iterable)) return undefined;
  const list = new PyList();
  for (const item of items) {
    const folded = foldFunction(fn.path, [item]);
    if (folded === undefined) return undefined;
    list.append(folded);
  }
  return list;
}
