import { cyclonedxReporter } from './cyclonedx.js';
import { jsonReporter } from './json.js';
import type { Reporter } from './reporter.js';
import { sarifReporter } from './sarif.js';
import { textReporter } from './text.js';

export type { Reporter, ReportOptions } from './reporter.js';

/** Every output format, by its `--format` name. Adding a reporter here is all the CLI needs. */
export const REPORTERS = {
  text: textReporter,
  json: jsonReporter,
  sarif: sarifReporter,
  cyclonedx: cyclonedxReporter,
} as const satisfies Record<string, Reporter>;

/** Formats that need every file's SHA-256, which costs a full read of each file, so plain scans skip it. */
export const HASHING_REPORTERS: ReadonlySet<ReporterName> = new Set(['cyclonedx']);

export type ReporterName = keyof typeof REPORTERS;

export const REPORTER_NAMES = Object.keys(REPORTERS) as ReporterName[];

export function isReporterName(name: string): name is ReporterName {
  return Object.hasOwn(REPORTERS, name);
}
