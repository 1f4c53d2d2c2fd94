import { describe, expect, it } from 'vitest';
import { ParseError } from '../../core/errors.js';
import { isDict, parsePyLiteral } from './py-literal.js';

describe('parsePyLiteral', () => {
  it('parses the header numpy writes', () => {
    const value = parsePyLiteral("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }          \n");
    expect(isDict(value) && Object.fromEntries(value.dict)).toEqual({
      descr: '<i4',
      fortran_order: false,
      shape: [2n, 2n],
    });
  });

  it('parses structured descrs, nested tuples, Python 2 longs and escapes', () => {
    const value = parsePyLiteral(
      "{'descr': [('a', '<i4'), (('title', 'b'), [('c', '<f8', (2, 3L))]), ('d', '|O')], 'shape': (), 'x': u\"q\\x41\\u00e9\", 'n': None}",
    );
    if (!isDict(value)) throw new Error('not a dict');
    expect(value.dict.get('descr')).toEqual([
      ['a', '<i4'],
      [['title', 'b'], [['c', '<f8', [2n, 3n]]]],
      ['d', '|O'],
    ]);
    expect(value.dict.get('shape')).toEqual([]);
    expect(value.dict.get('x')).toBe('qAé');
    expect(value.dict.get('n')).toBeNull();
  });

  it.each([
    "{'descr': __import__('os').system('id')}",
    "{'a': 1.5}",
    "{'a': 'unterminated}",
    "{'a': 1} trailing",
    '{1: 2}',
    '['.repeat(100) + ']'.repeat(100),
  ])('refuses anything that is not a plain literal: %s', (text) => {
    expect(() => parsePyLiteral(text)).toThrow(ParseError);
  });
});
