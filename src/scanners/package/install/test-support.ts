import { DEFAULT_LIMITS } from '../../../core/limits.js';
import type { RawFinding } from '../../../core/finding.js';
import type { DependencySettings } from '../../../core/scanner.js';
import type {
  CapabilityUse,
  PackageArchive,
  PackageCheckContext,
  PackageKind,
  PackageMember,
} from '../model.js';

const KEPT =
  /(^|\/)(setup\.py|setup\.cfg|pyproject\.toml|PKG-INFO|METADATA|RECORD|WHEEL|entry_points\.txt)$|\.pth$/;

/** A package archive as the scanner would hand it to the checks: `files` by path inside the project. */
export function archiveOf(fileName: string, files: Readonly<Record<string, string>>): PackageArchive {
  const kind: PackageKind = fileName.endsWith('.whl') ? 'wheel' : 'sdist';
  const root = kind === 'sdist' ? `${fileName.replace(/\.(tar\.gz|tgz|tar\.bz2|zip)$/, '')}/` : '';
  const members: PackageMember[] = Object.entries(files).map(([path, text]) => ({
    name: `${root}${path}`,
    path,
    type: 'file',
    size: text.length,
    head: new TextEncoder().encode(text.slice(0, 64)),
  }));
  const kept = new Map(
    members
      .filter((member) => KEPT.test(member.path))
      .map((member) => [member.path, { member, text: files[member.path] ?? '' }] as const),
  );
  return { kind, fileName, root, members, kept };
}

/** A check context that collects what the checks report. */
export class CheckCollector implements PackageCheckContext {
  readonly findings: RawFinding[] = [];
  readonly capabilities: CapabilityUse[] = [];
  readonly settings;

  constructor(deps: DependencySettings = {}) {
    this.settings = { limits: DEFAULT_LIMITS, pickle: { allowGlobals: [], denyGlobals: [] }, deps };
  }

  report(finding: RawFinding): void {
    this.findings.push(finding);
  }

  addCapability(use: CapabilityUse): void {
    this.capabilities.push(use);
  }

  checkDeadline(): void {
    // No time limit in unit tests.
  }
}
