/**
 * Just enough of Jinja2's lexer to tell template code from text: the `{{ … }}` and `{% … %}` tags of a template,
 * and the tokens of their expressions. Tags end where Jinja ends them (a closing `}}` or `%}` outside string
 * literals and brackets), so a payload cannot hide behind a `'}}'` string. Templates that Jinja would reject are
 * still cut up as far as they go.
 */

export interface Token {
  readonly kind: 'name' | 'string' | 'number' | 'op';
  readonly text: string;
}

export interface Tag {
  /** The tag as written, delimiters included. */
  readonly text: string;
  /** The code between the delimiters, whitespace-control marks (`-`, `+`) removed. */
  readonly code: string;
}

const CLOSERS: Readonly<Record<string, string>> = { '{': '}}', '%': '%}', '#': '#}' };
const OPENING_BRACKETS = '([{';
const CLOSING_BRACKETS = ')]}';

/** Index of the quote closing the string literal that opens at `start`, or the text's length when unterminated. */
function closingQuote(text: string, start: number): number {
  const quote = text[start];
  let index = start + 1;
  while (index < text.length && text[index] !== quote) index += text[index] === '\\' ? 2 : 1;
  return Math.min(index, text.length);
}

/**
 * Index of the `close` delimiter ending the code that starts at `start`, or -1. As in Jinja's lexer, a delimiter
 * inside a string literal or inside open brackets does not end the tag.
 */
function findTagEnd(template: string, start: number, close: string): number {
  let depth = 0;
  let index = start;
  while (index < template.length) {
    const char = template[index] ?? '';
    if (char === '"' || char === "'") {
      index = closingQuote(template, index) + 1;
      continue;
    }
    if (depth === 0 && template.startsWith(close, index)) return index;
    if (OPENING_BRACKETS.includes(char)) depth++;
    else if (CLOSING_BRACKETS.includes(char) && depth > 0) depth--;
    index++;
  }
  return -1;
}

/** The `{{ … }}` and `{% … %}` tags of a template (an unclosed last tag runs to the end); comments are skipped. */
export function extractTags(template: string): Tag[] {
  const tags: Tag[] = [];
  let index = 0;
  while (index < template.length) {
    const open = template.indexOf('{', index);
    if (open < 0 || open + 1 >= template.length) break;
    const kind = template[open + 1] ?? '';
    const close = CLOSERS[kind];
    if (close === undefined) {
      index = open + 1;
      continue;
    }
    // Comments end at the first `#}`, whatever they contain, as in Jinja.
    const end = kind === '#' ? template.indexOf(close, open + 2) : findTagEnd(template, open + 2, close);
    const stop = end < 0 ? template.length : end + 2;
    if (kind !== '#') {
      const inner = template.slice(open + 2, end < 0 ? template.length : end);
      tags.push({
        text: template.slice(open, stop),
        code: inner.replace(/^[-+]/, '').replace(/[-+]$/, ''),
      });
    }
    index = stop;
  }
  return tags;
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '0': '\0' };

/** Decodes a Python string literal's escapes (`\x5f`, `\u005f`; `\N{…}` is left as is). */
function decodeString(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/gs, (_all, escape: string) => {
    if (/^[xuU]/.test(escape) && escape.length > 1) {
      const point = Number.parseInt(escape.slice(1), 16);
      return point <= 0x10ffff ? String.fromCodePoint(point) : '';
    }
    return ESCAPES[escape] ?? escape;
  });
}

/**
 * Folds string literals joined by `~` or `+` (or simply adjacent, which Python and Jinja also concatenate) into
 * one literal, as Jinja's constant folding does, so that `'_' ~ '_class_' ~ '_'` is seen as `'__class__'`.
 */
function foldConcatenation(tokens: readonly Token[]): Token[] {
  const folded: Token[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (token === undefined) continue;
    const last = folded.at(-1);
    const next = tokens[index + 1];
    const joined =
      token.kind === 'op' && (token.text === '~' || token.text === '+') && next?.kind === 'string';
    if (last?.kind === 'string' && (joined || token.kind === 'string')) {
      folded[folded.length - 1] = { kind: 'string', text: last.text + (joined ? next.text : token.text) };
      if (joined) index++;
    } else {
      folded.push(token);
    }
  }
  return folded;
}

/** Tokens of a tag's expression: names, decoded string literals (constant concatenations folded), numbers and operators. */
export function tokenize(code: string): Token[] {
  return foldConcatenation(scan(code));
}

function scan(code: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < code.length) {
    const char = code[index] ?? '';
    if (/\s/.test(char)) {
      index++;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_]\w*/.exec(code.slice(index, index + 256)) ?? [char];
      tokens.push({ kind: 'name', text: match[0] });
      index += match[0].length;
    } else if (/\d/.test(char)) {
      // Digits, `_` separators, hex and exponent letters; a dot only when a digit follows (`1.__class__` is an
      // integer's attribute).
      const match = /^\d\w*(?:\.\d\w*)?/.exec(code.slice(index, index + 64)) ?? [char];
      tokens.push({ kind: 'number', text: match[0] });
      index += match[0].length;
    } else if (char === '"' || char === "'") {
      const end = closingQuote(code, index);
      tokens.push({ kind: 'string', text: decodeString(code.slice(index + 1, end)) });
      index = end + 1;
    } else {
      tokens.push({ kind: 'op', text: char });
      index++;
    }
  }
  return tokens;
}
