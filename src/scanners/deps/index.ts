import { ParseError } from '../../core/errors.js';
import type { PackageRecord } from '../../core/package-record.js';
import type { FileScanner, Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import { DEPENDENCY_CHECKS } from './checks/index.js';
import { manifestFormatOf, PARSERS } from './formats/index.js';
import { readManifestInput } from './formats/input.js';
import { DEPS_RULES } from './rules.js';
import type { Component, Manifest } from './model.js';

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
  return { format, packages: packagesOf(manifest) };
}

/** The manifest's components as report data, for the SBOM. */
function packagesOf(manifest: Manifest): PackageRecord[] {
  return manifest.components.map((component) => packageRecord(component, manifest.path));
}

function packageRecord(component: Component, manifestPath: string): PackageRecord {
  const specifier = component.specifiers.map((one) => `${one.operator}${one.version}`).join(',');
  return {
    name: component.name,
    normalizedName: component.normalizedName,
    ecosystem: component.ecosystem,
    ...(component.version !== undefined && { version: component.version }),
    ...(component.version === undefined && specifier !== '' && { specifier }),
    scope: component.scope,
    direct: component.direct,
    hashes: component.hashes,
    ...(component.license !== undefined && { license: component.license }),
    ...(component.dependencies !== undefined && { dependencies: component.dependencies }),
    ...(component.origin.line !== undefined && { line: component.origin.line }),
    ...(component.origin.path !== manifestPath && { declaredIn: component.origin.path }),
  };
}

/**
 * Reads dependency manifests, lock files and installed metadata statically (nothing is installed, built or
 * resolved) and checks each component: vulnerabilities, typosquats, pins, hashes and index configuration.
 */
export const depsScanner: FileScanner = {
  rules: DEPS_RULES,
  detect,
  scan,
};
