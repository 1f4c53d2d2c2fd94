import { readFile } from 'node:fs/promises';
import { LimitError, ParseError } from '../../../core/errors.js';
import type { Probe, ScanContext, ScanOutcome } from '../../../core/scanner.js';
import { readNotebook } from './read.js';

/**
 * Notebooks above this size are reported unscannable (SCAN-002) rather than parsed. Outputs (plots as base64,
 * long logs) make notebooks far larger than their code, hence more room than for `.py` files; the whole JSON
 * document is held in memory to parse it.
 */
export const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

/** Kernel languages whose code cells are Python (IPython syntax included). */
const PYTHON_LANGUAGES = new Set(['python', 'python2', 'python3', 'ipython', 'ipython3']);

/**
 * Scans the code cells of a Jupyter notebook (nbformat 4) with the Python analysis, cell by cell in location, and
 * their saved outputs for secrets.
 */
export async function scanNotebook(
  absolutePath: string,
  probe: Probe,
  context: ScanContext,
): Promise<ScanOutcome> {
  const limit = Math.min(MAX_NOTEBOOK_BYTES, context.settings.limits.maxFileBytes);
  if (probe.size > limit)
    throw new LimitError('FILE_SIZE', `notebook of ${probe.size} bytes exceeds the ${limit}-byte limit`);
  const notebook = readNotebook(await readFile(absolutePath, 'utf8'));
  // Code cells of an R or Julia kernel are not Python: parsing them as Python would report noise, not findings.
  if (notebook.language !== undefined && !PYTHON_LANGUAGES.has(notebook.language))
    throw new ParseError('UNSUPPORTED', `notebook kernel language is ${notebook.language}, not Python`);
  const [{ analyseCells }, { enabledRuleSet }] = await Promise.all([
    import('./analyse.js'),
    import('../dispatch.js'),
  ]);
  const { scanOutputs } = await import('./outputs.js');
  const codeCells = notebook.cells.filter((cell) => cell.type === 'code');
  const checkDeadline = (): void => {
    context.checkDeadline();
  };
  for (const finding of await analyseCells(
    codeCells,
    probe.path,
    checkDeadline,
    enabledRuleSet(context.settings.enabledRules),
  ))
    context.report(finding);
  // Saved outputs are part of the file as committed: keys and environment dumps printed there leak as well.
  for (const finding of scanOutputs(codeCells, checkDeadline)) context.report(finding);
  return { format: 'notebook' };
}
