import { returnValues } from '../../code/returns.js';
import type { Node } from 'web-tree-sitter';
import { namesOf } from '../../code/capabilities.js';
import { constantOf } from '../../code/resolve.js';
import type { Scope } from '../../code/scopes.js';

/** Flows are followed this many steps, which also breaks cycles (`x = x[::-1]` in a loop). */
const MAX_DEPTH = 16;

/** How a value was recovered from a hidden form, for messages: `base64.b64decode`, `a reversed string`. */
export interface Decoding {
  readonly how: string;
  /** The decoder's input is written in the source (an embedded payload), not read at run time. */
  readonly embedded: boolean;
  /** 1-based line of the decoding step. */
  readonly line: number;
}

/**
 * Decoders and decompressors by qualified name. `builtins.b64decode` and the like are no builtins: an unbound
 * decoder name came from `from base64 import *`.
 */
const DECODERS =
  /^(?:base64\.(?:\w*b(?:16|32|32hex|64|85)decode|a85decode|decodebytes|decodestring)|binascii\.(?:a2b_\w+|unhexlify)|builtins\.(?:bytes|bytearray)\.fromhex|(?:zlib|gzip|bz2|lzma)\.decompress|(?:zlib|bz2|lzma)\.(?:decompressobj|BZ2Decompressor|LZMADecompressor)\(\)\.decompress|marshal\.loads|builtins\.(?:\w*b(?:32|64|85)decode|a85decode|unhexlify|decompress))$/;
/** Codecs that transform text rather than decode characters (`codecs.decode(s, 'rot13')`, Python 2 `s.decode('hex')`). */
const HIDING_CODECS =
  /^(?:rot[-_]?13|base[-_]?64|base64_codec|hex|hex_codec|zlib|zlib_codec|zip|bz2|bz2_codec|uu|uu_codec)$/i;
/** Functions that pass their input's content through: a hidden payload stays hidden. */
const PASS_THROUGH = /^builtins\.(?:str|bytes|bytearray|list|tuple|reversed|compile)$/;
function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** Whether an expression is a literal written in the source (string, bytes, number, or containers of them). */
export function isEmbedded(node: Node, scope: Scope, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const constant = constantOf(node, scope);
  if (constant !== undefined && constant.kind !== 'reference') return true;
  switch (node.type) {
    case 'list':
    case 'tuple':
    case 'set':
    case 'parenthesized_expression':
    case 'concatenated_string':
      return node.namedChildren.every((child) => child === null || isEmbedded(child, scope, depth + 1));
    case 'binary_operator': {
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      return (
        left !== null &&
        right !== null &&
        isEmbedded(left, scope, depth + 1) &&
        isEmbedded(right, scope, depth + 1)
      );
    }
    case 'identifier': {
      const found = scope.lookup(node.text, node.startIndex);
      const [binding] = found?.bindings ?? [];
      return (
        found?.total === 1 && binding?.kind === 'value' && isEmbedded(binding.value, binding.scope, depth + 1)
      );
    }
    case 'call': {
      // `b'...'.decode()`, `bytes([...])`, a decoder of an embedded payload.
      const callee = node.childForFieldName('function');
      const object = callee?.type === 'attribute' ? callee.childForFieldName('object') : null;
      const args = positionalArguments(node);
      if (object !== null && !isModuleReference(object, scope))
        return isEmbedded(object, scope, depth + 1) && args.every((arg) => isEmbedded(arg, scope, depth + 1));
      return args.length > 0 && args.every((arg) => isEmbedded(arg, scope, depth + 1));
    }
    case 'subscript': {
      const value = node.childForFieldName('value');
      return value !== null && isEmbedded(value, scope, depth + 1);
    }
    case 'generator_expression':
    case 'list_comprehension': {
      const clause = node.namedChildren.find((child) => child?.type === 'for_in_clause');
      const iterable = clause?.childForFieldName('right');
      return iterable !== null && iterable !== undefined && isEmbedded(iterable, scope, depth + 1);
    }
    default:
      return false;
  }
}

