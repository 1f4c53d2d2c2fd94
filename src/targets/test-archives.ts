/**
 * Test support only: builds small zip and tar archives byte by byte, including the hostile variants real
 * tools refuse to write (local/central name mismatch, flag bits, wrong CRC, bytes before the archive).
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipMemberSpec {
  readonly name: string;
  readonly data: Uint8Array;
  /** 0 stored (default), 8 deflate, anything else is written as stored bytes under that method number. */
  readonly method?: number;
  readonly flags?: number;
  /** Name written in the local header when it should differ from the central one. */
  readonly localName?: string;
  readonly crc?: number;
}

export interface ZipSpec {
  readonly members: readonly ZipMemberSpec[];
  /** Bytes before the first local header. */
  readonly prefix?: Uint8Array;
  /** Whether central offsets count from the start of the file (true) or of the archive (false, `cat a b`). */
  readonly absoluteOffsets?: boolean;
  readonly declaredEntries?: number;
}

const encoder = new TextEncoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function fields(values: readonly (readonly [number, 2 | 4])[]): Uint8Array {
  const out = new Uint8Array(values.reduce((sum, [, size]) => sum + size, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [value, size] of values) {
    if (size === 2) view.setUint16(at, value, true);
    else view.setUint32(at, value >>> 0, true);
    at += size;
  }
  return out;
}

export function buildZip(spec: ZipSpec): Uint8Array {
  const prefix = spec.prefix ?? new Uint8Array(0);
  const base = spec.absoluteOffsets === false ? 0 : prefix.length;
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const member of spec.members) {
    const method = member.method ?? 0;
    const stored = method === 8 ? deflateRawSync(member.data) : member.data;
    const crc = member.crc ?? crc32(member.data);
    const flags = member.flags ?? 0;
    const name = encoder.encode(member.name);
    const localName = encoder.encode(member.localName ?? member.name);
    const common: (readonly [number, 2 | 4])[] = [
      [flags, 2],
      [method, 2],
      [0, 2],
      [0x21, 2],
      [crc, 4],
      [stored.length, 4],
      [member.data.length, 4],
    ];
    const local = concat([
      fields([[0x04034b50, 4], [20, 2], ...common, [localName.length, 2], [0, 2]]),
      localName,
      stored,
    ]);
    centrals.push(
      concat([
        fields([
          [0x02014b50, 4],
          [20, 2],
          [20, 2],
          ...common,
          [name.length, 2],
          [0, 2],
          [0, 2],
          [0, 2],
          [0, 2],
          [0, 4],
          [base + offset, 4],
        ]),
        name,
      ]),
    );
    locals.push(local);
    offset += local.length;
  }
  const central = concat(centrals);
  const count = spec.declaredEntries ?? spec.members.length;
  const end = fields([
    [0x06054b50, 4],
    [0, 2],
    [0, 2],
    [count, 2],
    [count, 2],
    [central.length, 4],
    [base + offset, 4],
    [0, 2],
  ]);
  return concat([prefix, ...locals, central, end]);
}

function tarHeader(name: string, size: number, type: string, linkName: string): Uint8Array {
  const header = new Uint8Array(512);
  const put = (text: string, at: number): void => {
    header.set(encoder.encode(text), at);
  };
  put(name, 0);
  put('0000644\0', 100);
  put('0000000\0', 108);
  put('0000000\0', 116);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124);
  put('00000000000\0', 136);
  put('        ', 148);
  put(type, 156);
  put(linkName, 157);
  put('ustar\0', 257);
  put('00', 263);
  const sum = header.reduce((total, byte) => total + byte, 0);
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

export interface TarMemberSpec {
  readonly name: string;
  /** Written after the header, padded to a block; its length is the header's size field. */
  readonly data: Uint8Array;
  /** Type flag, `0` (regular file) unless given. */
  readonly type?: string;
  readonly linkName?: string;
}

/** A ustar archive of the given members, followed by the two zero blocks that end it. */
export function buildTar(members: readonly TarMemberSpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const member of members) {
    parts.push(
      tarHeader(member.name, member.data.length, member.type ?? '0', member.linkName ?? ''),
      member.data,
    );
    parts.push(new Uint8Array((512 - (member.data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return concat(parts);
}

export { concat as concatBytes };
