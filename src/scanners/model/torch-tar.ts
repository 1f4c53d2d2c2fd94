import { ParseError } from '../../core/errors.js';
import type { BufferedReader } from '../../targets/reader.js';
import type { Content } from './content.js';
import { looksLikePickle, scanOnePickle, type PyConst } from './pickle/index.js';
import { pickleOptions, type Scope } from './scope.js';
import { readLittleEndian, skipRaw } from './torch-storage.js';

/** Bound on records, so a hostile count cannot keep the loop alive past the end of the data. */
const MAX_RECORDS = 10_000_000;

function recordCount(value: PyConst | undefined, what: string): number {
  const count = typeof value === 'bigint' ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || count > MAX_RECORDS) {
    throw new ParseError('BAD_STRUCTURE', `${what} does not start with a record count`);
  }
  return count;
}

/** Element sizes of all storage types (bool/byte … complex double). */
const ELEMENT_SIZES = [1n, 2n, 4n, 8n, 16n] as const;
/** Storage data looked ahead into to find where the next record starts. */
const MAX_PROBED_BYTES = 64 * 1024 * 1024;
const PICKLE_HEAD_BYTES = 256;

/**
 * Bytes of raw data in a `storages` record of `numel` elements. The element size comes from the record's
 * storage class, a global the pickle machine does not hand back as a constant; so the data's length is found
 * from what follows it instead: the next record always starts with a pickle. Of the positions the five possible
 * element sizes give, exactly one must start a pickle; if none or several do, the length is ambiguous (a crafted
 * file could offer a decoy) and the rest of the member is not read.
 */
async function storageDataBytes(reader: BufferedReader, numel: bigint, index: number): Promise<bigint> {
  if (numel < 0n || numel * 16n > BigInt(MAX_PROBED_BYTES)) {
    throw new ParseError(
      'UNSUPPORTED',
      `storage record ${index} is too large to locate the next record`,
      reader.offset,
    );
  }
  await reader.ensure(Number(numel * 16n) + PICKLE_HEAD_BYTES);
  const starts = new Set<bigint>();
  for (const size of ELEMENT_SIZES) {
    const at = reader.cursor + Number(numel * size);
    if (
      at < reader.limit &&
      looksLikePickle(reader.buffer.subarray(at, Math.min(reader.limit, at + PICKLE_HEAD_BYTES)))
    ) {
      starts.add(numel * size);
    }
  }
  const [only] = starts;
  if (starts.size !== 1 || only === undefined) {
    throw new ParseError('UNSUPPORTED', `cannot tell where storage record ${index} ends`, reader.offset);
  }
  return only;
}

/**
 * `storages` and `tensors` of a legacy torch tar, read as `_legacy_load` reads them. `storages`: a count
 * pickle, then per storage an argument pickle, an int64 element count and the raw elements, then a pickle of
 * storage views. `tensors`: a count pickle, then per tensor an argument pickle, an int32 rank, 4 padding bytes,
 * rank int64 sizes, rank int64 strides and an int64 offset. Every pickle is scanned; raw data is skipped.
 * Content that does not start with a pickle is not such a record file and is scanned by content instead.
 */
export async function scanTorchTarRecords(scope: Scope, content: Content, name: string): Promise<void> {
  const { context } = scope;
  const reader = content.reader;
  await reader.ensure(16);
  if (!looksLikePickle(reader.buffer.subarray(reader.cursor, reader.limit))) {
    await scope.scan(content);
    return;
  }
  const options = pickleOptions(scope, content);
  const count = recordCount((await scanOnePickle(reader, context, options)).value, name);
  for (let index = 0; index < count; index += 1) {
    context.checkDeadline();
    await scanOnePickle(reader, context, options);
    if (name === 'tensors') {
      const rank = await readLittleEndian(reader, 4, 'tensor rank');
      await skipRaw(reader, 4n + 16n * rank + 8n, 'tensor geometry');
      continue;
    }
    const numel = await readLittleEndian(reader, 8, 'storage element count');
    await skipRaw(reader, await storageDataBytes(reader, numel, index), 'storage data');
  }
  if (name === 'storages') await scanOnePickle(reader, context, options);
  if (!(await reader.atEnd())) {
    throw new ParseError(
      'BAD_STRUCTURE',
      `data after the last ${name} record, which torch never reads`,
      reader.offset,
    );
  }
}
