import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeMatch } from '../../code/call-site.js';
import type { NodeRule } from '../../code/node-site.js';
import { highEntropyBlob, type Blob } from './entropy.js';

/**
 * PKG-OBF-003: packed code, read from the module's text and tree: lines with thousands of characters of code, and
 * string literals that are large high-entropy blobs. Cheap scans of the text rule out most modules first.
 */

export const PKG_OBF_003 = defineRule({
  id: 'PKG-OBF-003',
  domain: 'package',
  title: 'very long code lines or large high-entropy strings',
  description:
    'A module with lines holding more than 2,000 characters of code (outside data literals: tables of numbers ' +
    'or strings do not count) or string literals of 512 characters or more in the base64, hex or `\\xNN` ' +
    'alphabet with the entropy of compressed or encrypted data. Both are how packers and droppers hide a ' +
    'payload; base64 images, fonts and `data:` URIs are left out. Reported once per module.',
  fix: 'Find out what the blob or the long line holds (decode it without running it). Keep data files as package data in clear formats, and do not install packages whose code is packed.',
  severity: 'medium',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-506'],
  owasp: ['ML06:2023'],
});

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** Lines with more code characters than this (data literals not counted) are packed code. */
export const MAX_CODE_LINE_CHARS = 2000;

const DATA_LEAVES = new Set(['integer', 'float', 'true', 'false', 'none', 'comment', 'ellipsis']);
const DATA_CONTAINERS = new Set([
  'list',
  'tuple',
  'set',
  'dictionary',
  'pair',
  'parenthesized_expression',
  'unary_operator',
  'concatenated_string',
]);

/** A literal made only of constants: a table of numbers, a list of strings, a docstring. */
function isDataLiteral(node: Node, cache: Map<number, boolean>): boolean {
  const known = cache.get(node.id);
  if (known !== undefined) return known;
  let result: boolean;
  if (DATA_LEAVES.has(node.type)) result = true;
  else if (node.type === 'string')
    result = !node.namedChildren.some((part) => part?.type === 'interpolation');
  else if (DATA_CONTAINERS.has(node.type))
    result = node.namedChildren.every((child) => child === null || isDataLiteral(child, cache));
  else result = false;
  cache.set(node.id, result);
  return result;
}

/** The code of a row with its data literals (and import lists) cut out, as the packed-line tests read it. */
function codeOfRow(root: Node, row: number, rowBytes: Buffer, cache: Map<number, boolean>): string {
  const spans: [number, number][] = [];
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (node.endPosition.row < row || node.startPosition.row > row) continue;
    if (
      isDataLiteral(node, cache) ||
      node.type === 'import_statement' ||
      node.type === 'import_from_statement'
    ) {
      const start = node.startPosition.row === row ? node.startPosition.column : 0;
      const end = node.endPosition.row === row ? node.endPosition.column : rowBytes.length;
      if (end > start) spans.push([start, end]);
      continue;
    }
    for (const child of node.namedChildren) if (child !== null) stack.push(child);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let code = '';
  let at = 0;
  for (const [start, end] of spans) {
    if (start > at) code += rowBytes.subarray(at, start).toString('utf8');
    // One character stands for the literal, so that cutting it out joins no whitespace runs.
    code += '0';
    at = Math.max(at, end);
  }
  return code + rowBytes.subarray(at).toString('utf8');
}

/**
 * Why a long line of code looks packed: code pushed off-screen by a run of whitespace, several statements chained
 * with `;`, or a chain of lambdas (one-liner converters). A long expression alone (generated symbolic maths)
 * is not enough.
 */
function packedShape(code: string): string | undefined {
  if (/[ \t]{100,}\S/.test(code)) return 'code pushed off-screen by whitespace';
  const statements = code.split(';').length - 1;
  if (statements >= 3) return `${statements + 1} statements chained with ';'`;
  const lambdas = code.match(/\blambda\b/g)?.length ?? 0;
  if (lambdas >= 10) return `${lambdas} chained lambdas`;
  return undefined;
}

interface LongLine {
  readonly row: number;
  readonly code: number;
  readonly shape: string;
}

function isTestPath(path: string): boolean {
  return /(?:^|\/)(?:tests?|testing)\/|(?:^|\/)test_[^/]*\.py$|_test\.py$/.test(path);
}

/**
 * What a module with a blob must contain: a blob is a string whose content is all base64 or hex digits, `\\x`
 * escapes, whitespace and `\\n` escapes, 512 characters or more.
 */
