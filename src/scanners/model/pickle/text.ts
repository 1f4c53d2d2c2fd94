/**
 * Decoding of protocol-0 text arguments (INT, LONG, FLOAT, STRING, UNICODE, GET/PUT), as `pickle.py` does.
 * Each returns undefined where CPython would raise, and the decoder turns that into a ParseError.
 */

export function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}

/** `int(text, 0)` (INT, LONG) or `int(text)` (GET, PUT): whitespace, sign, `0x`/`0o`/`0b`, underscores. */
export function textInt(text: string, anyBase: boolean): number | bigint | undefined {
  let body = text.trim().replace(/_/g, '');
  let negative = false;
  if (body.startsWith('-') || body.startsWith('+')) {
    negative = body.startsWith('-');
    body = body.slice(1);
  }
  const prefixed = /^0[xob]/i.test(body);
  if (prefixed && !anyBase) return undefined;
  // Python's int(x, 0) rejects `010`; CPython's C unpickler (strtol) accepts it. Accepting it only adds values.
  if (!(prefixed ? /^0[xX][0-9a-fA-F]+$|^0[oO][0-7]+$|^0[bB][01]+$/ : /^[0-9]+$/).test(body))
    return undefined;
  const value = BigInt(body.toLowerCase());
  const signed = negative ? -value : value;
  return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(signed)
    : signed;
}

/** `float(text)`. */
export function textFloat(text: string): number | undefined {
  const body = text.trim().toLowerCase();
  const special: Record<string, number> = {
    inf: Infinity,
    '+inf': Infinity,
    '-inf': -Infinity,
    infinity: Infinity,
    '+infinity': Infinity,
    '-infinity': -Infinity,
    nan: NaN,
    '+nan': NaN,
    '-nan': NaN,
  };
  if (body in special) return special[body];
  if (!/^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(e[+-]?\d[\d_]*)?$/.test(body)) return undefined;
  return Number(body.replace(/_/g, ''));
}

/** STRING's argument: a quoted Python-2 string literal, decoded with `codecs.escape_decode`. */
export function parseQuotedString(bytes: Uint8Array): string | undefined {
  const quote = bytes[0];
  if (bytes.length < 2 || (quote !== 0x27 && quote !== 0x22) || bytes[bytes.length - 1] !== quote)
    return undefined;
  const body = bytes.subarray(1, bytes.length - 1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const byte = body[i] ?? 0;
    if (byte !== 0x5c || i + 1 >= body.length) {
      out += String.fromCharCode(byte);
      continue;
    }
    const next = String.fromCharCode(body[++i] ?? 0);
    const simple: Record<string, string> = {
      '\\': '\\',
      "'": "'",
      '"': '"',
      n: '\n',
      t: '\t',
      r: '\r',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      '\n': '',
    };
    if (next in simple) out += simple[next] ?? '';
    else if (next === 'x') {
      const hex = latin1(body.subarray(i + 1, i + 3));
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 2;
    } else if (next >= '0' && next <= '7') {
      let digits = next;
      while (
        digits.length < 3 &&
        i + 1 < body.length &&
        (body[i + 1] ?? 0) >= 0x30 &&
        (body[i + 1] ?? 0) <= 0x37
      ) {
        digits += String.fromCharCode(body[++i] ?? 0);
      }
      out += String.fromCharCode(Number.parseInt(digits, 8) & 0xff);
    } else {
      out += `\\${next}`;
    }
  }
  return out;
}

/** UNICODE's argument: `raw-unicode-escape` (`\uXXXX`, `\UXXXXXXXX`; every other byte is Latin-1). */
export function parseRawUnicodeEscape(bytes: Uint8Array): string | undefined {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] ?? 0;
    const next = bytes[i + 1];
    if (byte === 0x5c && (next === 0x75 || next === 0x55)) {
      // An escape only counts after an even run of backslashes; raw-unicode-escape keeps the others.
      let run = 0;
      for (let j = i - 1; j >= 0 && bytes[j] === 0x5c; j--) run++;
      if (run % 2 === 0) {
        const width = next === 0x75 ? 4 : 8;
        const hex = latin1(bytes.subarray(i + 2, i + 2 + width));
        if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
        const code = Number.parseInt(hex, 16);
        if (code > 0x10ffff) return undefined;
        out += String.fromCodePoint(code);
        i += 1 + width;
        continue;
      }
    }
    out += String.fromCharCode(byte);
  }
  return out;
}

/** Text of a GLOBAL/INST line: UTF-8 (CPython decodes strictly; lenient decoding only adds findings). */
export function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}
