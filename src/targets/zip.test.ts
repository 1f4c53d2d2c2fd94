import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../core/errors.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { MemoryAccess } from './memory.js';
import { buildZip } from './test-archives.js';
import { localHeaderMismatches, readLocalHeader, readZipDirectory } from './zip.js';
import { openZipEntry } from './zip-entry.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const corpus = resolve(import.meta.dirname, '../../../shared/corpora/models-testdata/picklescan-data2');

async function memberText(bytes: Uint8Array, index: number): Promise<string> {
  const access = new MemoryAccess(bytes, 'test.zip');
  const directory = await readZipDirectory(access, 100);
  const entry = directory?.entries[index];
  if (entry === undefined) throw new Error('no such entry');
  const source = await openZipEntry(
    access,
    entry,
    await readLocalHeader(access, entry),
    DEFAULT_LIMITS,
    entry.name,
  );
  let text = '';
  for (let chunk = await source.read(100); chunk.length > 0; chunk = await source.read(100))
    text += Buffer.from(chunk).toString();
  return text;
}

describe('readZipDirectory', () => {
  it('lists stored and deflated members and reads them', async () => {
    const zip = buildZip({
      members: [
        { name: 'archive/data.pkl', data: encode('stored member') },
        { name: 'archive/data/0', data: encode('deflated '.repeat(50)), method: 8 },
      ],
    });
    const directory = await readZipDirectory(new MemoryAccess(zip, 'z'), 100);
    expect(directory?.entries.map((entry) => [entry.name, entry.method])).toEqual([
      ['archive/data.pkl', 0],
      ['archive/data/0', 8],
    ]);
    expect(directory?.base).toBe(0);
    expect(await memberText(zip, 0)).toBe('stored member');
    expect(await memberText(zip, 1)).toBe('deflated '.repeat(50));
  });

  it.each([
    [
      'bzip2',
      'UEsDBC4AAAAMACR3el3fpaZbRQAAAGgBAAAFAAAAbS50eHRCWmg5MUFZJlNZH6QpxQAAJ5GAQAAeAtgAIABQgBgFKoaepk2TRMJ4TCcJ4TCYTRPSbJsmE0ThNk7J+LuSKcKEgP0hTihQSwECLgMuAAAADAAkd3pd36WmW0UAAABoAQAABQAAAAAAAAAAAAAAgAEAAAAAbS50eHRQSwUGAAAAAAEAAQAzAAAAaAAAAAAA',
    ],
    [
      'lzma',
      'UEsDBD8AAgAOACR3el3fpaZbKgAAAGgBAAAFAAAAbS50eHQJBAUAXQAAgAAAMZvJ8/a8jsXOHVe6i/FhnILmqS9pLORwxZ///3gkAABQSwECPwM/AAIADgAkd3pd36WmWyoAAABoAQAABQAAAAAAAAAAAAAAgAEAAAAAbS50eHRQSwUGAAAAAAEAAQAzAAAATQAAAAAA',
    ],
  ])('reads %s members written by Python zipfile', async (_method, base64) => {
    expect(await memberText(Buffer.from(base64, 'base64'), 0)).toBe('compressed member '.repeat(20));
  });

  it('refuses a compression method it cannot decode', async () => {
    const zip = buildZip({ members: [{ name: 'data.pkl', data: encode('x'), method: 99 }] });
    await expect(memberText(zip, 0)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('reads the zip64 end records torch.save writes', async () => {
    const bytes = await readFile(
      resolve(import.meta.dirname, '../../test/fixtures/model/benign/torch/state_dict.pt'),
    );
    const directory = await readZipDirectory(new MemoryAccess(bytes, 'state_dict.pt'), 100);
    expect(directory?.entries.map((entry) => entry.name)).toContain('state_dict/data.pkl');
    expect(directory?.base).toBe(0);
  });

  it('returns undefined for data without an end record', async () => {
    expect(await readZipDirectory(new MemoryAccess(encode('not a zip at all'), 'x'), 100)).toBeUndefined();
  });

  it('locates an archive appended to other data the way zipfile does', async () => {
    const zip = buildZip({
      prefix: encode('leading bytes'),
      absoluteOffsets: false,
      members: [{ name: 'a.txt', data: encode('A') }],
    });
    const directory = await readZipDirectory(new MemoryAccess(zip, 'z'), 100);
    expect(directory?.base).toBe(13);
    expect(directory?.entries[0]?.localHeaderOffset).toBe(13);
    expect(await memberText(zip, 0)).toBe('A');
  });

  it('reads past flag bits that make zipfile and yauzl give up', async () => {
    const zip = buildZip({ members: [{ name: 'data.pkl', data: encode('plain'), flags: 0x41 }] });
    expect(await memberText(zip, 0)).toBe('plain');
  });

  it('stops listing at the member limit', async () => {
    const zip = buildZip({ members: [1, 2, 3].map((n) => ({ name: `m${n}`, data: encode('x') })) });
    const directory = await readZipDirectory(new MemoryAccess(zip, 'z'), 2);
    expect(directory?.entries).toHaveLength(2);
    expect(directory?.truncated).toBe(true);
  });

  it('rejects a directory that points outside the file', async () => {
    const zip = buildZip({ members: [{ name: 'a', data: encode('A') }] });
    const broken = zip.slice(20);
    await expect(readZipDirectory(new MemoryAccess(broken, 'z'), 100)).rejects.toBeInstanceOf(ParseError);
  });
});

describe('localHeaderMismatches', () => {
  it('reports a local name that differs from the central one (CVE-2025-1944)', async () => {
    const zip = buildZip({
      members: [{ name: 'archive/data.pkl', localName: 'archive/other.pkl', data: encode('x') }],
    });
    const access = new MemoryAccess(zip, 'z');
    const entry = (await readZipDirectory(access, 10))?.entries[0];
    if (entry === undefined) throw new Error('no entry');
    expect(localHeaderMismatches(entry, await readLocalHeader(access, entry))).toEqual([
      "local header names 'archive/other.pkl'",
    ]);
  });

  it('accepts a consistent archive written by Python (picklescan malicious1_crc.zip has only a wrong CRC)', async () => {
    const bytes = await readFile(resolve(corpus, 'malicious1_crc.zip'));
    const access = new MemoryAccess(bytes, 'z');
    const entry = (await readZipDirectory(access, 10))?.entries[0];
    if (entry === undefined) throw new Error('no entry');
    expect(entry.name).toBe('data.pkl');
    expect(localHeaderMismatches(entry, await readLocalHeader(access, entry))).toEqual([]);
  });
});
