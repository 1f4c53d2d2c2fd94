/** Library entry point: run scans programmatically and render reports with the same code the CLI uses. */
export { runScan, type ScanOptions } from './core/engine.js';
export { loadConfig, type ResolvedConfig, type FailOn } from './core/config/load.js';
export type { ConfigFile, IgnoreEntry } from './core/config/schema.js';
export type { Finding, Location, RawFinding, Suppression } from './core/finding.js';
export type { ScanReport, FileReport, ScanSummary } from './core/report-model.js';
export type { Rule } from './core/rule.js';
export { ALL_RULES, ruleById } from './core/registry.js';
export { SEVERITIES, CONFIDENCES, type Severity, type Confidence } from './core/severity.js';
export { VERDICTS, type Verdict } from './core/verdict.js';
export { MlsecError, ConfigError, UsageError, ParseError, LimitError } from './core/errors.js';
export { REPORTERS, type ReporterName } from './report/index.js';
export { readBaseline, writeBaseline } from './core/baseline.js';
