import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import { parseRecord, recordMatches } from './record.js';

const SITE = resolve(
  import.meta.dirname,
  '../../../../test/fixtures/deps/env/venv/lib/python3.11/site-packages',
);

describe('parseRecord', () => {
  it('reads paths, urlsafe-base64 sha256 digests and sizes, quoted fields, and empty hash rows', async () => {
    const text = await readFile(join(SITE, 'app-1.0.dist-info/RECORD'), 'utf8');
    const entries = parseRecord(text, 'RECORD');
    expect(entries.map((entry) => entry.path)).toEqual([
      'app/__init__.py',
      'app-1.0.dist-info/METADATA',
      'app-1.0.dist-info/direct_url.json',
      'app-1.0.dist-info/REQUESTED',
      'app-1.0.dist-info/RECORD',
      'app/__pycache__/__init__.cpython-311.pyc',
      'app/data,with comma.txt',
      '../../../bin/app',
    ]);
    expect(entries[0]).toMatchObject({ hash: { algorithm: 'sha256' }, size: 48, line: 1 });
    expect(entries[3]).toEqual({ path: 'app-1.0.dist-info/REQUESTED', line: 4 });
  });

  it('checks installed files against their rows', async () => {
    const entries = parseRecord(await readFile(join(SITE, 'app-1.0.dist-info/RECORD'), 'utf8'), 'RECORD');
    const [init, metadata] = entries;
    if (init === undefined || metadata === undefined) throw new Error('fixture RECORD is empty');
    expect(recordMatches(init, await readFile(join(SITE, init.path)))).toBe(true);
    expect(recordMatches(metadata, await readFile(join(SITE, metadata.path)))).toBe(true);
    expect(recordMatches(init, Buffer.from('tampered'))).toBe(false);
    expect(recordMatches(entries[4] ?? init, Buffer.from(''))).toBeUndefined();
    expect(
      recordMatches({ path: 'x', hash: { algorithm: 'nosuch', digest: 'AA' }, line: 1 }, Buffer.from('')),
    ).toBeUndefined();
  });

  it('accepts CRLF and the empty digest of an empty file', () => {
    expect(
      parseRecord('a.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\nRECORD,,\r\n', 'R'),
    ).toHaveLength(2);
  });

  it('reads the hex digests old pypa/installer versions wrote as the same bytes', () => {
    const hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const [entry] = parseRecord(`a.py,sha256=${hex},0\n`, 'R');
    expect(entry?.hash?.digest).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
    expect(entry && recordMatches(entry, new Uint8Array())).toBe(true);
  });

  it.each([
    ['a.py,sha256=abc', 1, /expected 3 fields/],
    ['ok.py,,\na.py,sha256=abc,1', 2, /not 32 bytes/],
    ['a.py,sha256:abc,1', 1, /malformed hash/],
    ['a.py,,12kb', 1, /malformed size/],
    [',,', 1, /empty path/],
    ['"a.py,,', 1, /unterminated/],
    ['"a"b,,', 1, /unterminated/],
  ])('fails closed on %j with the line', (text, line, message) => {
    let error: unknown;
    try {
      parseRecord(text, 'x.dist-info/RECORD');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).message).toMatch(new RegExp(`^x\\.dist-info/RECORD:${line}: `));
    expect((error as ParseError).message).toMatch(message);
  });
});
