import type { Finding } from '../core/finding.js';
import type { PackageRecord } from '../core/package-record.js';
import type { FileReport } from '../core/report-model.js';
import { normalizeName } from '../scanners/deps/pep508/parse.js';

/*
 * The dependency half of the CycloneDX document: every package a dependency file declares becomes a `library`
 * component with its purl, hashes, scope and licence; lock files and installed metadata add the dependency graph.
 * One component per exact `name@version` across all files (its declaring files are listed as properties); a
 * package without an exact version stays one component per declaration, since it names no single release.
 */

interface PackageComponent {
  readonly ref: string;
  readonly component: Record<string, unknown>;
  readonly record: PackageRecord;
  readonly declaredIn: string[];
}

/** CycloneDX hash algorithm names for the ones Python tooling writes; others are left out of the SBOM. */
const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  md5: 'MD5',
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
  'sha3-256': 'SHA3-256',
  'sha3-384': 'SHA3-384',
  'sha3-512': 'SHA3-512',
  blake2b: 'BLAKE2b-512',
};

/** `pkg:pypi/torch@2.1.0`, `pkg:conda/pytorch@2.1.0`: the purl type and the name as that ecosystem spells it. */
export function purlOf(record: PackageRecord): string {
  const type = record.ecosystem === 'conda' ? 'conda' : 'pypi';
  const name = encodeURIComponent(record.normalizedName);
  return record.version === undefined
    ? `pkg:${type}/${name}`
    : `pkg:${type}/${name}@${encodeURIComponent(record.version)}`;
}

/** Main dependencies are required, development ones excluded from what ships, extras and groups optional. */
function scopeOf(record: PackageRecord): 'required' | 'optional' | 'excluded' {
  if (record.scope === 'main') return 'required';
  return record.scope === 'dev' ? 'excluded' : 'optional';
}

function hashesOf(record: PackageRecord): { alg: string; content: string }[] {
  const seen = new Set<string>();
  return record.hashes.flatMap(({ algorithm, digest }) => {
    const alg = HASH_ALGORITHMS[algorithm.toLowerCase()];
    const content = digest.toLowerCase();
    if (alg === undefined || !/^[0-9a-f]+$/.test(content) || seen.has(`${alg}:${content}`)) return [];
    seen.add(`${alg}:${content}`);
    return [{ alg, content }];
  });
}

function componentOf(record: PackageRecord, ref: string, declaredIn: string): Record<string, unknown> {
  const hashes = hashesOf(record);
  return {
    type: 'library',
    'bom-ref': ref,
    name: record.name,
    ...(record.version !== undefined && { version: record.version }),
    purl: purlOf(record),
    scope: scopeOf(record),
    ...(hashes.length > 0 && { hashes }),
    ...(record.license !== undefined && { licenses: [{ license: { name: record.license } }] }),
    properties: [
      { name: 'mlsec:ecosystem', value: record.ecosystem },
      { name: 'mlsec:direct', value: String(record.direct) },
      ...(record.specifier === undefined ? [] : [{ name: 'mlsec:specifier', value: record.specifier }]),
      { name: 'mlsec:declared-in', value: declaredIn },
    ],
  };
}

/** The package components of every dependency file, and the graph between them where files record it. */
export function packageComponents(files: readonly FileReport[]): {
  components: Record<string, unknown>[];
  dependencies: { ref: string; dependsOn: string[] }[];
  refFor: (path: string, packageLabel: string | undefined) => string | undefined;
} {
  const byRef = new Map<string, PackageComponent>();
  /** `path` → normalised name → bom-ref, to resolve dependency names and finding packages within a file. */
  const byFile = new Map<string, Map<string, string>>();
  for (const file of files) {
    const names = new Map<string, string>();
    byFile.set(file.path, names);
    for (const record of file.packages ?? []) {
      const declaredIn = `${record.declaredIn ?? file.path}${record.line === undefined ? '' : `:${record.line}`}`;
      const ref = record.version === undefined ? `${purlOf(record)}#${declaredIn}` : purlOf(record);
      const existing = byRef.get(ref);
      if (existing === undefined) {
        byRef.set(ref, {
          ref,
          component: componentOf(record, ref, declaredIn),
          record,
          declaredIn: [declaredIn],
        });
      } else if (!existing.declaredIn.includes(declaredIn)) {
        existing.declaredIn.push(declaredIn);
        (existing.component.properties as { name: string; value: string }[]).push({
          name: 'mlsec:declared-in',
          value: declaredIn,
        });
      }
      names.set(record.normalizedName, ref);
    }
  }
  const dependencies = new Map<string, Set<string>>();
  for (const file of files) {
    const names = byFile.get(file.path) ?? new Map<string, string>();
    for (const record of file.packages ?? []) {
      if (record.dependencies === undefined) continue;
      const ref = names.get(record.normalizedName);
      if (ref === undefined) continue;
      const dependsOn = dependencies.get(ref) ?? new Set<string>();
      for (const name of record.dependencies) {
        const target = names.get(name);
        if (target !== undefined && target !== ref) dependsOn.add(target);
      }
      dependencies.set(ref, dependsOn);
    }
  }
  return {
    components: [...byRef.values()].map(({ component }) => component),
    dependencies: [...dependencies].map(([ref, dependsOn]) => ({ ref, dependsOn: [...dependsOn].sort() })),
    refFor: (path, label) => {
      if (label === undefined) return undefined;
      const name = label.split('==')[0] ?? label;
      return byFile.get(path)?.get(normalizeName(name));
    },
  };
}

/** The components a finding affects: the package it names when the SBOM has it, else the file. */
export function affectedRefs(
  finding: Finding,
  fileRef: string,
  refFor: (path: string, packageLabel: string | undefined) => string | undefined,
): { ref: string }[] {
  const packageRef = refFor(finding.location.path, finding.location.package);
  return packageRef === undefined ? [{ ref: fileRef }] : [{ ref: packageRef }, { ref: fileRef }];
}
