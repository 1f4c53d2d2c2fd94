import { describe, expect, it } from 'vitest';
import { dtypeItem } from './numpy-dtype.js';

const item = (itemsize: number, hasObject = false) => ({ itemsize, hasObject });

describe('dtypeItem', () => {
  it('gives the item sizes of .npy typestrs', () => {
    const cases: [string, number][] = [
      ['<f4', 4],
      ['>f8', 8],
      ['=i2', 2],
      ['|u1', 1],
      ['|i1', 1],
      ['<c16', 16],
      ['<f16', 16],
      ['|b1', 1],
      ['<U5', 20],
      ['|S10', 10],
      ['|V8', 8],
      ['<M8[ns]', 8],
      ['<m8[10s]', 8],
      ['<M8', 8],
      ['<U0', 0],
    ];
    for (const [typestr, size] of cases) expect([typestr, dtypeItem(typestr)]).toEqual([typestr, item(size)]);
  });

  it('gives the sizes of one-character codes and of the kind+size strings numpy.dtype pickles carry', () => {
    const cases: [string, number][] = [
      ['f', 4],
      ['d', 8],
      ['g', 16],
      ['l', 8],
      ['i', 4],
      ['?', 1],
      ['b', 1],
      ['c', 1],
      ['M', 8],
      ['U', 0],
      ['S', 0],
      ['V', 0],
      ['f8', 8],
      ['U5', 20],
      ['V16', 16],
      ['M8', 8],
    ];
    for (const [typestr, size] of cases) expect([typestr, dtypeItem(typestr)]).toEqual([typestr, item(size)]);
  });

  it('marks object dtypes, whatever their spelling', () => {
    for (const typestr of ['O', '|O', 'O8', 'O4', '|O8']) {
      expect([typestr, dtypeItem(typestr)]).toEqual([typestr, item(8, true)]);
    }
  });

  it('refuses what numpy.dtype refuses, and what has no known size', () => {
    for (const typestr of [
      '',
      '<',
      '|',
      '<f3',
      '<i3',
      '<i0',
      '<b2',
      '<d8',
      '<O2',
      '<f8[ns]',
      '<M4',
      '<M8[fortnight]',
      'float64',
      'T',
      'x',
      '<U999999999',
      '<S99999999999',
    ]) {
      expect([typestr, dtypeItem(typestr)]).toEqual([typestr, undefined]);
    }
  });
});
