import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { messageOf, ParseError } from '../../../core/errors.js';
import { FileAccess } from '../../../targets/file.js';
import { bufferSource } from '../../../targets/memory.js';
import type { ByteSource } from '../../../targets/source.js';
import { openZipEntry } from '../../../targets/zip-entry.js';
import { readLocalHeader, readZipDirectory } from '../../../targets/zip.js';
import { recordOf, type OsvRecord } from './schema.js';

/** One database file may not exceed this; V8 strings stop at about 512 MiB anyway. */
const MAX_SOURCE_BYTES = 400 * 1024 * 1024;
/** OSV.dev's PyPI `all.zip` holds some 40,000 records; the cap only stops a hostile archive. */
const MAX_ZIP_ENTRIES = 1_000_000;
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const MAX_FOLDER_DEPTH = 8;
const RECORD_EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

export type SourceKind = 'folder' | 'jsonl' | 'zip' | 'json';

/** What a database path holds, from the file system: a folder, or a file named `.jsonl`, `.zip` or `.json`. */
export function sourceKindOf(path: string): SourceKind {
  if (statSync(path).isDirectory()) return 'folder';
  const extension = extname(path).toLowerCase();
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  if (extension === '.zip') return 'zip';
  if (extension === '.json') return 'json';
  throw new ParseError(
    'UNSUPPORTED',
    `OSV database ${path}: expected a folder, a .jsonl, a .json or an all.zip`,
  );
}

function failure(where: string, error: unknown): ParseError {
  return new ParseError('BAD_STRUCTURE', `OSV database ${where}: ${messageOf(error)}`);
}

/** Parses one record's text; `where` is `file` or `file:line` for the error. YAML stays in the core schema so dates stay strings. */
function parseRecord(text: string, yaml: boolean, where: string): OsvRecord {
  try {
    const value: unknown = yaml
      ? parseYaml(text, { schema: 'core', uniqueKeys: true, maxAliasCount: 0 })
      : JSON.parse(text);
    return recordOf(value);
  } catch (error) {
    throw failure(where, error);
  }
}

function readBounded(path: string): string {
  const size = statSync(path).size;
  if (size > MAX_SOURCE_BYTES)
    throw new ParseError(
      'BAD_STRUCTURE',
      `OSV database ${path}: ${size} bytes is over the ${MAX_SOURCE_BYTES}-byte limit`,
    );
  return readFileSync(path, 'utf8');
}

function loadJsonl(path: string): OsvRecord[] {
  const records: OsvRecord[] = [];
  const lines = readBounded(path).split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line !== '') records.push(parseRecord(line, false, `${path}:${index + 1}`));
  }
  return records;
}

/** Record files under a folder, sorted so that the index (and its errors) do not depend on directory order. */
export function recordFiles(folder: string): string[] {
  const files: string[] = [];
  const walk = (directory: string, depth: number): void => {
    if (depth > MAX_FOLDER_DEPTH) return;
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.isFile() && RECORD_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(path);
    }
  };
  walk(folder, 0);
  return files.sort();
}

function loadFolder(folder: string): OsvRecord[] {
  return recordFiles(folder).map((path) => {
    const yaml = extname(path).toLowerCase() !== '.json';
    return parseRecord(readBounded(path), yaml, `${folder}/${relative(folder, path)}`);
  });
}

async function readAll(source: ByteSource, where: string): Promise<string> {
  const bytes = await bufferSource(source, MAX_RECORD_BYTES, () =>
    failure(where, `record over ${MAX_RECORD_BYTES} bytes`),
  );
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** OSV.dev's per-ecosystem export: one `<ID>.json` member per record, read with mlsec's own zip reader. */
async function loadZip(path: string): Promise<OsvRecord[]> {
  const access = await FileAccess.open(path);
  try {
    const directory = await readZipDirectory(access, MAX_ZIP_ENTRIES);
    if (directory === undefined) throw failure(path, 'not a zip archive');
    if (directory.truncated) throw failure(path, `more than ${MAX_ZIP_ENTRIES} members`);
    const records: OsvRecord[] = [];
    const limits = { maxDecompressedBytes: MAX_RECORD_BYTES, maxCompressionRatio: 10_000 };
    for (const entry of directory.entries) {
      if (!entry.name.toLowerCase().endsWith('.json')) continue;
      const where = `${path}!${entry.name}`;
      const local = await readLocalHeader(access, entry);
      const source = await openZipEntry(access, entry, local, limits, where);
      try {
        records.push(parseRecord(await readAll(source, where), false, where));
      } finally {
        await source.close();
      }
    }
    return records;
  } finally {
    await access.close();
  }
}

/**
 * Every record of a database. A record that cannot be parsed or breaks the schema fails the whole load with a
 * `ParseError` naming the file (and line for JSONL, member for zips): an audit against a silently shortened
 * database would call vulnerable pins clean.
 */
export async function loadRecords(path: string): Promise<OsvRecord[]> {
  switch (sourceKindOf(path)) {
    case 'folder':
      return loadFolder(path);
    case 'jsonl':
      return loadJsonl(path);
    case 'zip':
      return loadZip(path);
    case 'json':
      return [parseRecord(readBounded(path), false, path)];
  }
}
