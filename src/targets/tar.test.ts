import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { decompress } from './decompress.js';
import { MemorySource } from './memory.js';
import type { ByteSource } from './source.js';
import { TarReader } from './tar.js';
import { buildTar } from './test-archives.js';

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