function isModuleReference(node: Node, scope: Scope): boolean {
  const constant = constantOf(node, scope);
  return constant?.kind === 'reference';
}

function positionalArguments(call: Node): Node[] {
  const list = call.childForFieldName('arguments');
  // `f(x for x in y)`: the generator is the whole argument list.
  if (list?.type === 'generator_expression') return [list];
  return (list?.namedChildren ?? []).filter(
    (arg): arg is Node =>
      arg !== null && arg.type !== 'keyword_argument' && arg.type !== 'comment' && arg.type !== 'list_splat',
  );
}

/** A string literal's value, or undefined. */
function stringOf(node: Node | undefined, scope: Scope): string | undefined {
  if (node === undefined) return undefined;
  const constant = constantOf(node, scope);
  return constant?.kind === 'string' ? constant.value : undefined;
}

/** `x[::-1]`. */
export function isReversal(node: Node): boolean {
  if (node.type !== 'subscript') return false;
  const slice = node.childForFieldName('subscript');
  return slice?.type === 'slice' && /^\s*:\s*:\s*-\s*1\s*$/.test(slice.text);
}

/** `''.join(chr(c) for c in [...])`, `''.join(map(chr, [...]))`. */
function isCharacterJoin(call: Node, callee: Node): boolean {
  if (callee.type !== 'attribute' || callee.childForFieldName('attribute')?.text !== 'join') return false;
  if (callee.childForFieldName('object')?.type !== 'string') return false;
  const [argument] = positionalArguments(call);
  if (argument === undefined) return false;
  if (argument.type === 'generator_expression' || argument.type === 'list_comprehension') {
    const body = argument.childForFieldName('body');
    return body?.type === 'call' && /^(?:chr|unichr)$/.test(body.childForFieldName('function')?.text ?? '');
  }
  if (argument.type === 'call' && argument.childForFieldName('function')?.text === 'map') {
    const [mapped] = positionalArguments(argument);
    return mapped?.text === 'chr' || mapped?.text === 'unichr';
  }
  return false;
}

/** `bytes([105, 109, …])`: text spelled as a list of byte values. */
function isByteList(call: Node, names: readonly string[]): boolean {
  if (!names.some((name) => name === 'builtins.bytes' || name === 'builtins.bytearray')) return false;
  const [argument] = positionalArguments(call);
  return (
    argument?.type === 'list' &&
    argument.namedChildren.filter((child) => child?.type === 'integer').length >= 8
  );
}

/**
 * How the value of `node` was recovered from a hidden form, following it through names bound in this file,
 * string building, methods of the decoded value (`.decode()`), pass-through conversions and the returns of local
 * functions: base64/base32/base85/hex decoding, zlib/gzip/bz2/lzma decompression, marshal loads, the
 * rot13/base64/hex codecs, text built from character codes (`''.join(chr(c) …)`, `bytes([…])`) and reversed
 * strings. Undefined when no such step is found.
 */
export function decodingOf(node: Node, scope: Scope, depth = 0): Decoding | undefined {
  if (depth > MAX_DEPTH) return undefined;
  switch (node.type) {
    case 'call':
      return callDecoding(node, scope, depth);
    case 'identifier': {
      const found = scope.lookup(node.text, node.startIndex);
      for (const binding of found?.bindings ?? []) {
        let decoding: Decoding | undefined;
        if (binding.kind === 'value') decoding = decodingOf(binding.value, binding.scope, depth + 1);
        else if (binding.kind === 'derived') decoding = firstOf(binding.from, binding.scope, depth);
        if (decoding !== undefined) return decoding;
      }
      return undefined;
    }
    case 'subscript': {
      const value = node.childForFieldName('value');
      if (isReversal(node) && value !== null)
        return { how: 'a reversed string ([::-1])', embedded: isEmbedded(value, scope), line: lineOf(node) };
      return value === null ? undefined : decodingOf(value, scope, depth + 1);
    }
    case 'attribute': {
      const object = node.childForFieldName('object');
      return object === null || isModuleReference(object, scope)
        ? undefined
        : decodingOf(object, scope, depth + 1);
    }
    case 'binary_operator':
    case 'list':
    case 'tuple':
    case 'parenthesized_expression':
    case 'conditional_expression':
    case 'boolean_operator':
    case 'await':
      return firstOf(node.namedChildren, scope, depth);
    default:
      return undefined;
  }
}

