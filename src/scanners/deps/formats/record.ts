import { createHash } from 'node:crypto';
import { ParseError } from '../../../core/errors.js';

/**
 * `*.dist-info/RECORD` (the wheel spec): one CSV row per installed file, `path,algorithm=digest,size`, where the
 * digest is URL-safe base64 without padding. RECORD itself and compiled files have empty hash and size fields.
 */

export interface RecordEntry {
  /** The path as written, relative to the site-packages folder (it may climb out with `../` for scripts). */
  readonly path: string;
  readonly hash?: { readonly algorithm: string; readonly digest: string };
  readonly size?: number;
  readonly line: number;
}

/** Digest algorithms whose output length is known, so that a digest of the wrong length is caught. */
const DIGEST_BYTES: Readonly<Record<string, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** Parses RECORD; a row that is not three CSV fields, a malformed hash or size throws with the line. */
export function parseRecord(text: string, path: string): RecordEntry[] {
  const entries: RecordEntry[] = [];
  for (const [index, row] of text.split(/\r?\n/).entries()) {
    if (row === '') continue;
    const line = index + 1;
    const fail = (message: string): never => {
      throw new ParseError('BAD_STRUCTURE', `${path}:${line}: ${message}`);
    };
    const cells = splitCsvRow(row) ?? fail('unterminated quoted field');
    if (cells.length !== 3) fail(`expected 3 fields (path,hash,size), found ${cells.length}`);
    const [file = '', hash = '', size = ''] = cells;
    if (file === '') fail('empty path');
    let parsedHash: RecordEntry['hash'];
    if (hash !== '') {
      const match =
        /^([a-z0-9]+)=([A-Za-z0-9_-]+)$/.exec(hash) ?? fail(`malformed hash ${JSON.stringify(hash)}`);
      const [, algorithm = '', written = ''] = match;
      const expected = DIGEST_BYTES[algorithm];
      // pypa/installer before 0.6 (Debian 12's dh-python) wrote hex digests; read them as the bytes they mean.
      const hex = expected !== undefined && written.length === expected * 2 && /^[0-9a-f]+$/.test(written);
      const digest = hex ? Buffer.from(written, 'hex').toString('base64url') : written;
      if (expected !== undefined && Buffer.from(digest, 'base64url').length !== expected)
        fail(`${algorithm} digest is not ${expected} bytes`);
      parsedHash = { algorithm, digest };
    }
    if (size !== '' && !/^\d{1,15}$/.test(size)) fail(`malformed size ${JSON.stringify(size)}`);
    entries.push({
      path: file,
      ...(parsedHash !== undefined && { hash: parsedHash }),
      ...(size !== '' && { size: Number(size) }),
      line,
    });
  }
  return entries;
}

/** Python's `csv` dialect as wheels write it: `,` separated, `"` quoted with `""` for a quote. */
function splitCsvRow(row: string): string[] | undefined {
  const cells: string[] = [];
  let position = 0;
  for (;;) {
    if (row[position] === '"') {
      let cell = '';
      position++;
      for (;;) {
        const quote = row.indexOf('"', position);
        if (quote < 0) return undefined;
        cell += row.slice(position, quote);
        position = quote + 1;
        if (row[position] !== '"') break;
        cell += '"';
        position++;
      }
      cells.push(cell);
    } else {
      const comma = row.indexOf(',', position);
      cells.push(row.slice(position, comma < 0 ? row.length : comma));
      position = comma < 0 ? row.length : comma;
    }
    if (position >= row.length) return cells;
    if (row[position] !== ',') return undefined;
    position++;
  }
}

/**
 * Whether a file's content matches its RECORD row: `undefined` when the row has no hash or an algorithm Node does
 * not know, otherwise whether both the digest and the recorded size agree.
 */
export function recordMatches(entry: RecordEntry, content: Uint8Array): boolean | undefined {
  if (entry.hash === undefined) return undefined;
  let digest: string;
  try {
    digest = createHash(entry.hash.algorithm).update(content).digest('base64url');
  } catch {
    return undefined;
  }
  return digest === entry.hash.digest && (entry.size === undefined || entry.size === content.length);
}
