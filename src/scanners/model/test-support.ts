/**
 * Test support only: runs the model scanner the way the engine does — on a file through `scanFile`, or on bytes
 * with the engine's collecting context — and folds findings into a verdict the way the report does.
 */
import { basename } from 'node:path';
import { assembleReport } from '../../core/assemble.js';
import { CollectingContext } from '../../core/context.js';
import type { RawFinding } from '../../core/finding.js';
import type { ModelPart } from '../../core/model-part.js';
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.js';
import { scanFile } from '../../core/scan-file.js';
import type { ScanSettings } from '../../core/scanner.js';
import { Suppressor } from '../../core/suppress.js';
import type { Verdict } from '../../core/verdict.js';
import { contentFromBytes } from './content.js';
import { createScope, scanContent } from './dispatch.js';
import { modelScanner } from './index.js';

export interface TestScan {
  /** The detected format; undefined when the scanner does not claim the file. */
  readonly format: string | undefined;
  readonly findings: readonly RawFinding[];
  /** What the handlers described (ML-BOM facts, and `inspect` sections when scanned with `detail`). */
  readonly models: readonly ModelPart[];
}

/** Scan options for tests: limits to override, and `detail` to build `inspect` sections. */
export interface TestScanOptions extends Partial<Limits> {
  readonly detail?: boolean;
}

function testSettings(options: TestScanOptions): ScanSettings {
  const { detail, ...limits } = options;
  return {
    limits: { ...DEFAULT_LIMITS, ...limits },
    pickle: { allowGlobals: [], denyGlobals: [] },
    ...(detail === true && { detail }),
  };
}

export async function scanFileForTest(path: string, options: TestScanOptions = {}): Promise<TestScan> {
  const outcome = await scanFile(
    { absolutePath: path, displayPath: basename(path) },
    [modelScanner],
    testSettings(options),
  );
  return { format: outcome?.format, findings: outcome?.findings ?? [], models: outcome?.models ?? [] };
}

/** Scans bytes as the content of a file called `name`, bypassing `detect`. */
export async function scanBytesForTest(
  bytes: Uint8Array,
  name: string,
  options: TestScanOptions = {},
): Promise<TestScan> {
  const context = new CollectingContext(testSettings(options));
  const models: ModelPart[] = [];
  const format = await scanContent(
    createScope(context, undefined, models),
    contentFromBytes(bytes, undefined, name, 0),
  );
  return { format, findings: context.findings, models };
}

/** Rule ids of the findings, sorted, for compact assertions. */
export function ruleIds(findings: readonly RawFinding[]): string[] {
  return findings.map((finding) => finding.ruleId).sort();
}

/** The verdict the report gives a file with these findings. */
export function verdictOf(findings: readonly RawFinding[]): Verdict {
  const outcome = { absolutePath: '/test', displayPath: 'test', format: 'test', size: 0, findings };
  const report = assembleReport([outcome], new Suppressor([], '/', new Set(), '1970-01-01'), [], 0);
  const [file] = report.files;
  if (file === undefined) throw new Error('the report has no file');
  return file.verdict;
}
