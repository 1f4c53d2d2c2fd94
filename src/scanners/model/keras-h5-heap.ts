import { closeSync, fstatSync, openSync } from 'node:fs';
import { ParseError } from '../../core/errors.js';
import { readFully } from '../../targets/file.js';

/*
 * The HDF5 library loops forever on a global heap collection (where variable-length strings such as Keras 3's
 * `keras_version` attribute live) holding a free-space object of size 0: its object walk never advances. The
 * library runs synchronously in WebAssembly, so neither the deadline nor a timer can stop it. Before HDF5 opens
 * a file, every collection in it (HDF5 only accepts one that starts with the `GCOL` signature) is walked here as
 * HDF5 walks it, and one whose walk would not end is refused. HDF5 writes no object smaller than its header.
 */

const SIGNATURE = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');
const COLLECTION = Buffer.from('GCOL', 'latin1');
const CHUNK_BYTES = 1 << 20;

/** Random access to the HDF5 content, on disk or in memory. */
interface Source {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

function memorySource(bytes: Uint8Array): Source {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

function fileSource(fd: number): Source {
  return {
    size: fstatSync(fd).size,
    read: (offset, length) => {
      const buffer = new Uint8Array(length);
      return buffer.subarray(0, readFully(fd, buffer, 0, length, offset));
    },
  };
}

/** `sizeof lengths` of the superblock (at 0 or after a user block of 512, 1024, … bytes), if valid. */
function lengthSize(source: Source): number | undefined {
  for (let offset = 0; offset + 16 <= source.size; offset = offset === 0 ? 512 : offset * 2) {
    const head = Buffer.from(source.read(offset, 16));
    if (!head.subarray(0, 8).equals(SIGNATURE)) continue;
    // Superblock versions 0 and 1 keep it at byte 14, versions 2 and 3 at byte 10.
    const version = head[8] ?? 0;
    const lengths = version < 2 ? head[14] : head[10];
    // Other versions and sizes the library refuses by itself.
    return version <= 3 && lengths !== undefined && [2, 4, 8, 16, 32].includes(lengths) ? lengths : undefined;
  }
  return undefined;
}

/** Reads a little-endian length the way a 32-bit build of HDF5 keeps it (`size_t`): the low 32 bits. */
function low32(bytes: Uint8Array, at: number, size: number): number {
  let value = 0;
  for (let index = Math.min(size, 4) - 1; index >= 0; index -= 1) {
    value = value * 256 + (bytes[at + index] ?? 0);
  }
  return value;
}

/** Walks the objects of the collection at `offset` as HDF5 does; throws if the walk would not end. */
function checkCollection(source: Source, offset: number, lengths: number, limit: number): void {
  const header = source.read(offset, 8 + lengths);
  const size = low32(header, 8, lengths);
  // HDF5 refuses by itself a collection of another version than 1 (which also tells `GCOL` bytes in tensor
  // data from a collection) and one it cannot read whole (past the end, or over the read bounds).
  if (header[4] !== 1 || size > limit || offset + size > source.size) return;
  const heap = source.read(offset, size);
  const objectHeader = 8 + lengths;
  let position = (8 + lengths + 7) & ~7;
  while (position < size) {
    if (position + objectHeader > size) return; // the rest is free space too small for an object
    const index = (heap[position] ?? 0) | ((heap[position + 1] ?? 0) << 8);
    const objectSize = low32(heap, position + 8, lengths);
    const need = index > 0 ? objectHeader + (((objectSize + 7) & ~7) >>> 0) : objectSize;
    if (need < objectHeader || position + need > size) {
      throw new ParseError(
        'BAD_STRUCTURE',
        `HDF5 global heap at offset ${offset} has an object of ${objectSize} bytes that HDF5 cannot walk past`,
      );
    }
    position += need;
  }
}

/** Offsets of every `GCOL` signature in the content, read in chunks. */
function collectionOffsets(source: Source): number[] {
  const found: number[] = [];
  for (let start = 0; start < source.size; start += CHUNK_BYTES) {
    // Overlap by the signature length less one, so a signature across two chunks is seen once.
    const chunk = Buffer.from(source.read(start, CHUNK_BYTES + COLLECTION.length - 1));
    for (let at = chunk.indexOf(COLLECTION); at !== -1; at = chunk.indexOf(COLLECTION, at + 1)) {
      if (at < CHUNK_BYTES) found.push(start + at);
    }
  }
  return found;
}

/**
 * Refuses HDF5 content with a global heap collection the HDF5 library would loop on forever (see above).
 * `limit`: the largest collection HDF5 can read here, beyond which it fails by itself.
 */
export function checkGlobalHeaps(input: { path: string } | { bytes: Uint8Array }, limit: number): void {
  if ('bytes' in input) {
    checkSource(memorySource(input.bytes), limit);
    return;
  }
  const fd = openSync(input.path, 'r');
  try {
    checkSource(fileSource(fd), limit);
  } finally {
    closeSync(fd);
  }
}

function checkSource(source: Source, limit: number): void {
  const lengths = lengthSize(source);
  if (lengths === undefined) return; // no superblock the library accepts: it refuses the content by itself
  for (const offset of collectionOffsets(source)) checkCollection(source, offset, lengths, limit);
}
