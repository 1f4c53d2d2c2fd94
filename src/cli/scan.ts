import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { readBaseline, writeBaseline } from '../core/baseline.js';
import { loadConfig, type FailOn } from '../core/config/load.js';
import { defaultWorkerCount, runScan } from '../core/engine.js';
import { UsageError } from '../core/errors.js';
import type { ScanReport } from '../core/report-model.js';
import { SEVERITIES, severityRank } from '../core/severity.js';
import { PYTHON_VERSIONS } from '../scanners/env/shadow-stdlib.js';
import { HASHING_REPORTERS, REPORTER_NAMES, REPORTERS, type ReporterName } from '../report/index.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit-codes.js';
import { ProgressLine } from './progress.js';

interface ScanFlags {
  format: ReporterName;
  output?: string;
  failOn?: FailOn;
  config?: string;
  baseline?: string;
  writeBaseline?: string;
  workers?: string;
  progress: boolean;
  select?: string[];
  extendSelect?: string[];
  ignore?: string[];
  showSuppressed?: boolean;
  db?: string;
  popular?: string;
  internalPrefix?: string[];
  online?: boolean;
  scanInstalledCode?: boolean;
  pythonVersion?: string;
}

/** `--select A,B --select C` gives `[A, B, C]`: the options are comma-separated and repeatable, as in ruff. */
function selectorList(value: string, previous: string[] | undefined): string[] {
  const selectors = value
    .split(',')
    .map((selector) => selector.trim())
    .filter((selector) => selector !== '');
  return [...(previous ?? []), ...selectors];
}

const DEFAULT_FAIL_ON: FailOn = 'high';

export function scanCommand(setExitCode: (code: number) => void): Command {
  return new Command('scan')
    .description('Scan files and directories; every examined file gets a verdict.')
    .argument('<paths...>', 'files or directories to scan')
    .addOption(new Option('-f, --format <format>', 'output format').choices(REPORTER_NAMES).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addOption(
      new Option(
        '--fail-on <severity>',
        `exit 1 when a finding is at or above this severity (default: ${DEFAULT_FAIL_ON})`,
      ).choices([...SEVERITIES, 'none']),
    )
    .option(
      '-c, --config <file>',
      'configuration file (default: nearest .mlsec.toml or pyproject.toml [tool.mlsec])',
    )
    .option(
      '--select <rules>',
      'report only these rules: ids, prefixes (PY-DES, MODEL) or ALL; replaces the configured selection',
      selectorList,
    )
    .option('--extend-select <rules>', 'report these rules in addition to the selected ones', selectorList)
    .option('--ignore <rules>', 'do not report these rules (ids or prefixes)', selectorList)
    .option('--show-suppressed', 'list suppressed findings in the text report too')
    .option('--baseline <file>', 'suppress the findings recorded in this baseline')
    .option('--write-baseline <file>', 'record the unsuppressed findings of this scan as a baseline')
    .option('--db <path>', 'audit dependencies against this OSV database (folder, .jsonl or all.zip)')
    .option(
      '--online',
      'also audit exact pins against OSV.dev (MLSEC_OSV_API overrides the URL); a failed query makes the file unscannable',
    )
    .option('--popular <file>', 'popular PyPI names to check typosquats against (top-pypi-packages JSON)')
    .option(
      '--internal-prefix <prefixes>',
      'name prefixes of your own packages (dependency confusion)',
      selectorList,
    )
    .option(
      '--scan-installed-code',
      'run the code rules over libraries in site-packages/dist-packages below the scanned folder too',
    )
    .addOption(
      new Option(
        '--python-version <X.Y>',
        "check stdlib shadowing against this Python (default: the scanned environment's, else all supported)",
      ).choices(PYTHON_VERSIONS),
    )
    .option('-j, --workers <count>', 'worker threads (default: one per CPU)')
    .option('--no-progress', 'never show the progress line')
    .action(async (paths: string[], flags: ScanFlags) => {
      setExitCode(await runScanCommand(paths, flags));
    });
}

async function runScanCommand(paths: string[], flags: ScanFlags): Promise<number> {
  const loaded = await loadConfig(paths[0] ?? '.', flags.config);
  const deps = {
    ...loaded.settings.deps,
    ...(flags.db !== undefined && { db: resolve(flags.db) }),
    ...(flags.popular !== undefined && { popular: resolve(flags.popular) }),
    ...(flags.internalPrefix !== undefined && { internalPrefixes: flags.internalPrefix }),
    ...(flags.online === true && { online: true }),
  };
  const settings = {
    ...loaded.settings,
    deps,
    ...(HASHING_REPORTERS.has(flags.format) && { hashes: true }),
    ...(flags.scanInstalledCode === true && { scanInstalledCode: true }),
    ...(flags.pythonVersion !== undefined && { pythonVersion: flags.pythonVersion }),
  };
  const config = { ...loaded, settings };
  const baseline = flags.baseline === undefined ? undefined : await readBaseline(flags.baseline);
  const workers = flags.workers === undefined ? defaultWorkerCount() : parseWorkers(flags.workers);
  const progress = new ProgressLine(flags.progress);
  let report: ScanReport;
  try {
    report = await runScan({
      paths,
      config,
      workers,
      ...(baseline !== undefined && { baseline }),
      ruleSelection: {
        source: 'the command line',
        ...(flags.select !== undefined && { select: flags.select }),
        ...(flags.extendSelect !== undefined && { extendSelect: flags.extendSelect }),
        ...(flags.ignore !== undefined && { ignore: flags.ignore }),
      },
      onProgress: (done, total) => {
        progress.update(done, total);
      },
    });
  } finally {
    progress.clear();
  }

  const toTerminal = flags.output === undefined && process.stdout.isTTY;
  const text = REPORTERS[flags.format](report, {
    color: wantsColor(toTerminal),
    cwd: process.cwd(),
    showSuppressed: flags.showSuppressed === true,
  });
  if (flags.output === undefined) process.stdout.write(text);
  else await writeFile(flags.output, text);
  // The text report already lists warnings; other formats and files keep stdout machine-readable, so say them here.
  if (flags.format !== 'text' || flags.output !== undefined) {
    for (const warning of report.warnings) process.stderr.write(`mlsec: warning: ${warning}\n`);
  }
  if (flags.writeBaseline !== undefined) await writeBaseline(flags.writeBaseline, report.findings);

  const failOn = flags.failOn ?? config.failOn ?? DEFAULT_FAIL_ON;
  return exceedsThreshold(report, failOn) ? EXIT_FINDINGS : EXIT_OK;
}

function exceedsThreshold(report: ScanReport, failOn: FailOn): boolean {
  if (failOn === 'none') return false;
  const threshold = severityRank(failOn);
  return report.findings.some(
    (finding) => finding.suppressed === undefined && severityRank(finding.severity) >= threshold,
  );
}

function parseWorkers(text: string): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) {
    throw new UsageError('USAGE_BAD_OPTION', `--workers takes a whole number of at least 1, not "${text}"`);
  }
  return count;
}

/** FORCE_COLOR (other than `0`) turns colour on, a non-empty NO_COLOR turns it off (https://no-color.org). */
export function wantsColor(toTerminal: boolean): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '0') return true;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return toTerminal;
}
