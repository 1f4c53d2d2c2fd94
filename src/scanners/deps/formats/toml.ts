import { parse, TomlDate, TomlError } from 'smol-toml';
import { ParseError } from '../../../core/errors.js';

/** A TOML table or JSON object as parsed: values stay `unknown` until an accessor checks their type. */
export type Table = { readonly [key: string]: unknown };

/** Where a value sits, for error messages: the file and the line when the locator found one. */
export interface Where {
  readonly path: string;
  readonly line?: number | undefined;
}

/** A file whose structure is not what its format says: fail closed with the file and line. */
export function shapeError(where: Where, message: string): ParseError {
  return new ParseError('BAD_STRUCTURE', `${where.path}:${where.line ?? 1}: ${message}`);
}

/** Nesting far beyond any real lock file; smol-toml's default (1000) would let hostile input recurse deeply. */
const MAX_TOML_DEPTH = 64;

/** Parses a TOML dependency file; syntax errors become a `ParseError` naming the file, line and column. */
export function parseToml(text: string, path: string): Table {
  try {
    return parse(text, { maxDepth: MAX_TOML_DEPTH });
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'invalid TOML';
      throw new ParseError('BAD_STRUCTURE', `${path}:${error.line}:${error.column}: invalid TOML: ${reason}`);
    }
    throw error;
  }
}

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof TomlDate);
}

/** `table[key]` as a table, `undefined` when absent; any other type fails closed. */
export function tableAt(table: Table, key: string, where: Where): Table | undefined {
  const value = Object.hasOwn(table, key) ? table[key] : undefined;
  if (value === undefined) return undefined;
  if (!isTable(value)) throw shapeError(where, `"${key}" must be a table`);
  return value;
}

export function stringAt(table: Table, key: string, where: Where): string | undefined {
  const value = Object.hasOwn(table, key) ? table[key] : undefined;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw shapeError(where, `"${key}" must be a string`);
  return value;
}

export function booleanAt(table: Table, key: string, where: Where): boolean | undefined {
  const value = Object.hasOwn(table, key) ? table[key] : undefined;
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw shapeError(where, `"${key}" must be true or false`);
  return value;
}

export function arrayAt(table: Table, key: string, where: Where): readonly unknown[] | undefined {
  const value = Object.hasOwn(table, key) ? table[key] : undefined;
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw shapeError(where, `"${key}" must be an array`);
  return value as readonly unknown[];
}

/** An array of tables (`[[package]]`, `files = [{…}]`); an element of another type fails closed. */
export function tablesAt(table: Table, key: string, where: Where): readonly Table[] {
  const items = arrayAt(table, key, where) ?? [];
  return items.map((item) => {
    if (!isTable(item)) throw shapeError(where, `every element of "${key}" must be a table`);
    return item;
  });
}

export function stringsAt(table: Table, key: string, where: Where): readonly string[] {
  const items = arrayAt(table, key, where) ?? [];
  return items.map((item) => {
    if (typeof item !== 'string') throw shapeError(where, `every element of "${key}" must be a string`);
    return item;
  });
}

const HEADER = /^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(?:#.*)?$/;

/** `tool . "poetry".group.'dev'` → `tool.poetry.group.dev`: quotes and spaces around dots do not change a key. */
function normalizeKeyPath(path: string): string {
  return path
    .split('.')
    .map((part) => part.trim().replace(/^(["'])(.*)\1$/, '$2'))
    .join('.');
}

/**
 * Line numbers for a TOML file. smol-toml keeps no positions, so values are found again in the text: table
 * headers exactly, keys and array items by searching the lines of their table. This is right for files written
 * the usual way (one key per line, `[table]` headers); a value written in a form it does not search (dotted keys,
 * inline tables on one line) gets the line of its table, or none.
 */
export class TomlLines {
  private readonly lines: readonly string[];
  /** 0-based indexes of header lines and their normalised key paths. */
  private readonly headers: readonly { readonly index: number; readonly key: string }[];

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
    const headers: { index: number; key: string }[] = [];
    this.lines.forEach((line, index) => {
      const found = HEADER.exec(line);
      if (found?.[1] !== undefined) headers.push({ index, key: normalizeKeyPath(found[1]) });
    });
    this.headers = headers;
  }

  /** 1-based lines of every header `[key]` or `[[key]]`, in order. */
  headerLines(key: string): number[] {
    return this.headers.filter((header) => header.key === key).map((header) => header.index + 1);
  }

  /** The body of the table whose header is on `line` (1-based; 0 for the top level), as 0-based [start, end). */
  private body(line: number): [number, number] {
    // Binary search for the first header at or after `line`: locks have tens of thousands of headers.
    let low = 0;
    let high = this.headers.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.headers[middle]?.index ?? Infinity) >= line) high = middle;
      else low = middle + 1;
    }
    return [line, this.headers[low]?.index ?? this.lines.length];
  }

  /** The line of `key = …` in the table starting on `tableLine` (0 for the top level). */
  keyLine(tableLine: number | undefined, key: string): number | undefined {
    if (tableLine === undefined) return undefined;
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`^\\s*(?:${escaped}|"${escaped}"|'${escaped}')\\s*=`);
    const [start, end] = this.body(tableLine);
    for (let index = start; index < end; index++) if (pattern.test(this.lines[index] ?? '')) return index + 1;
    return undefined;
  }

  /** The first line at or after `fromLine` (1-based) inside the same table that contains `needle`. */
  textLine(fromLine: number | undefined, needle: string): number | undefined {
    if (fromLine === undefined) return undefined;
    const [, end] = this.body(fromLine - 1);
    for (let index = fromLine - 1; index < Math.max(end, fromLine); index++)
      if ((this.lines[index] ?? '').includes(needle)) return index + 1;
    return undefined;
  }
}
