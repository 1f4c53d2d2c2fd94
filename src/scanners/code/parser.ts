import { createRequire } from 'node:module';
import type { Parser as ParserType, Tree } from 'web-tree-sitter';

/**
 * The tree-sitter Python parser, compiled to WebAssembly. The runtime and the grammar are loaded on the first
 * parse in each worker, so scans without Python files (and the model scanner's start-up) never pay for them.
 */
let parserPromise: Promise<ParserType> | undefined;

async function loadParser(): Promise<ParserType> {
  const { Parser, Language } = await import('web-tree-sitter');
  await Parser.init();
  // tree-sitter-python 0.25 ships its grammar as ABI 15 wasm, which web-tree-sitter >= 0.25 reads.
  const grammarPath = createRequire(import.meta.url).resolve('tree-sitter-python/tree-sitter-python.wasm');
  const language = await Language.load(grammarPath);
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** Parses Python source error-tolerantly: syntax errors become ERROR/MISSING nodes, never exceptions. */
export async function parsePython(source: string): Promise<Tree> {
  parserPromise ??= loadParser();
  const parser = await parserPromise;
  const tree = parser.parse(source);
  if (tree === null) throw new Error('tree-sitter returned no tree');
  return tree;
}