function firstOf(nodes: readonly (Node | null)[], scope: Scope, depth: number): Decoding | undefined {
  for (const child of nodes) {
    if (child === null || child.type === 'comment') continue;
    const decoding = decodingOf(child, scope, depth + 1);
    if (decoding !== undefined) return decoding;
  }
  return undefined;
}

function callDecoding(call: Node, scope: Scope, depth: number): Decoding | undefined {
  const callee = call.childForFieldName('function');
  if (callee === null) return undefined;
  const names = namesOf(callee, scope);
  const args = positionalArguments(call);
  const [first] = args;
  const embedded = (): boolean =>
    first !== undefined &&
    (isEmbedded(first, scope) || decodingOf(first, scope, depth + 1)?.embedded === true);
  const decoder = names.find((name) => DECODERS.test(name));
  if (decoder !== undefined) {
    // `zlib.decompressobj().decompress(data)` and friends name the decoder by its constructor.
    return { how: decoder.replace(/^builtins\./, ''), embedded: embedded(), line: lineOf(call) };
  }
  if (names.some((name) => name === 'codecs.decode' || name === 'codecs.encode')) {
    const codec = stringOf(args[1], scope);
    if (codec !== undefined && HIDING_CODECS.test(codec))
      return {
        how: `codecs.${names.includes('codecs.decode') ? 'decode' : 'encode'}(…, '${codec}')`,
        embedded: embedded(),
        line: lineOf(call),
      };
  }
  if (isCharacterJoin(call, callee))
    return { how: "text built from character codes (''.join(chr(…)))", embedded: true, line: lineOf(call) };
  if (isByteList(call, names))
    return { how: 'bytes spelled as a list of numbers', embedded: true, line: lineOf(call) };
  if (callee.type === 'attribute') {
    const method = callee.childForFieldName('attribute')?.text;
    const object = callee.childForFieldName('object');
    // Python 2 `payload.decode('base64')`.
    if ((method === 'decode' || method === 'encode') && object !== null) {
      const codec = stringOf(first, scope);
      if (codec !== undefined && HIDING_CODECS.test(codec))
        return { how: `.${method}('${codec}')`, embedded: isEmbedded(object, scope), line: lineOf(call) };
    }
    if (object !== null && !isModuleReference(object, scope)) {
      const fromObject = decodingOf(object, scope, depth + 1);
      if (fromObject !== undefined) return fromObject;
    }
  }
  if (names.some((name) => PASS_THROUGH.test(name)) || isCharacterJoinLike(callee))
    return firstOf(args, scope, depth);
  const returned = localReturns(callee, scope, depth);
  // A local decoding helper called on literals unpacks an embedded payload.
  if (
    returned !== undefined &&
    !returned.embedded &&
    args.length > 0 &&
    args.every((arg) => isEmbedded(arg, scope))
  )
    return { ...returned, embedded: true };
  return returned;
}

/** `''.join(parts)` and `sep.join(parts)` keep the hidden parts hidden. */
function isCharacterJoinLike(callee: Node): boolean {
  return callee.type === 'attribute' && callee.childForFieldName('attribute')?.text === 'join';
}

/** A function of this file whose return value is decoded data (`def _d(s): return b64decode(s)`). */
function localReturns(callee: Node, scope: Scope, depth: number): Decoding | undefined {
  let target = callee;
  while (target.type === 'parenthesized_expression' && target.firstNamedChild !== null)
    target = target.firstNamedChild;
  // `(lambda s: zlib.decompress(b64decode(s[::-1])))(b'...')`, the packers' favourite shape.
  if (target.type === 'lambda') {
    const body = target.childForFieldName('body');
    return body === null ? undefined : decodingOf(body, scope, depth + 1);
  }
  if (target.type !== 'identifier') return undefined;
  const found = scope.lookup(target.text, target.startIndex);
  for (const binding of found?.bindings ?? []) {
    if (binding.kind === 'value' && binding.value.type === 'lambda') {
      const body = binding.value.childForFieldName('body');
      const decoding = body === null ? undefined : decodingOf(body, binding.scope, depth + 1);
      if (decoding !== undefined) return decoding;
      continue;
    }
    if (binding.kind !== 'function') continue;
    const body = binding.node.childForFieldName('body');
    if (body === null) continue;
    for (const value of returnValues(body)) {
      const decoding = decodingOf(value, binding.body, depth + 1);
      if (decoding !== undefined) return decoding;
    }
  }
  return undefined;
}

