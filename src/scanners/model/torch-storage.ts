import { ParseError } from '../../core/errors.js';
import type { BufferedReader } from '../../targets/reader.js';

/** Bytes per element of each legacy storage class (`torch._utils._element_size` of its dtype). */
const ELEMENT_BYTES: ReadonlyMap<string, number> = new Map([
  ['DoubleStorage', 8],
  ['FloatStorage', 4],
  ['HalfStorage', 2],
  ['BFloat16Storage', 2],
  ['LongStorage', 8],
  ['IntStorage', 4],
  ['ShortStorage', 2],
  ['CharStorage', 1],
  ['ByteStorage', 1],
  ['BoolStorage', 1],
  ['ComplexDoubleStorage', 16],
  ['ComplexFloatStorage', 8],
  ['QUInt8Storage', 1],
  ['QInt8Storage', 1],
  ['QInt32Storage', 4],
  ['QUInt4x2Storage', 1],
  ['QUInt2x4Storage', 1],
  ['UntypedStorage', 1],
]);

/** Element size for a storage type written as `FloatStorage` or `torch.FloatStorage`; undefined if unknown. */
export function storageElementBytes(storageType: string): number | undefined {
  return ELEMENT_BYTES.get(storageType.slice(storageType.lastIndexOf('.') + 1));
}

/** Reads a little-endian signed integer of 4 or 8 bytes; throws at the end of data. */
export async function readLittleEndian(reader: BufferedReader, bytes: 4 | 8, what: string): Promise<bigint> {
  const at = reader.offset;
  const data = await reader.take(bytes);
  if (data.length < bytes) throw new ParseError('TRUNCATED', `${what} cut short`, at);
  const view = new DataView(data.buffer, data.byteOffset, bytes);
  return bytes === 4 ? BigInt(view.getInt32(0, true)) : view.getBigInt64(0, true);
}

/** Skips `count` bytes of raw storage data, which no loader interprets as code; throws if the data ends first. */
export async function skipRaw(reader: BufferedReader, count: bigint, what: string): Promise<void> {
  const at = reader.offset;
  if (count < 0n || count > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ParseError('INVALID_LENGTH', `${what} has an impossible length ${count}`, at);
  }
  const wanted = Number(count);
  if ((await reader.skip(wanted)) < wanted) throw new ParseError('TRUNCATED', `${what} cut short`, at);
}
