/**
 * Test support only: runs the package scanner on a file the way the engine does (`scanFile`), with limits and
 * dependency settings to override.
 */
import { basename } from 'node:path';
import type { RawFinding } from '../../core/finding.js';
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.js';
import { scanFile } from '../../core/scan-file.js';
import type { DependencySettings } from '../../core/scanner.js';
import { packageScanner } from './index.js';

export interface PackageTestScan {
  readonly format: string | undefined;
  readonly findings: readonly RawFinding[];
}

export async function scanPackageForTest(
  path: string,
  options: {
    readonly limits?: Partial<Limits>;
    readonly deps?: DependencySettings;
    readonly enabledRules?: readonly string[];
  } = {},
): Promise<PackageTestScan> {
  const outcome = await scanFile({ absolutePath: path, displayPath: basename(path) }, [packageScanner], {
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    pickle: { allowGlobals: [], denyGlobals: [] },
    ...(options.deps !== undefined && { deps: options.deps }),
    ...(options.enabledRules !== undefined && { enabledRules: options.enabledRules }),
  });
  return { format: outcome?.format, findings: outcome?.findings ?? [] };
}
