import type { RawFinding } from '../../core/finding.js';
import type { Rule } from '../../core/rule.js';
import type { ScanSettings } from '../../core/scanner.js';
import type { Specifier } from './pep508/parse.js';

/** Where a component or setting was declared: the manifest, lock or metadata file, and the line when known. */
export interface Origin {
  readonly path: string;
  readonly line?: number;
}

/** Conda packages are another ecosystem: `pytorch` on conda-forge is not `torch` on PyPI, nor audited as it. */
export type Ecosystem = 'PyPI' | 'conda';

/**
 * How precisely a component's version is known:
 * - `exact`: `==1.2.3` (no wildcard) or `===1.2.3`, a lock entry, an installed distribution;
 * - `range`: any other specifier set (`>=1.2`, `~=1.2`, `==1.*`), never guessed as its lowest version;
 * - `unpinned`: a bare name;
 * - `url`, `path`, `vcs`: a direct reference (`name @ https://…`, a local wheel, `git+https://…`).
 */
export type PinKind = 'exact' | 'range' | 'unpinned' | 'url' | 'path' | 'vcs';

export interface Hash {
  /** As written: `sha256`, `md5`, … */
  readonly algorithm: string;
  readonly digest: string;
}

/** One dependency as a manifest, lock file or installed environment declares it. */
export interface Component {
  /** The name as written. */
  readonly name: string;
  /** PEP 503-normalised name for PyPI; the conda name as written, lower-cased, for conda. */
  readonly normalizedName: string;
  readonly ecosystem: Ecosystem;
  /** The exact version, when `pin` is `exact`. */
  readonly version?: string;
  /** The declared specifiers (`>=1.2,<2`), also for exact pins. */
  readonly specifiers: readonly Specifier[];
  readonly pin: PinKind;
  /** Declared by the project itself, as opposed to pulled in by another component (lock files, environments). */
  readonly direct: boolean;
  /** `main`, `dev`, or the name of an optional-dependency extra or dependency group. */
  readonly scope: string;
  readonly hashes: readonly Hash[];
  readonly extras: readonly string[];
  readonly markerText?: string;
  /** The URL or path of a direct reference. */
  readonly url?: string;
  /** The index a lock file says the component comes from (`source.url`, `index`). */
  readonly index?: string;
  /** Normalised names of the components this one depends on, when the file records them (locks, METADATA). */
  readonly dependencies?: readonly string[];
  /** The licence from metadata, when the file records one. */
  readonly license?: string;
  readonly origin: Origin;
}

/** A package index or link source that a manifest configures. */
export interface IndexSetting {
  readonly url: string;
  /**
   * - `primary`: replaces PyPI (`--index-url`, a Poetry/uv default source);
   * - `extra`: consulted beside the primary (`--extra-index-url`, a supplemental source);
   * - `find-links`: a page or folder of files (`--find-links`);
   * - `trusted-host`: a host whose TLS errors pip ignores (`--trusted-host`; `url` is the host);
   * - `explicit`: used only by the packages pinned to it (Poetry `priority = "explicit"`, uv `explicit = true`).
   */
  readonly kind: 'primary' | 'extra' | 'find-links' | 'trusted-host' | 'explicit';
  /** The source's name in Poetry, Pipfile and uv, which components refer to. */
  readonly name?: string;
  readonly origin: Origin;
}

/** What a dependency file declares, in one shape for every format. */
export interface Manifest {
  readonly path: string;
  /** `requirements`, `pyproject`, `poetry-lock`, `pipfile`, `pipfile-lock`, `uv-lock`, `pdm-lock`, `pylock`, … */
  readonly format: string;
  readonly components: readonly Component[];
  readonly indexes: readonly IndexSetting[];
  /** Whether the format is a lock (transitive, exact) rather than a declaration of direct dependencies. */
  readonly lock: boolean;
}

/** What a dependency check sees: the manifest, the scan's settings, and a way to report. */
export interface DependencyContext {
  readonly manifest: Manifest;
  readonly settings: ScanSettings;
  report(finding: RawFinding): void;
  checkDeadline(): void;
}

/** A check over a whole manifest (hygiene, typosquats, confusion, vulnerabilities), with the rules it raises. */
export interface DependencyCheck {
  readonly rules: readonly Rule[];
  run(context: DependencyContext): void | Promise<void>;
}

/** `name==version` or the name alone, for a finding's `package` field. */
export function packageLabel(component: Component): string {
  return component.version === undefined ? component.name : `${component.name}==${component.version}`;
}
