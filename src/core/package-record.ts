/**
 * A dependency as a report carries it: plain data that crosses the worker boundary and feeds the SBOM. The
 * dependency scanner fills it from manifests, lock files and installed metadata.
 */
export interface PackageRecord {
  readonly name: string;
  /** PEP 503-normalised for PyPI. */
  readonly normalizedName: string;
  readonly ecosystem: 'PyPI' | 'conda';
  /** The exact version, when the file pins one. */
  readonly version?: string;
  /** The declared specifiers when the version is not exact (`>=1.2,<2`). */
  readonly specifier?: string;
  /** `main`, `dev`, or the optional extra or dependency group that declares it. */
  readonly scope: string;
  readonly direct: boolean;
  readonly hashes: readonly { readonly algorithm: string; readonly digest: string }[];
  readonly license?: string;
  /** Normalised names of its own dependencies, when the file records them. */
  readonly dependencies?: readonly string[];
  /** 1-based line in the file that declares it. */
  readonly line?: number;
  /** The file that declares it when that is not the scanned file itself (a `-r` include). */
  readonly declaredIn?: string;
}
