/** What kind of Python environment a scanned folder is. */
export type EnvironmentKind = 'venv' | 'conda' | 'site-packages' | 'dist-packages' | 'user-site';

/**
 * One Python environment found among the scanned folders, reported as a whole: a venv (`pyvenv.cfg`), a conda
 * environment (`conda-meta/`; the base and each of its `envs/*`), or site folders with no such root around them
 * (a system prefix's `lib/pythonX.Y/site-packages` or Debian's `dist-packages`, a user site folder).
 */
export interface EnvironmentRecord {
  readonly kind: EnvironmentKind;
  /** The environment's folder as reached from the scan argument: its root, else the prefix of its site folders. */
  readonly root: string;
  /** `X.Y`, when the environment says: `pyvenv.cfg`, conda's `python` package, a `lib/pythonX.Y` folder. */
  readonly python?: string;
  /** Its `site-packages`/`dist-packages` folders, as reached from the scan argument. */
  readonly siteFolders: readonly string[];
  /** Installed distributions: `*.dist-info` and `*.egg-info` entries of its site folders. */
  readonly distributions: number;
  /**
   * Code its site folders run at every start: `.pth` files with executable lines, `sitecustomize`/`usercustomize`
   * modules and packages, PEP 829 `.start` files.
   */
  readonly startupHooks: number;
}
