import { Command, CommanderError } from 'commander';
import { MlsecError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { dbCommand } from './db.js';
import { depsCommand } from './deps.js';
import { EXIT_ERROR, EXIT_OK } from './exit-codes.js';
import { inspectCommand } from './inspect.js';
import { rulesCommand } from './rules.js';
import { scanCommand } from './scan.js';

/** Runs the CLI and returns the process exit code. Never calls process.exit, so it is testable in-process. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command()
    .name('mlsec')
    .description('Find security problems in Python machine-learning projects, starting with model files.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.addCommand(
    scanCommand((code) => {
      exitCode = code;
    }),
  );
  program.addCommand(inspectCommand());
  program.addCommand(rulesCommand());
  program.addCommand(depsCommand());
  program.addCommand(dbCommand());
  // Commands built on their own do not inherit these settings from the program.
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeErr: (text) => process.stderr.write(text) });
  }
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
    }
    if (error instanceof MlsecError) {
      process.stderr.write(`mlsec: ${error.message}\n`);
      return EXIT_ERROR;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`mlsec: unexpected error: ${message}\n`);
    return EXIT_ERROR;
  }
}
