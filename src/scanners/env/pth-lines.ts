/**
 * How CPython's `site.addpackage` reads a `.pth` file. 3.13 and later read the bytes, decode UTF-8 with an
 * optional BOM (`utf-8-sig`), fall back to the locale encoding when that fails, and split with `str.splitlines`,
 * which also breaks at `\v`, `\f`, `\x1c`-`\x1e`, `\x85`, U+2028 and U+2029. 3.12 and earlier open the file in
 * text mode with the locale encoding (UTF-8 on current Linux and macOS) and iterate it, which keeps a BOM as the
 * first character and breaks only at `\n`, `\r` and `\r\n`. In both, a line starting with `#` is a comment, a
 * blank line is skipped, a line starting exactly with `import ` or `import\t` is passed to `exec`, and any other
 * line, right-stripped, is a folder appended to `sys.path` when it exists.
 */

/** The interpreters a line behaves the same way in: all, or only those before or from 3.13. */
export type PythonRange = 'all' | 'before-3.13' | '3.13+';

export interface PthLine {
  /** 1-based, counted the way the interpreters in `pythons` count lines. */
  readonly line: number;
  readonly text: string;
  readonly kind: 'exec' | 'path';
  readonly pythons: PythonRange;
}

export interface PthContent {
  readonly lines: readonly PthLine[];
  /** The file is not valid UTF-8: 3.13 decodes it with the locale encoding, read here as Latin-1. */
  readonly localeFallback: boolean;
}

/** `str.splitlines` boundaries. */
// eslint-disable-next-line no-control-regex -- splitlines also breaks at the file, group and record separators.
const SPLITLINES = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;
/** Universal-newline boundaries of text-mode file iteration. */
const UNIVERSAL_NEWLINES = /\r\n|[\n\r]/;

export function isExecLine(text: string): boolean {
  return text.startsWith('import ') || text.startsWith('import\t');
}

function classify(lines: readonly string[]): { line: number; text: string; kind: 'exec' | 'path' }[] {
  const kept: { line: number; text: string; kind: 'exec' | 'path' }[] = [];
  for (const [index, text] of lines.entries()) {
    if (text.startsWith('#') || text.trim() === '') continue;
    if (isExecLine(text)) kept.push({ line: index + 1, text, kind: 'exec' });
    else kept.push({ line: index + 1, text: text.trimEnd(), kind: 'path' });
  }
  return kept;
}

/**
 * The executable and path lines of a `.pth` file for every supported interpreter: a line that executes (or is a
 * path) only under one of the two reading rules says so in `pythons`, so that form-feed or BOM tricks aimed at one
 * interpreter family are still seen.
 */
export function readPth(bytes: Uint8Array): PthContent {
  let modern: string;
  let localeFallback = false;
  try {
    modern = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // Locale encodings are ASCII supersets; Latin-1 keeps every byte, so the ASCII `import ` prefix is found.
    modern = Buffer.from(bytes).toString('latin1');
    localeFallback = true;
  }
  // Text mode keeps the BOM: `\ufeffimport os` is a path line there.
  const legacy = localeFallback ? modern : new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  const fromModern = classify(modern.split(SPLITLINES));
  const fromLegacy = classify(legacy.split(UNIVERSAL_NEWLINES));
  const key = (entry: { text: string; kind: string }): string => `${entry.kind}\0${entry.text}`;
  const legacyKeys = new Set(fromLegacy.map(key));
  const modernKeys = new Set(fromModern.map(key));
  const lines: PthLine[] = fromModern.map((entry) => ({
    ...entry,
    pythons: legacyKeys.has(key(entry)) ? 'all' : '3.13+',
  }));
  for (const entry of fromLegacy)
    if (!modernKeys.has(key(entry))) lines.push({ ...entry, pythons: 'before-3.13' });
  return { lines, localeFallback };
}

/** Hidden files (a name starting with a dot) are skipped by `site` from 3.13 on, but still run by 3.12 and older. */
export function isHiddenPth(name: string): boolean {
  return name.startsWith('.');
}
