import { createHash } from 'node:crypto';
import { open, realpath, stat } from 'node:fs/promises';
import { LimitError } from '../../core/errors.js';
import type { RecordEntry } from '../deps/formats/record.js';
import { isWithin } from './integrity-paths.js';

/** Bytes one RECORD check may read: each file and all files together. */
export class HashBudget {
  used = 0;

  constructor(
    readonly maxFileBytes: number,
    readonly maxTotalBytes: number,
  ) {}

  /** Reserves `size` bytes before a file is read; throws the `LimitError` that makes the RECORD unscannable. */
  take(size: number, display: string): void {
    if (size > this.maxFileBytes)
      throw new LimitError(
        'FILE_SIZE',
        `${display} has ${size} bytes, more than the per-file limit of ${this.maxFileBytes}`,
      );
    if (this.used + size > this.maxTotalBytes)
      throw new LimitError(
        'DECOMPRESSED_SIZE',
        `verifying ${display} would read more than ${this.maxTotalBytes} bytes of installed files in all`,
      );
    this.used += size;
  }
}

export type EntryCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'escape'; readonly reason: string }
  | { readonly kind: 'modified'; readonly reason: string; readonly actualSize?: number };

const CHUNK = 1024 * 1024;

/**
 * Checks one hashed RECORD entry against the file at `absolute`. Symbolic links are resolved but never followed
 * out of `prefix`; anything but a regular file is reported, never opened (a FIFO would block the read).
 */
export async function checkEntry(
  entry: RecordEntry & { readonly hash: NonNullable<RecordEntry['hash']> },
  absolute: string,
  prefix: string,
  budget: HashBudget,
  buffer: Buffer,
  checkDeadline: () => void,
): Promise<EntryCheck> {
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    if (isMissing(error)) return { kind: 'missing' };
    if ((error as { code?: unknown } | null)?.code === 'ELOOP')
      return { kind: 'modified', reason: 'is a loop of symbolic links' };
    throw error;
  }
  if (!isWithin(prefix, real))
    return { kind: 'escape', reason: `resolves through a symbolic link to ${real}, outside the environment` };
  const info = await stat(real);
  if (!info.isFile()) return { kind: 'modified', reason: 'is not a regular file' };
  if (entry.size !== undefined && info.size !== entry.size)
    return {
      kind: 'modified',
      reason: `has ${info.size} bytes where RECORD lists ${entry.size}`,
      actualSize: info.size,
    };
  let hash;
  try {
    hash = createHash(entry.hash.algorithm);
  } catch {
    return { kind: 'modified', reason: `RECORD uses the unknown digest algorithm ${entry.hash.algorithm}` };
  }
  budget.take(info.size, entry.path);
  const handle = await open(real, 'r');
  let read = 0;
  try {
    for (;;) {
      checkDeadline();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, read);
      if (bytesRead === 0) break;
      read += bytesRead;
      if (read > info.size) {
        budget.take(bytesRead, entry.path);
      }
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  if (entry.size !== undefined && read !== entry.size)
    return {
      kind: 'modified',
      reason: `has ${read} bytes where RECORD lists ${entry.size}`,
      actualSize: read,
    };
  return hash.digest('base64url') === entry.hash.digest
    ? { kind: 'ok' }
    : {
        kind: 'modified',
        reason: `its ${entry.hash.algorithm} digest differs from RECORD`,
        actualSize: read,
      };
}

export function hashBuffer(): Buffer {
  return Buffer.allocUnsafe(CHUNK);
}

export function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
