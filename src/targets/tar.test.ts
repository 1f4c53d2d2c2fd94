import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { decompress } from './decompress.js';
import { MemorySource } from './memory.js';
import type { ByteSource } from './source.js';
import { TarReader } from './tar.js';
import { buildTar, concatBytes } from './test-archives.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

async function text(source: ByteSource): Promise<string> {
  let result = '';
  for (let chunk = await source.read(7); chunk.length > 0; chunk = await source.read(7))
    result += Buffer.from(chunk).toString();
  return result;
}

async function list(
  reader: TarReader,
  read: (name: string) => boolean,
): Promise<[string, string | number][]> {
  const seen: [string, string | number][] = [];
  for (let member = await reader.next(); member !== undefined; member = await reader.next()) {
    seen.push([member.name, read(member.name) ? await text(member.source) : member.size]);
  }
  return seen;
}

describe('TarReader', () => {
  it('hands out file members in order, read or left unread', async () => {
    const tar = buildTar([
      { name: 'sys_info', data: encode('first') },
      { name: 'dir/', data: new Uint8Array(0), type: '5' },
      { name: 'pickle', data: new Uint8Array(70_000) },
      { name: 'storages', data: encode('third member') },
    ]);
    const reader = new TarReader(new MemorySource(tar, 't.tar'), 't.tar');
    expect(await list(reader, (name) => name !== 'pickle')).toEqual([
      ['sys_info', 'first'],
      ['pickle', 70_000],
      ['storages', 'third member'],
    ]);
    expect(reader.problems).toEqual([]);
  });

  it('reads a tar from a decompressed stream', async () => {
    const tar = gzipSync(buildTar([{ name: 'a.pkl', data: encode('alpha') }]));
    const reader = new TarReader(
      decompress('gzip', new MemorySource(tar, 't'), DEFAULT_LIMITS, 't.tar.gz'),
      't.tar.gz',
    );
    expect(await list(reader, () => true)).toEqual([['a.pkl', 'alpha']]);
  });

  it('collects problems on a truncated archive instead of hanging', async () => {
    const tar = buildTar([{ name: 'big', data: new Uint8Array(5000) }]).subarray(0, 2048);
    const reader = new TarReader(new MemorySource(tar, 't.tar'), 't.tar');
    await list(reader, () => true);
    expect(reader.problems.join(' ')).toMatch(/Truncated/);
  });

  it('reports members of a type node-tar drops but tarfile reads as files', async () => {
    const tar = buildTar([{ name: 'pickle', data: encode('payload'), type: 'Q' }]);
    const reader = new TarReader(new MemorySource(tar, 't.tar'), 't.tar');
    expect(await list(reader, () => true)).toEqual([]);
    expect(reader.problems.join(' ')).toMatch(/unsupported type/);
  });

  it('hands out members of types tarfile reads as files, such as GNU dump directories', async () => {
    const tar = buildTar([{ name: 'evil.pkl', data: encode('payload'), type: 'D' }]);
    const reader = new TarReader(new MemorySource(tar, 't.tar'), 't.tar');
    expect(await list(reader, () => true)).toEqual([['evil.pkl', 'payload']]);
    expect(reader.problems).toEqual([]);
  });

  it.each([
    ['1', 'Link'],
    ['2', 'SymbolicLink'],
    ['3', 'CharacterDevice'],
    ['4', 'BlockDevice'],
    ['6', 'FIFO'],
  ])(
    'reports a type %s entry with a size: node-tar skips the members tarfile reads there',
    async (type, name) => {
      // tarfile reads no data for these types, so the next header it reads is the hidden member's.
      const hidden = buildTar([{ name: 'evil.pkl', data: encode('payload') }]).subarray(0, 1024);
      const tar = buildTar([{ name: 'entry', data: hidden, type, linkName: type < '3' ? 'target' : '' }]);
      const reader = new TarReader(new MemorySource(tar, 't.tar'), 't.tar');
      expect(await list(reader, () => true)).toEqual([]);
      expect(reader.problems).toEqual([
        `${name} 'entry' declares 1024 bytes of data, which node-tar skips and Python's tarfile reads as the next header`,
      ]);
    },
  );

  it('reads dataless entries without a size as tarfile does', async () => {
    const tar = buildTar([
      { name: 'dir/', data: new Uint8Array(0), type: '5' },
      { name: 'fifo', data: new Uint8Array(0), type: '6' },
      { name: 'link', data: new Uint8Array(0), type: '2', linkName: 'dir' },
      { name: 'a.pkl', data: encode('alpha') },
    ]);
    const reader = new TarReader(new MemorySource(tar, 't.tar'), 't.tar');
    expect(await list(reader, () => true)).toEqual([['a.pkl', 'alpha']]);
    expect(reader.problems).toEqual([]);
  });

  it('reports an extended header too large for node-tar, which tarfile applies', async () => {
    // tarfile renames the next member; node-tar skips the header, so the names differ.
    const record = encode('17 path=evil.pkl\n');
    const tar = buildTar([
      { name: 'PaxHeader', data: concatBytes([record, new Uint8Array(1024 * 1024 + 1)]), type: 'x' },
      { name: 'a.pkl', data: encode('alpha') },
    ]);
    const reader = new TarReader(new MemorySource(tar, 't.tar'), 't.tar');
    await list(reader, () => true);
    expect(reader.problems.join(' ')).toMatch(/extended header of \d+ bytes is too large/);
  });

  it('reports a corrupted header checksum', async () => {
    const tar = buildTar([
      { name: 'a', data: encode('A') },
      { name: 'b', data: encode('B') },
    ]);
    tar[1024 + 10] = 0x41;
    const reader = new TarReader(new MemorySource(tar, 't.tar'), 't.tar');
    await list(reader, () => true);
    expect(reader.problems.join(' ')).toMatch(/checksum/);
  });
});
