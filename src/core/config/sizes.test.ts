import { describe, expect, it } from 'vitest';
import { parseSize } from './sizes.js';

describe('parseSize', () => {
  it.each([
    ['4GiB', 4 * 1024 ** 3],
    ['512 MB', 512e6],
    ['1.5KiB', 1536],
    ['1000', 1000],
    [2048, 2048],
  ])('parses %s', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'lots', '-1GB', '0', '3 parsecs'])('rejects %j', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
});
