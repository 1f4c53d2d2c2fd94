import { ParseError } from '../../core/errors.js';
import type { FileScanner, Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import { DEPENDENCY_CHECKS } from './checks/index.js';
import { manifestFormatOf, PARSERS } from './formats/index.js';
import { readManifestInput } from './formats/input.js';

function detect(probe: Probe): string | undefined {
  return manifestFormatOf(probe.path);
}

async function scan(absolutePath: string, probe: Probe, context: ScanContext): Promise<ScanOutcome> {
  const format = manifestFormatOf(probe.path);
  const parser = format === undefined ? undefined : PARSERS[format];
  if (format === undefined || parser === undefined)
    throw new ParseError('UNSUPPORTED', `no parser for dependency file ${probe.path}`);
  const manifest = await parser(await readManifestInput(absolutePath, probe.path));
  for (const check of DEPENDENCY_CHECKS) {
    await check.run({
      manifest,
      settings: context.settings,
      report: (finding) => {
        context.report(finding);
      },
      checkDeadline: () => {
        context.checkDeadline();
      },
    });
  }
  return { format };
}

/**
 * Reads dependency manifests, lock files and installed metadata statically (nothing is installed, built or
 * resolved) and checks each component: vulnerabilities, typosquats, pins, hashes and index configuration.
 */
export const depsScanner: FileScanner = {
  rules: DEPENDENCY_CHECKS.flatMap((check) => check.rules),
  detect,
  scan,
};
