import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { loadConfig } from '../core/config/load.js';
import { runScan } from '../core/engine.js';
import { UsageError } from '../core/errors.js';
import { inspectJson, inspectText } from '../report/inspect.js';
import { wantsColor } from './scan.js';

interface InspectFlags {
  format: 'text' | 'json';
  config?: string;
}

export function inspectCommand(): Command {
  return new Command('inspect')
    .description(
      'Show what one model file contains and would do when loaded: the pickle program as pseudo-Python, ' +
        'layers, ops, tensors, metadata and templates, with the risky parts marked, then its findings.',
    )
    .argument('<file>', 'the model file to inspect')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-c, --config <file>', 'configuration file (pickle allow/deny lists, limits)')
    .action(async (file: string, flags: InspectFlags) => {
      await runInspectCommand(file, flags);
    });
}

async function runInspectCommand(file: string, flags: InspectFlags): Promise<void> {
  const info = await stat(file).catch((error: unknown) => {
    throw new UsageError('USAGE_PATH_NOT_FOUND', `cannot read ${file}`, { cause: error });
  });
  if (!info.isFile())
    throw new UsageError('USAGE_NOT_A_FILE', `${file} is not a file; inspect takes one file`);
  const loaded = await loadConfig(file, flags.config);
  // The file was named explicitly, so include/exclude globs do not apply; one worker keeps the hard time limit
  // and the memory cap of scans between the hostile file and this process.
  const report = await runScan({
    paths: [file],
    config: {
      ...loaded,
      include: [],
      exclude: [],
      settings: { ...loaded.settings, detail: true, hashes: true },
    },
    workers: 1,
  });
  if (report.files.length === 0) {
    throw new UsageError('USAGE_NOT_A_MODEL', `${file} is not a model or template file that mlsec reads`);
  }
  const toTerminal = process.stdout.isTTY;
  process.stdout.write(
    flags.format === 'json'
      ? inspectJson(report)
      : inspectText(report, { color: wantsColor(toTerminal), cwd: process.cwd() }),
  );
}
