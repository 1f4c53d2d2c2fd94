import { ParseError } from '../../../core/errors.js';

/**
 * The text of one saved output of a code cell: a stream's text, the `text/plain` form of a result or display
 * (other forms, images above all, are never read), or an error's traceback lines.
 */
export interface CellOutput {
  /** Numbered from 1 among the cell's outputs. */
  readonly number: number;
  readonly type: 'stream' | 'execute_result' | 'display_data' | 'error';
  readonly text: string;
}

/** A cell of a Jupyter notebook, numbered from 1 among all cells (markdown and raw included). */
export interface NotebookCell {
  readonly number: number;
  readonly type: string;
  readonly source: string;
  /** A code cell's saved outputs, when the notebook has an `outputs` list for it. */
  readonly outputs?: readonly CellOutput[];
}

/** The code cells of an nbformat 4 notebook, with the language its kernel runs. */
export interface Notebook {
  readonly language: string | undefined;
  readonly cells: readonly NotebookCell[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** nbformat's multi-line strings: one string, or a list of strings that keep their own newlines. */
function multilineText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((part): part is string => typeof part === 'string'))
    return value.join('');
  return undefined;
}

/** nbformat stores `source` as one string or as a list of lines that keep their own newlines. */
function sourceOf(cell: Record<string, unknown>, number: number): string {
  const source = multilineText(cell.source);
  if (source !== undefined) return source;
  throw new ParseError('BAD_STRUCTURE', `cell ${number} has no source string or list of strings`);
}

function outputOf(output: unknown, number: number, cell: number): CellOutput {
  const where = `cell ${cell} output ${number}`;
  if (!isRecord(output)) throw new ParseError('BAD_STRUCTURE', `${where} is not an object`);
  const type = output.output_type;
  let text: string | undefined;
  switch (type) {
    case 'stream':
      text = multilineText(output.text);
      break;
    case 'execute_result':
    case 'display_data': {
      const { data } = output;
      if (!isRecord(data)) throw new ParseError('BAD_STRUCTURE', `${where} has no data object`);
      // Only the plain-text form: images and other binary forms are base64 that no text rule reads.
      text = data['text/plain'] === undefined ? '' : multilineText(data['text/plain']);
      break;
    }
    case 'error': {
      const { traceback } = output;
      text =
        Array.isArray(traceback) && traceback.every((line): line is string => typeof line === 'string')
          ? traceback.join('\n')
          : undefined;
      break;
    }
    default:
      throw new ParseError('BAD_STRUCTURE', `${where} has an unknown output_type`);
  }
  if (text === undefined) throw new ParseError('BAD_STRUCTURE', `${where} (${type}) has malformed text`);
  return { number, type, text };
}

/** A code cell's `outputs`, when it has the key: anything but a list of well-formed outputs is unreadable. */
function outputsOf(cell: Record<string, unknown>, number: number): { outputs?: CellOutput[] } {
  if (cell.cell_type !== 'code' || cell.outputs === undefined) return {};
  if (!Array.isArray(cell.outputs))
    throw new ParseError('BAD_STRUCTURE', `cell ${number} has outputs that are not a list`);
  return { outputs: cell.outputs.map((output: unknown, index) => outputOf(output, index + 1, number)) };
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
 * `cells` list, an nbformat 3 `worksheets` notebook, a malformed cell or output) is a {@link ParseError}: never clean.
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
    return { number, type: cell.cell_type, source: sourceOf(cell, number), ...outputsOf(cell, number) };
  });
  return { language: languageOf(document.metadata), cells };
}
