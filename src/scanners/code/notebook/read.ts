import { ParseError } from '../../../core/errors.js';

/** A cell of a Jupyter notebook, numbered from 1 among all cells (markdown and raw included). */
export interface NotebookCell {
  readonly number: number;
  readonly type: string;
  readonly source: string;
}

/** The code cells of an nbformat 4 notebook, with the language its kernel runs. */
export interface Notebook {
  readonly language: string | undefined;
  readonly cells: readonly NotebookCell[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** nbformat stores `source` as one string or as a list of lines that keep their own newlines. */
function sourceOf(cell: Record<string, unknown>, number: number): string {
  const { source } = cell;
  if (typeof source === 'string') return source;
  if (Array.isArray(source) && source.every((part): part is string => typeof part === 'string'))
    return source.join('');
  throw new ParseError('BAD_STRUCTURE', `cell ${number} has no source string or list of strings`);
}

function languageOf(metadata: unknown): string | undefined {
  if (!isRecord(metadata)) return undefined;
  const { language_info: info, kernelspec } = metadata;
  if (isRecord(info) && typeof info.name === 'string') return info.name.toLowerCase();
  if (isRecord(kernelspec) && typeof kernelspec.language === 'string')
    return kernelspec.language.toLowerCase();
  return undefined;
}

/**
 * Reads a notebook's JSON. Anything that is not a notebook this scanner can read in full (invalid JSON, no
 * `cells` list, an nbformat 3 `worksheets` notebook, a malformed cell) is a {@link ParseError}: never clean.
 */
export function readNotebook(text: string): Notebook {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ParseError('BAD_STRUCTURE', `notebook is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(document)) throw new ParseError('BAD_STRUCTURE', 'notebook JSON is not an object');
  if (!Array.isArray(document.cells)) {
    if (Array.isArray(document.worksheets))
      throw new ParseError(
        'UNSUPPORTED',
        'nbformat 3 notebook (worksheets); convert it with `jupyter nbconvert --to notebook`',
      );
    throw new ParseError('BAD_STRUCTURE', 'notebook has no `cells` list');
  }
  const cells = document.cells.map((cell: unknown, index): NotebookCell => {
    const number = index + 1;
    if (!isRecord(cell) || typeof cell.cell_type !== 'string')
      throw new ParseError('BAD_STRUCTURE', `cell ${number} has no cell_type`);
    return { number, type: cell.cell_type, source: sourceOf(cell, number) };
  });
  return { language: languageOf(document.metadata), cells };
}
