import { ParseError } from '../../core/errors.js';

/**
 * The Python literals a `.npy` header may hold (what `ast.literal_eval` accepts there). Parsed by hand and
 * never evaluated. Lists and tuples are both arrays; integers are bigints (Python 2 headers write `3L`).
 */
export type PyLiteral = null | boolean | bigint | string | readonly PyLiteral[] | PyDict;

export interface PyDict {
  readonly dict: ReadonlyMap<string, PyLiteral>;
}

export function isDict(value: PyLiteral): value is PyDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_NESTING = 64;

class LiteralParser {
  private at = 0;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  private fail(message: string): never {
    throw new ParseError('INVALID_VALUE', `header literal: ${message} at character ${this.at}`);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && ' \t\r\n'.includes(this.text.charAt(this.at))) this.at += 1;
  }

  private peek(): string {
    this.skipSpace();
    return this.text.charAt(this.at);
  }

  private expect(char: string): void {
    if (this.peek() !== char) this.fail(`expected '${char}'`);
    this.at += 1;
  }

  parseDocument(): PyLiteral {
    const value = this.value(0);
    if (this.peek() !== '') this.fail('unexpected text after the literal');
    return value;
  }

  private value(depth: number): PyLiteral {
    if (depth > MAX_NESTING) this.fail('nested too deeply');
    const char = this.peek();
    if (char === '{') return this.dict(depth);
    if (char === '[') return this.sequence(']', depth);
    if (char === '(') return this.sequence(')', depth);
    if (char === "'" || char === '"') return this.string();
    if ((char === 'u' || char === 'b') && '\'"'.includes(this.text.charAt(this.at + 1))) {
      this.at += 1;
      return this.string();
    }
    const word = /^(?:True|False|None|[+-]?\d+L?)/.exec(this.text.slice(this.at, this.at + 64))?.[0];
    if (word === undefined) this.fail('unsupported literal');
    this.at += word.length;
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    return BigInt(word.replace('L', ''));
  }

  private sequence(close: string, depth: number): PyLiteral[] {
    this.at += 1;
    const items: PyLiteral[] = [];
    while (this.peek() !== close) {
      items.push(this.value(depth + 1));
      if (this.peek() === ',') this.at += 1;
      else if (this.peek() !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.at += 1;
    return items;
  }

  private dict(depth: number): PyDict {
    this.at += 1;
    const dict = new Map<string, PyLiteral>();
    while (this.peek() !== '}') {
      const key = this.value(depth + 1);
      if (typeof key !== 'string') this.fail('dictionary key is not a string');
      this.expect(':');
      dict.set(key, this.value(depth + 1));
      if (this.peek() === ',') this.at += 1;
      else if (this.peek() !== '}') this.fail("expected ',' or '}'");
    }
    this.at += 1;
    return { dict };
  }

  private string(): string {
    const quote = this.text.charAt(this.at);
    this.at += 1;
    let result = '';
    for (;;) {
      if (this.at >= this.text.length) this.fail('unterminated string');
      const char = this.text.charAt(this.at);
      this.at += 1;
      if (char === quote) return result;
      if (char !== '\\') {
        result += char;
        continue;
      }
      result += this.escape();
    }
  }

  private escape(): string {
    const char = this.text.charAt(this.at);
    this.at += 1;
    const simple: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      '0': '\0',
      '\\': '\\',
      "'": "'",
      '"': '"',
    };
    const mapped = simple[char];
    if (mapped !== undefined) return mapped;
    const width = char === 'x' ? 2 : char === 'u' ? 4 : char === 'U' ? 8 : 0;
    const hex = this.text.slice(this.at, this.at + width);
    if (width === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) this.fail('unsupported escape');
    this.at += width;
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff) this.fail('escape outside Unicode');
    return String.fromCodePoint(code);
  }
}

/** Parses one Python literal; throws `ParseError('INVALID_VALUE')` on anything else. */
export function parsePyLiteral(text: string): PyLiteral {
  return new LiteralParser(text).parseDocument();
}
