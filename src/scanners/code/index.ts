import { readFile } from 'node:fs/promises';
import { LimitError } from '../../core/errors.js';
import type { FileScanner, Probe, ScanContext, ScanOutcome, ScanSettings } from '../../core/scanner.js';
import { checkShadowing } from '../env/shadow.js';
import { scanNotebook } from './notebook/scan.js';
import { CODE_RULES } from './rules.js';

/**
 * Python sources above this size are reported unscannable (SCAN-002) rather than parsed: hand-written code is
 * far smaller, and the syntax tree of a huge generated file costs memory in proportion.
 */
export const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

const PYTHON_EXTENSION = /\.pyw?$/i;
const NOTEBOOK_EXTENSION = /\.ipynb$/i;

function detect(probe: Probe, settings?: ScanSettings): string | undefined {
  // Libraries an environment installed are not the project's code: bandit users exclude venvs by hand every time.
  if (probe.installed === true && settings?.scanInstalledCode !== true) return undefined;
  if (PYTHON_EXTENSION.test(probe.path)) return 'python';
  return NOTEBOOK_EXTENSION.test(probe.path) ? 'notebook' : undefined;
}

async function scan(absolutePath: string, probe: Probe, context: ScanContext): Promise<ScanOutcome> {
  if (NOTEBOOK_EXTENSION.test(probe.path)) return scanNotebook(absolutePath, probe, context);
  // A top-level module named like a standard-library one is reported whatever its content (ENV-SHADOW-001).
  checkShadowing(absolutePath, probe, context);
  const limit = Math.min(MAX_SOURCE_BYTES, context.settings.limits.maxFileBytes);
  if (probe.size > limit)
    throw new LimitError('FILE_SIZE', `Python source of ${probe.size} bytes exceeds the ${limit}-byte limit`);
  const source = await readFile(absolutePath, 'utf8');
  // The parser and the rules load on the first Python file, not when the scanner registry is imported.
  const [{ parsePython }, { analyse }, { enabledRuleSet }] = await Promise.all([
    import('./parser.js'),
    import('./analyse.js'),
    import('./dispatch.js'),
  ]);
  const tree = await parsePython(source);
  try {
    const checkDeadline = (): void => {
      context.checkDeadline();
    };
    const enabledRules = enabledRuleSet(context.settings.enabledRules);
    const source = { path: probe.path, notebook: false, ...(enabledRules !== undefined && { enabledRules }) };
    for (const finding of analyse(tree.rootNode, checkDeadline, source)) context.report(finding);
  } finally {
    tree.delete();
  }
  return { format: 'python' };
}

/**
 * Scans Python source files (`.py`, `.pyw`) and the code cells of Jupyter notebooks (`.ipynb`) for dangerous calls,
 * resolved to qualified names.
 */
export const codeScanner: FileScanner = { rules: CODE_RULES, detect, scan };
