/**
 * Findings quote attacker-controlled bytes: file and member names, pickle globals, code lines. Printed raw, an
 * escape sequence could recolour or clear the terminal, move the cursor over earlier output, or a bidi override
 * could reorder what the reader sees. Such characters are shown as visible escapes instead, so that the reader
 * still learns they are there.
 */

const NAMED_ESCAPES: Readonly<Record<number, string>> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r' };

function isUnsafe(code: number): boolean {
  return (
    code < 0x20 || // C0 controls, ESC among them
    (code >= 0x7f && code <= 0x9f) || // DEL and C1 controls (0x9b is a one-character CSI)
    code === 0x061c || // Arabic letter mark
    code === 0x200e ||
    code === 0x200f || // left-to-right and right-to-left marks
    (code >= 0x2028 && code <= 0x202e) || // line/paragraph separators, bidi embeddings and overrides
    (code >= 0x2066 && code <= 0x2069) // bidi isolates
  );
}

function replaceUnsafe(text: string, escape: (code: number) => string | undefined): string {
  let out = '';
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (!isUnsafe(code)) continue;
    const replacement = escape(code);
    if (replacement === undefined) continue;
    out += text.slice(start, index) + replacement;
    start = index + 1;
  }
  return start === 0 ? text : out + text.slice(start);
}

function hex4(code: number): string {
  return code.toString(16).padStart(4, '0');
}

function visibleEscape(code: number): string {
  return (
    NAMED_ESCAPES[code] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${hex4(code)}`)
  );
}

/** Returns `text` with every control, bidi-control and line-separator character replaced by a visible escape. */
export function displaySafe(text: string): string {
  return replaceUnsafe(text, visibleEscape);
}

/**
 * Pretty JSON (2 spaces, trailing newline) that is also safe to `cat`: JSON.stringify escapes C0 controls in
 * strings but leaves DEL, C1 controls and bidi characters raw; they are written as `\uXXXX`, which parses back to
 * the same value. C0 characters in the output are the pretty-printer's own newlines and are kept.
 */
export function jsonText(value: unknown): string {
  const json = JSON.stringify(value, null, 2);
  return `${replaceUnsafe(json, (code) => (code < 0x20 ? undefined : `\\u${hex4(code)}`))}\n`;
}
