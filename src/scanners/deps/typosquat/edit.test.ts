import { describe, expect, it } from 'vitest';
import { DeletionIndex } from './deletion-index.js';
import { describeEdit, singleEdit } from './edit.js';

describe('singleEdit', () => {
  it('names the one edit between two names', () => {
    expect(singleEdit('requests', 'reqeusts')).toEqual({
      kind: 'transposition',
      expected: 'ue',
      found: 'eu',
    });
    expect(singleEdit('numpy', 'numpi')).toEqual({ kind: 'substitution', expected: 'y', found: 'i' });
    expect(singleEdit('numpy', 'numppy')).toEqual({ kind: 'insertion', found: 'p' });
    expect(singleEdit('pyyaml', 'pyaml')).toEqual({ kind: 'deletion', expected: 'y' });
    expect(singleEdit('torch', 'torchx')).toEqual({ kind: 'insertion', found: 'x' });
    expect(singleEdit('torch', 'xtorch')).toEqual({ kind: 'insertion', found: 'x' });
  });

  it('returns nothing for equal names or names two edits apart', () => {
    expect(singleEdit('requests', 'requests')).toBeUndefined();
    expect(singleEdit('requests', 'reqeustz')).toBeUndefined();
    expect(singleEdit('numpy', 'nmupi')).toBeUndefined();
    expect(singleEdit('abc', 'cba')).toBeUndefined();
    expect(singleEdit('flask', 'flaskxy')).toBeUndefined();
  });

  it('describes edits for evidence', () => {
    const edit = singleEdit('requests', 'reqeusts');
    expect(edit && describeEdit(edit)).toBe('1 transposition (`eu` for `ue`)');
  });
});

describe('DeletionIndex', () => {
  const keys = ['requests', 'numpy', 'python-dateutil', 'flask'];
  const index = new DeletionIndex(keys);

  it('finds every key within one edit, whichever the edit', () => {
    for (const [probe, key] of [
      ['reqeusts', 0],
      ['requets', 0],
      ['requestss', 0],
      ['numpi', 1],
      ['pythn-dateutil', 2],
      ['flask', 3],
    ] as const) {
      expect(index.candidates(probe), probe).toContain(key);
    }
  });

  it('does not return keys two or more edits away (beyond rare hash collisions, verified by callers)', () => {
    expect(index.candidates('django').size).toBe(0);
    expect(index.candidates('nmupi').has(1)).toBe(false);
  });
});
