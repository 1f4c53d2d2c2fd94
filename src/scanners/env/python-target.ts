import type { EnvironmentRecord } from '../../core/environment.js';
import { UsageError } from '../../core/errors.js';
import { PYTHON_VERSIONS, type PythonVersion } from './shadow-stdlib.js';

export function isPythonVersion(text: string): text is PythonVersion {
  return (PYTHON_VERSIONS as readonly string[]).includes(text);
}

/** The Pythons stdlib shadowing is checked against, and a note for the report when a default could not apply. */
export interface PythonTargets {
  /** Absent: every supported version. */
  readonly versions?: readonly PythonVersion[];
  readonly warning?: string;
}

/**
 * `--python-version` (or `python-version` in the configuration) when given; otherwise the version of the one
 * environment the scan found, when it declares one the lists cover; otherwise every supported version.
 */
export function pythonTargets(
  explicit: string | undefined,
  environments: readonly EnvironmentRecord[],
): PythonTargets {
  if (explicit !== undefined) {
    if (!isPythonVersion(explicit))
      throw new UsageError(
        'USAGE_BAD_OPTION',
        `Python ${explicit} is not supported for stdlib shadowing; choose one of ${PYTHON_VERSIONS.join(', ')}`,
      );
    return { versions: [explicit] };
  }
  const declared = [
    ...new Set(environments.map((environment) => environment.python).filter((v) => v !== undefined)),
  ];
  const [only] = declared;
  if (declared.length !== 1 || only === undefined) return {};
  if (isPythonVersion(only)) return { versions: [only] };
  return {
    warning:
      `the scanned environment is Python ${only}, whose standard library is not among the known lists; ` +
      `stdlib shadowing was checked against Python ${PYTHON_VERSIONS.join(', ')} (choose one with --python-version)`,
  };
}

/** The versions a scan's settings target (resolved by the engine), or all of them. */
export function targetsOf(pythonTargets: readonly string[] | undefined): readonly PythonVersion[] {
  const chosen = (pythonTargets ?? []).filter(isPythonVersion);
  return chosen.length > 0 ? chosen : PYTHON_VERSIONS;
}
