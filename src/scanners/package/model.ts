import type { RawFinding } from '../../core/finding.js';
import type { ScanSettings } from '../../core/scanner.js';
import type { Capability as CodeCapability } from '../code/capabilities.js';

/** A built distribution (`.whl`) or a source distribution (`.tar.gz`, `.zip`). */
export type PackageKind = 'wheel' | 'sdist';

export type MemberType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One member of a package archive, as its header describes it. Nothing is extracted. */
export interface PackageMember {
  /** The name as written in the archive. */
  readonly name: string;
  /**
   * The path inside the project: for sdists without their `name-version/` top folder, for wheels the name as is.
   * `/`-separated.
   */
  readonly path: string;
  readonly type: MemberType;
  /** Declared (uncompressed) size in bytes. */
  readonly size: number;
  /** Target of a symbolic or hard link. */
  readonly linkTarget?: string;
  /** Unix permission bits when the archive records them (`0o755`). */
  readonly mode?: number;
  /** Up to {@link MEMBER_HEAD_BYTES} leading bytes of a file member, for magic numbers. */
  readonly head: Uint8Array;
}

export const MEMBER_HEAD_BYTES = 64;

/** A member read as text (Python sources, metadata, build configuration, `.pth` files). */
export interface TextMember {
  readonly member: PackageMember;
  readonly text: string;
}

/**
 * Everything the package checks see of one archive. Python modules are analysed while the archive streams by and
 * then dropped; only the small files the install-time and metadata checks need are kept.
 */
export interface PackageArchive {
  readonly kind: PackageKind;
  /** The archive's base name, e.g. `requests-2.31.0-py3-none-any.whl`. */
  readonly fileName: string;
  /** The sdist's top folder with its slash (`requests-2.31.0/`), '' for wheels or when members disagree. */
  readonly root: string;
  readonly members: readonly PackageMember[];
  /**
   * Kept text members by {@link PackageMember.path}: `setup.py`, `setup.cfg`, `pyproject.toml`, `PKG-INFO`,
   * `*.dist-info/METADATA`, `RECORD`, `WHEEL`, `entry_points.txt` and `.pth` files.
   */
  readonly kept: ReadonlyMap<string, TextMember>;
}

/**
 * What a package can do: the code capabilities, plus install hooks (setup.py command overrides, in-tree build
 * backends) and bundled native binaries. On their own these are what ordinary libraries do, so they are never
 * reported; they raise a package's risk only together with a threat.
 */
export type Capability = CodeCapability | 'install-hook' | 'binary';

/** One place a capability was seen, for the risk summary's evidence. */
export interface CapabilityUse {
  readonly capability: Capability;
  /** Path inside the package. */
  readonly path: string;
  readonly line?: number;
  readonly evidence: string;
}

/** The findings and capabilities of one Python module of a package. */
export interface ModuleAnalysis {
  /** Threat findings, with `line` and `evidence`; the scanner adds the member. */
  readonly findings: readonly RawFinding[];
  readonly capabilities: readonly CapabilityUse[];
}

/** Whether a module runs when the package is installed (setup.py) or imported (a top-level `__init__.py`). */
export type ModuleRole = 'install' | 'import' | 'library';

/** What the heuristics need to know about the module they analyse. */
export interface ModuleInfo {
  /** Path inside the package (`setup.py`, `evil/__init__.py`). */
  readonly path: string;
  readonly role: ModuleRole;
  /** The rules the scan reports; undefined means all. */
  readonly enabledRules?: ReadonlySet<string>;
  readonly checkDeadline: () => void;
  /**
   * Leave {@link ModuleAnalysis.capabilities} empty. The scanner only needs capabilities once a threat was found,
   * which most packages never have, so it collects them in a second pass.
   */
  readonly skipCapabilities?: true;
}

/** What the install-time and metadata checks get besides the archive. */
export interface PackageCheckContext {
  readonly settings: ScanSettings;
  /** Reports a finding; `member` is the archive member name as written (`pkg-1.0/setup.py`). */
  report(finding: RawFinding): void;
  /** Records a capability for the risk score (an install hook, say); never reported on its own. */
  addCapability(use: CapabilityUse): void;
  checkDeadline(): void;
}
