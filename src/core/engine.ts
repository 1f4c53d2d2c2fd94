import { availableParallelism } from 'node:os';
import { describeEnvironments } from '../scanners/env/environment.js';
import { pythonTargets } from '../scanners/env/python-target.js';
import { walk } from '../targets/walk.js';
import { assembleReport } from './assemble.js';
import type { ResolvedConfig } from './config/load.js';
import { WorkerPool } from './pool.js';
import { ALL_RULES } from './registry.js';
import type { ScanReport } from './report-model.js';
import type { ScanSettings } from './scanner.js';
import { scanFile, type FileOutcome, type FileTask } from './scan-file.js';
import { resolveSelection, type SelectionLayer } from './selection.js';
import { Suppressor } from './suppress.js';

export interface ScanOptions {
  readonly paths: readonly string[];
  readonly config: ResolvedConfig;
  /** Fingerprints accepted by a baseline file. */
  readonly baseline?: ReadonlySet<string>;
  /** Worker threads; 0 scans on the calling thread (used by tests that run from TypeScript sources). */
  readonly workers?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Rule selection from the command line, applied after the configuration file's (`--select`, `--ignore`). */
  readonly ruleSelection?: SelectionLayer;
  /** `YYYY-MM-DD` used to expire ignore entries; today by default. */
  readonly today?: string;
}

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Walks the paths, recognises the Python environments among them (whose version, unless one is chosen, is the
 * Python stdlib shadowing is checked against), scans every file a scanner claims, and assembles the report.
 */
export async function runScan(options: ScanOptions): Promise<ScanReport> {
  const started = performance.now();
  const { config } = options;
  // Resolved before walking, so that an unknown selector fails at once.
  const layers = [config.ruleSelection, options.ruleSelection].filter((layer) => layer !== undefined);
  const enabledRules = resolveSelection(ALL_RULES, layers);
  const walked = await walk(options.paths, {
    root: config.root,
    include: config.include,
    exclude: config.exclude,
  });
  const tasks = walked.files;
  const environments = await describeEnvironments(walked.environments, config.settings.limits.maxFileBytes);
  const targets = pythonTargets(config.settings.pythonVersion, environments);
  const warnings = [...walked.warnings, ...(targets.warning === undefined ? [] : [targets.warning])];
  const progress = (done: number): void => options.onProgress?.(done, tasks.length);
  const workers = Math.min(options.workers ?? defaultWorkerCount(), tasks.length);
  const settings: ScanSettings = {
    ...config.settings,
    enabledRules: [...enabledRules],
    ...(targets.versions !== undefined && { pythonTargets: targets.versions }),
  };
  const outcomes =
    workers === 0
      ? await scanInProcess(tasks, settings, progress)
      : await scanOnWorkers(tasks, settings, workers, progress);
  const suppressor = new Suppressor(
    config.ignores,
    config.root,
    options.baseline ?? new Set(),
    options.today ?? new Date().toISOString().slice(0, 10),
  );
  const examined = outcomes.filter((outcome) => outcome !== undefined);
  return assembleReport(
    examined,
    suppressor,
    warnings,
    Math.round(performance.now() - started),
    enabledRules,
    environments,
  );
}

async function scanInProcess(
  tasks: readonly FileTask[],
  settings: ScanSettings,
  progress: (done: number) => void,
): Promise<(FileOutcome | undefined)[]> {
  // Loaded here, not at the top: on the worker path the main thread never needs the scanners.
  const { SCANNERS } = await import('../scanners/index.js');
  const outcomes: (FileOutcome | undefined)[] = [];
  for (const task of tasks) {
    outcomes.push(await scanFile(task, SCANNERS, settings));
    progress(outcomes.length);
  }
  return outcomes;
}

async function scanOnWorkers(
  tasks: readonly FileTask[],
  settings: ScanSettings,
  workers: number,
  progress: (done: number) => void,
): Promise<(FileOutcome | undefined)[]> {
  const pool = new WorkerPool(settings, workers, new URL('./worker.js', import.meta.url));
  try {
    return await pool.run(tasks, progress);
  } finally {
    await pool.close();
  }
}