/** Callee names already worked out, per scope and call node: several heuristics subscribe to every call. */
const namesByScope = new WeakMap<Scope, Map<number, readonly string[]>>();

/** Every qualified name of a callee, static or through `__import__('x')` chains. */
export function calleeNames(call: Node, scope: Scope): readonly string[] {
  let known = namesByScope.get(scope);
  if (known === undefined) {
    known = new Map();
    namesByScope.set(scope, known);
  }
  let names = known.get(call.id);
  if (names === undefined) {
    const callee = call.childForFieldName('function');
    names = callee === null ? [] : namesOf(callee, scope);
    known.set(call.id, names);
  }
  return names;
}

export { positionalArguments };

/** A string worked out from the source, and whether working it out took more than reading a literal. */
export interface FoldedString {
  readonly value: string;
  /** Built by concatenation, reversal, joins, character codes or decoding rather than written as one literal. */
  readonly hidden: boolean;
}

const MAX_FOLDED_CHARS = 4096;

/**
 * The string an expression evaluates to when it is built from literals: concatenation (`'o' + 's'`), `''.join`
 * of literals, `chr(115)`, reversal (`'metsys'[::-1]`), `.lower()`/`.upper()`/`.strip()`, base64/base32/hex
 * decoding, `bytes.fromhex` and rot13 of literals, and `.decode()` of the result. Names bound once are followed.
 */
export function foldString(node: Node, scope: Scope, depth = 0): FoldedString | undefined {
  if (depth > MAX_DEPTH) return undefined;
  switch (node.type) {
    case 'string':
    case 'concatenated_string': {
      const constant = constantOf(node, scope);
      if (constant?.kind !== 'string') return undefined;
      const bytesPrefix = /^[rR]?[bB]/.test(node.text);
      return { value: unescape(constant.value, bytesPrefix), hidden: false };
    }
    case 'parenthesized_expression': {
      const inner = node.firstNamedChild;
      return inner === null ? undefined : foldString(inner, scope, depth + 1);
    }
    case 'identifier': {
      const found = scope.lookup(node.text, node.startIndex);
      const [binding] = found?.bindings ?? [];
      if (found?.total !== 1 || binding?.kind !== 'value') return undefined;
      return foldString(binding.value, binding.scope, depth + 1);
    }
    case 'binary_operator': {
      if (node.childForFieldName('operator')?.text !== '+') return undefined;
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      const a = left === null ? undefined : foldString(left, scope, depth + 1);
      const b = right === null ? undefined : foldString(right, scope, depth + 1);
      if (a === undefined || b === undefined) return undefined;
      return limited(a.value + b.value, true);
    }
    case 'subscript': {
      const value = node.childForFieldName('value');
      const folded = value === null || !isReversal(node) ? undefined : foldString(value, scope, depth + 1);
      return folded === undefined
        ? undefined
        : { value: Array.from(folded.value).reverse().join(''), hidden: true };
    }
    case 'call':
      return foldCall(node, scope, depth);
    default:
      return undefined;
  }
}

function limited(value: string, hidden: boolean): FoldedString | undefined {
  return value.length > MAX_FOLDED_CHARS ? undefined : { value, hidden };
}

