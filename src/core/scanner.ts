import type { PackageRecord } from './package-record.js';
import type { RawFinding } from './finding.js';
import type { Limits } from './limits.js';
import type { ModelPart } from './model-part.js';
import type { Rule } from './rule.js';

/** The first bytes of a file plus what the file system says about it; enough to classify by content. */
export interface Probe {
  /** Path as displayed (relative to the scan argument), `/`-separated. */
  readonly path: string;
  /** Up to {@link PROBE_BYTES} leading bytes. */
  readonly head: Uint8Array;
  readonly size: number;
  /** The file is a library an environment installed (in `site-packages` below the scan argument). */
  readonly installed?: true;
}

export const PROBE_BYTES = 4096;

/** Extra allowed or denied pickle globals from configuration, as `module.qualname` or `module.*`. */
export interface PicklePolicyOptions {
  readonly allowGlobals: readonly string[];
  readonly denyGlobals: readonly string[];
}

/** Everything a scanner may use while it scans one file. Plain data, so it can be sent to a worker thread. */
export interface ScanSettings {
  readonly limits: Limits;
  readonly pickle: PicklePolicyOptions;
  /** Fill {@link ModelPart.sections} with the detailed structure (`mlsec inspect`); off for scans. */
  readonly detail?: boolean;
  /** Compute each scanned file's SHA-256 (the ML-BOM needs it; plain scans skip the extra read). */
  readonly hashes?: boolean;
  /**
   * The ids of the rules the report keeps (after `--select`/`--ignore`). Scanners may skip the checks of the
   * others, which is only a saving: the engine drops their findings anyway. Absent means every rule.
   */
  readonly enabledRules?: readonly string[];
  /**
   * Run the code rules over Python files that environments installed (`site-packages`), too. Off by default: that
   * is library code, which a project scan should not drown in; its startup hooks and integrity are checked anyway.
   */
  readonly scanInstalledCode?: boolean;
  /** `X.Y` given with `--python-version` or `python-version` in the configuration. */
  readonly pythonVersion?: string;
  /**
   * The Python versions whose standard library ENV-SHADOW-001 checks, as the engine resolved them from
   * {@link pythonVersion} or the scanned environment. Absent means every supported version.
   */
  readonly pythonTargets?: readonly string[];
  readonly deps?: DependencySettings;
}

/** What the dependency checks need from outside the scanned files. */
export interface DependencySettings {
  /** An OSV database: a folder of OSV JSON or PyPA YAML records, a JSONL file, or OSV.dev's `all.zip`. */
  readonly db?: string;
  /** The popular-package list typosquats are measured against (hugovk's `top-pypi-packages` JSON). */
  readonly popular?: string;
  /** Name prefixes of the organisation's own packages, for dependency-confusion checks (`acme-`). */
  readonly internalPrefixes?: readonly string[];
  /** Also ask OSV.dev (or `MLSEC_OSV_API`) about exact pins (`mlsec scan --online`). */
  readonly online?: boolean;
}

export interface ScanContext {
  readonly settings: ScanSettings;
  report(finding: RawFinding): void;
  /** Throws a `LimitError('TIME')` once the file's time limit has passed. Cheap enough to call every few thousand steps. */
  checkDeadline(): void;
}

/** Result of one scanner on one file, besides the findings it reported through the context. */
export interface ScanOutcome {
  /** Detected format, e.g. `pickle`, `pytorch-zip`, `joblib+zlib`. */
  readonly format: string;
  /** What the scanner learnt about the models in the file, outermost first. */
  readonly models?: readonly ModelPart[];
  /** The dependencies the file declares (manifests, lock files, installed metadata). */
  readonly packages?: readonly PackageRecord[];
}

export interface FileScanner {
  readonly rules: readonly Rule[];
  /**
   * Returns the format this scanner recognises in the probe, or undefined when the file is not for it (or, given
   * the scan's settings, not to be examined by it).
   */
  detect(probe: Probe, settings?: ScanSettings): string | undefined;
  scan(absolutePath: string, probe: Probe, context: ScanContext): Promise<ScanOutcome>;
}
