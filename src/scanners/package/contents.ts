import { normalizeName } from '../deps/pep508/parse.js';
import { benignTemplate } from '../env/pth-benign.js';
import { readPth } from '../env/pth-lines.js';
import { rateExecLine } from '../env/pth-rate.js';
import type { PackageArchive, PackageCheckContext, PackageMember } from './model.js';
import { PKG_BIN_001, PKG_PTH_001 } from './rules.js';

type BinaryFormat = 'ELF' | 'PE' | 'Mach-O';

function binaryFormat(head: Uint8Array): BinaryFormat | undefined {
  const [a, b, c, d] = head;
  if (a === 0x7f && b === 0x45 && c === 0x4c && d === 0x46) return 'ELF';
  if (a === 0x4d && b === 0x5a) return 'PE';
  const magic = ((a ?? 0) << 24) | ((b ?? 0) << 16) | ((c ?? 0) << 8) | (d ?? 0);
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(magic >>> 0)) return 'Mach-O';
  return undefined;
}

/** Extension modules and the shared libraries auditwheel/delocate vendor next to them. */
const EXTENSION_MODULE = /\.(so(\.[\d.]+)?|pyd|dylib|dll)$/i;

/**
 * The Windows launcher stubs that distlib (vendored by pip) and setuptools ship in their pure wheels, at their
 * exact places: console-script wrappers they copy next to generated scripts on Windows.
 */
const LAUNCHER_STUB =
  /^(pip\/_vendor\/distlib\/[tw](32|64|64-arm)\.exe|setuptools\/(cli|gui)(-32|-64|-arm64)?\.exe)$/;

/** `name-version(-build)?-python-abi-platform.whl`: the platform tag. */
function wheelPlatform(fileName: string): string | undefined {
  const parts = fileName.replace(/\.whl$/i, '').split('-');
  return parts.length >= 5 ? parts[parts.length - 1] : undefined;
}

/** The distribution a wheel's file name names, normalised. */
export function wheelDistribution(fileName: string): string {
  return normalizeName(fileName.split('-')[0] ?? '');
}

/**
 * PKG-BIN-001. A platform wheel carries compiled code by design: extension modules, vendored libraries, and the
 * programs that tool wheels (ninja, cmake, ruff) exist to ship. Binaries are reported in sdists, which should
 * build them from source, and in pure wheels (platform tag `any`), which claim to hold none, except for the
 * Windows launcher stubs of pip's distlib and setuptools.
 */
export function checkBinaries(archive: PackageArchive, context: PackageCheckContext): void {
  const platform = archive.kind === 'wheel' ? wheelPlatform(archive.fileName) : undefined;
  const platformWheel = platform !== undefined && platform !== 'any';
  for (const member of archive.members) {
    if (member.type !== 'file') continue;
    const format = binaryFormat(member.head);
    if (format === undefined) continue;
    context.addCapability({ capability: 'binary', path: member.path, evidence: `${format} ${member.path}` });
    if (platformWheel || LAUNCHER_STUB.test(member.path)) continue;
    const what = EXTENSION_MODULE.test(member.path) ? 'library' : 'program';
    const where =
      archive.kind === 'sdist'
        ? 'a source distribution, which should build it from source'
        : 'a pure-Python wheel (platform tag `any`), which claims to hold no compiled code';
    context.report({
      ruleId: PKG_BIN_001.id,
      message: `Prebuilt ${format} ${what} in ${where}`,
      member: member.name,
      evidence: `${format} ${member.path} (${member.size} bytes)`,
    });
  }
}

/** Where a wheel's `.pth` files land in site-packages: its root, or the root of its purelib/platlib data. */
function installsToSiteRoot(member: PackageMember): boolean {
  return /^([^/]+\.data\/(purelib|platlib)\/)?[^/]+\.pth$/.test(member.path);
}

/** PKG-PTH-001: `.pth` files a wheel installs into site-packages, rated like those found in an environment. */
export async function checkWheelPth(archive: PackageArchive, context: PackageCheckContext): Promise<void> {
  if (archive.kind !== 'wheel') return;
  const owner = wheelDistribution(archive.fileName);
  for (const [path, { member, text }] of archive.kept) {
    if (!path.endsWith('.pth') || !installsToSiteRoot(member)) continue;
    const name = path.slice(path.lastIndexOf('/') + 1);
    const execLines = readPth(Buffer.from(text, 'utf8')).lines.filter((line) => line.kind === 'exec');
    if (execLines.length === 0) continue;
    const template = benignTemplate(
      name,
      execLines.map((line) => line.text),
    );
    if (template !== undefined && template.owner === owner) continue;
    for (const line of execLines) {
      const rating = await rateExecLine(line.text, () => {
        context.checkDeadline();
      });
      const dangerous = rating.dangers.length > 0;
      for (const capability of rating.capabilities) {
        context.addCapability({ capability, path, line: line.line, evidence: line.text.slice(0, 160) });
      }
      context.report({
        ruleId: PKG_PTH_001.id,
        message: dangerous
          ? `${name} runs at every Python start and ${rating.dangers.join(', ')}`
          : `${name} imports ${rating.modules.join(', ') || 'a module'} at every Python start`,
        member: member.name,
        line: line.line,
        evidence: line.text.length > 160 ? `${line.text.slice(0, 160)}…` : line.text,
        ...(dangerous && { severity: 'critical' as const }),
      });
    }
  }
}