const BLOB_RUN_CHARS = 512;

function isBlobChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || // 0-9
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    code === 0x2b || // +
    code === 0x2f || // /
    code === 0x3d || // =
    code === 0x5f || // _
    code === 0x2d || // -
    code === 0x5c || // backslash
    code === 0x20 ||
    (code >= 0x09 && code <= 0x0d)
  );
}

/** One linear pass (a `{512,}` regex retries from every position of every shorter run). */
function hasBlobRun(text: string): boolean {
  let run = 0;
  for (let index = 0; index < text.length; index++) {
    run = isBlobChar(text.charCodeAt(index)) ? run + 1 : 0;
    if (run >= BLOB_RUN_CHARS) return true;
  }
  return false;
}

function hasLongLine(text: string): boolean {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end - start > MAX_CODE_LINE_CHARS) return true;
    start = end + 1;
  }
  return false;
}

function packedCode(root: Node, path: string): CodeMatch | undefined {
  // Test modules carry fixtures (digits of pi, sample keys) that look packed, and run only under a test runner;
  // a payload executed from them is still PKG-OBF-001.
  if (isTestPath(path)) return undefined;
  const text = root.text;
  if (text.length < 512) return undefined;
  // Two cheap scans of the text rule out most modules before the tree is walked.
  const blobRun = hasBlobRun(text);
  if (!blobRun && !hasLongLine(text)) return undefined;
  const cache = new Map<number, boolean>();
  const long: LongLine[] = [];
  let start = 0;
  // The module node starts at its first token, not at the start of the file.
  let row = root.startPosition.row;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const length = end - start;
    if (length > MAX_CODE_LINE_CHARS) {
      // Columns are byte offsets in tree-sitter: the row is cut as bytes.
      const code = codeOfRow(root, row, Buffer.from(text.slice(start, end)), cache);
      const shape = code.length > MAX_CODE_LINE_CHARS ? packedShape(code) : undefined;
      if (shape !== undefined) long.push({ row, code: code.length, shape });
    }
    start = end + 1;
    row++;
  }
  const blobs: { node: Node; blob: Blob }[] = [];
  for (const node of blobRun ? root.descendantsOfType('string') : []) {
    if (node === null || node.endIndex - node.startIndex < 512) continue;
    const content = node.namedChildren
      .filter((part) => part?.type === 'string_content' || part?.type === 'escape_sequence')
      .map((part) => part?.text ?? '')
      .join('');
    const blob = highEntropyBlob(content);
    if (blob !== undefined) blobs.push({ node, blob });
  }
  if (long.length === 0 && blobs.length === 0) return undefined;
  const parts: string[] = [];
  let at: Node | undefined;
  if (long.length > 0) {
    const longest = long.reduce((a, b) => (b.code > a.code ? b : a));
    parts.push(
      `${long.length} line(s) with more than ${MAX_CODE_LINE_CHARS.toLocaleString('en-US')} characters of code ` +
        `(longest ${longest.code.toLocaleString('en-US')} at line ${longest.row + 1}: ${longest.shape})`,
    );
    const first = long[0] as LongLine;
    at =
      root.descendantForPosition({
        row: first.row,
        column: firstCodeColumn(text, first.row - root.startPosition.row),
      }) ?? undefined;
  }
  if (blobs.length > 0) {
    const largest = blobs.reduce((a, b) => (b.blob.length > a.blob.length ? b : a));
    parts.push(
      `${blobs.length} high-entropy string(s) of ${MIN_BLOB_TEXT}+ characters (largest ${largest.blob.length.toLocaleString('en-US')} ` +
        `${largest.blob.alphabet === 'escaped bytes' ? 'bytes' : 'characters'} of ${largest.blob.alphabet}, ` +
        `${largest.blob.entropy.toFixed(2)} bits/symbol, line ${lineOf(largest.node)})`,
    );
    const firstBlob = (blobs[0] as { node: Node }).node;
    if (at === undefined || firstBlob.startIndex < at.startIndex) at = firstBlob;
  }
  return {
    message: `packed code: ${parts.join('; ')}`,
    ...(at !== undefined && { node: at }),
  };
}

const MIN_BLOB_TEXT = '512';

function firstCodeColumn(text: string, row: number): number {
  const line = text.split('\n')[row] ?? '';
  return line.length - line.trimStart().length;
}

export const packedCodeCheck: NodeRule = {
  rule: PKG_OBF_003,
  nodes: ['module'],
  check: (node, site) => packedCode(node, site.file.path),
};