/** Python escapes in a literal's text (`\x73`, `\n`, `\u0073`), enough to recover names and short commands. */
function unescape(text: string, bytes: boolean): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[0-7]{1,3}|.)/g, (whole, escape: string) => {
    if (escape.startsWith('x')) return String.fromCharCode(parseInt(escape.slice(1), 16));
    if (escape.startsWith('u') && !bytes) return String.fromCharCode(parseInt(escape.slice(1), 16));
    if (/^[0-7]+$/.test(escape)) return String.fromCharCode(parseInt(escape, 8));
    const simple: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      '\\': '\\',
      "'": "'",
      '"': '"',
      '0': '\0',
    };
    return simple[escape] ?? whole;
  });
}

function rot13(text: string): string {
  return text.replace(/[a-zA-Z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function foldCall(call: Node, scope: Scope, depth: number): FoldedString | undefined {
  const callee = call.childForFieldName('function');
  if (callee === null) return undefined;
  const args = positionalArguments(call);
  const [first] = args;
  const foldedFirst = (): FoldedString | undefined =>
    first === undefined ? undefined : foldString(first, scope, depth + 1);
  if (callee.type === 'attribute') {
    const method = callee.childForFieldName('attribute')?.text ?? '';
    const object = callee.childForFieldName('object');
    if (object !== null && !isModuleReference(object, scope)) {
      if (method === 'join') {
        const separator = foldString(object, scope, depth + 1);
        const parts = first === undefined ? undefined : foldSequence(first, scope, depth + 1);
        if (separator === undefined || parts === undefined) return undefined;
        return limited(parts.join(separator.value), true);
      }
      const base = foldString(object, scope, depth + 1);
      if (base === undefined) return undefined;
      if (method === 'decode' || method === 'encode') {
        const codec = first === undefined ? undefined : stringOf(first, scope);
        if (codec !== undefined && /^rot[-_]?13$/i.test(codec))
          return { value: rot13(base.value), hidden: true };
        if (codec !== undefined && /^(?:hex|hex_codec)$/i.test(codec) && method === 'decode')
          return limited(Buffer.from(base.value, 'hex').toString('latin1'), true);
        if (codec !== undefined && /^base[-_]?64$/i.test(codec) && method === 'decode')
          return limited(Buffer.from(base.value, 'base64').toString('latin1'), true);
        return base;
      }
      if (/^(?:lower|upper|strip|lstrip|rstrip)$/.test(method) && args.length === 0) {
        const value =
          method === 'lower'
            ? base.value.toLowerCase()
            : method === 'upper'
              ? base.value.toUpperCase()
              : base.value.trim();
        return { value, hidden: base.hidden };
      }
      if (method === 'replace' && args.length === 2) {
        const from = stringOf(args[0], scope);
        const to = stringOf(args[1], scope);
        if (from === undefined || to === undefined || from === '') return undefined;
        return limited(base.value.split(from).join(to), true);
      }
      return undefined;
    }
  }
  const names = namesOf(callee, scope);
  if (names.includes('builtins.chr') || names.includes('builtins.unichr')) {
    const code = first === undefined ? undefined : constantOf(first, scope);
    return code?.kind === 'number' && Number.isInteger(code.value) && code.value >= 0 && code.value < 0x110000
      ? { value: String.fromCodePoint(code.value), hidden: true }
      : undefined;
  }
  if (names.includes('builtins.str') && args.length === 1) return foldedFirst();
  const decoded = decodeLiteral(names, foldedFirst, args, scope);
  if (decoded !== undefined) return limited(decoded, true);
  if (
    names.some((name) => name === 'builtins.bytes' || name === 'builtins.bytearray') &&
    first?.type === 'list'
  ) {
    const codes = foldSequenceOfNumbers(first, scope);
    return codes === undefined ? undefined : limited(String.fromCharCode(...codes), true);
  }
  return undefined;
}

function decodeLiteral(
  names: readonly string[],
  foldedFirst: () => FoldedString | undefined,
  args: readonly Node[],
  scope: Scope,
): string | undefined {
  const is = (pattern: RegExp): boolean => names.some((name) => pattern.test(name));
  if (is(/^base64\.(?:b64decode|standard_b64decode|decodebytes|decodestring)$/))
    return fromEncoded(foldedFirst(), (text) => Buffer.from(text, 'base64'));
  if (is(/^base64\.urlsafe_b64decode$/))
    return fromEncoded(foldedFirst(), (text) => Buffer.from(text, 'base64url'));
  if (is(/^(?:base64\.b16decode|binascii\.(?:unhexlify|a2b_hex)|builtins\.(?:bytes|bytearray)\.fromhex)$/))
    return fromEncoded(foldedFirst(), (text) => Buffer.from(text.replace(/\s+/g, ''), 'hex'));
  if (is(/^base64\.b32decode$/)) return fromEncoded(foldedFirst(), base32);
  if (is(/^codecs\.(?:decode|encode)$/)) {
    const codec = stringOf(args[1], scope);
    const text = foldedFirst();
    if (text === undefined || codec === undefined) return undefined;
    if (/^rot[-_]?13$/i.test(codec)) return rot13(text.value);
    if (/^(?:hex|hex_codec)$/i.test(codec)) return Buffer.from(text.value, 'hex').toString('latin1');
    if (/^(?:base[-_]?64|base64_codec)$/i.test(codec))
      return Buffer.from(text.value, 'base64').toString('latin1');
  }
  return undefined;
}

function fromEncoded(folded: FoldedString | undefined, decode: (text: string) => Buffer): string | undefined {
  return folded === undefined ? undefined : decode(folded.value).toString('latin1');
}

function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.replace(/=+$/, '')) {
    const index = alphabet.indexOf(char.toUpperCase());
    if (index < 0) continue;
    buffer = (buffer << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** The strings of a list or tuple of foldable strings, or of a comprehension `chr(c) for c in [numbers]`. */
function foldSequence(node: Node, scope: Scope, depth: number): string[] | undefined {
  if (node.type === 'list' || node.type === 'tuple') {
    const parts: string[] = [];
    for (const child of node.namedChildren) {
      if (child === null) continue;
      const folded = foldString(child, scope, depth + 1);
      if (folded === undefined) return undefined;
      parts.push(folded.value);
    }
    return parts;
  }
  if (node.type === 'generator_expression' || node.type === 'list_comprehension') {
    const body = node.childForFieldName('body');
    const clause = node.namedChildren.find((child) => child?.type === 'for_in_clause');
    const iterable = clause?.childForFieldName('right');
    if (body?.type !== 'call' || !/^(?:chr|unichr)$/.test(body.childForFieldName('function')?.text ?? ''))
      return undefined;
    const codes =
      iterable === null || iterable === undefined ? undefined : foldSequenceOfNumbers(iterable, scope);
    return codes?.map((code) => String.fromCharCode(code));
  }
  if (node.type === 'call' && node.childForFieldName('function')?.text === 'map') {
    const [mapped, iterable] = positionalArguments(node);
    if (mapped?.text !== 'chr' || iterable === undefined) return undefined;
    return foldSequenceOfNumbers(iterable, scope)?.map((code) => String.fromCharCode(code));
  }
  if (node.type === 'identifier') {
    const found = scope.lookup(node.text, node.startIndex);
    const [binding] = found?.bindings ?? [];
    if (found?.total !== 1 || binding?.kind !== 'value') return undefined;
    return foldSequence(binding.value, binding.scope, depth + 1);
  }
  return undefined;
}

function foldSequenceOfNumbers(node: Node, scope: Scope): number[] | undefined {
  let list = node;
  if (node.type === 'identifier') {
    const found = scope.lookup(node.text, node.startIndex);
    const [binding] = found?.bindings ?? [];
    if (found?.total !== 1 || binding?.kind !== 'value') return undefined;
    list = binding.value;
  }
  if (list.type !== 'list' && list.type !== 'tuple') return undefined;
  const codes: number[] = [];
  for (const child of list.namedChildren) {
    if (child === null) continue;
    const constant = constantOf(child, scope);
    if (
      constant?.kind !== 'number' ||
      !Number.isInteger(constant.value) ||
      constant.value < 0 ||
      constant.value > 0xffff
    )
      return undefined;
    codes.push(constant.value);
  }
  return codes.length > MAX_FOLDED_CHARS ? undefined : codes;
}
