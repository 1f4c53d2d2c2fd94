import { describe, expect, it } from 'vitest';
import { displaySafe, jsonText } from '../../src/report/sanitize.js';

describe('displaySafe', () => {
  it('returns printable text unchanged, non-ASCII letters included', () => {
    expect(displaySafe("posix.system('echo pwned') модель ü 模型 🙂")).toBe(
      "posix.system('echo pwned') модель ü 模型 🙂",
    );
  });

  it('escapes C0, DEL and C1 controls visibly', () => {
    expect(displaySafe('a\u001b[31mb\u0007c\u007fd\u009be\u0000')).toBe('a\\x1b[31mb\\x07c\\x7fd\\x9be\\x00');
    expect(displaySafe('line1\nline2\r\tend')).toBe('line1\\nline2\\r\\tend');
  });

  it('escapes bidi controls and line separators that reorder or split what the reader sees', () => {
    expect(displaySafe('x\u202Ey\u2066z\u2069\u200F\u2028')).toBe('x\\u202ey\\u2066z\\u2069\\u200f\\u2028');
  });
});

describe('jsonText', () => {
  it('writes DEL, C1 and bidi characters as \\u escapes that parse back to the same value', () => {
    const value = { evidence: 'a\u009b2Jb\u202Ec\u007f\u0007', nested: ['\u2028'] };
    const text = jsonText(value);
    expect(text).toBe(
      '{\n  "evidence": "a\\u009b2Jb\\u202ec\\u007f\\u0007",\n  "nested": [\n    "\\u2028"\n  ]\n}\n',
    );
    expect(JSON.parse(text)).toEqual(value);
  });
});
