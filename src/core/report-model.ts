import type { EnvironmentRecord } from './environment.js';
import type { Finding } from './finding.js';
import type { ModelPart } from './model-part.js';
import type { PackageRecord } from './package-record.js';
import type { Severity } from './severity.js';
import type { Verdict } from './verdict.js';

/** One examined file. Every examined file appears, clean ones included. */
export interface FileReport {
  /** Path as reached from the scan argument, `/`-separated (e.g. `corpus/a/b.pkl` for argument `corpus`). */
  readonly path: string;
  readonly format: string;
  readonly verdict: Verdict;
  readonly size: number;
  /** Ids of this file's findings (suppressed ones included), in report order. */
  readonly findings: readonly string[];
  /** What the scanner learnt about the models in the file (empty for files that hold none). */
  readonly models: readonly ModelPart[];
  /** Lower-case hex SHA-256 of the file, when the scan asked for hashes (the ML-BOM does). */
  readonly sha256?: string;
  /** The dependencies the file declares, for dependency files (manifests, locks, installed metadata). */
  readonly packages?: readonly PackageRecord[];
}

export interface ScanSummary {
  readonly files: number;
  readonly verdicts: Readonly<Record<Verdict, number>>;
  /** Findings that are not suppressed. */
  readonly findings: number;
  readonly suppressed: number;
  readonly bySeverity: Readonly<Record<Severity, number>>;
  readonly durationMs: number;
}

export interface ScanReport {
  readonly tool: { readonly name: 'mlsec'; readonly version: string };
  readonly files: readonly FileReport[];
  /** All findings, suppressed ones included (they carry `suppressed`), ordered by file then offset. */
  readonly findings: readonly Finding[];
  readonly summary: ScanSummary;
  /** The Python environments among the scanned folders, each as one entry (empty when there are none). */
  readonly environments: readonly EnvironmentRecord[];
  /** Non-fatal notes for the user: expired ignores, unreadable directories, … */
  readonly warnings: readonly string[];
}
