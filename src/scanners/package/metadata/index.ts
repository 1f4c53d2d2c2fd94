import { messageOf, ParseError } from '../../../core/errors.js';
import {
  parseDistributionMetadata,
  parseMetadataFields,
  type DistributionMetadata,
  type MetadataField,
} from '../../deps/formats/metadata.js';
import { loadIndex } from '../../deps/osv/cache.js';
import { packageEntry, type OsvIndex } from '../../deps/osv/index.js';
import { groupMatches, matchPackage } from '../../deps/osv/match.js';
import { normalizeName } from '../../deps/pep508/parse.js';
import { isExactPin } from '../../deps/pep508/specifier.js';
import { compareVersions, parseVersion, publicVersion } from '../../deps/pep508/version.js';
import { typosquatIndexFor, type TyposquatIndex } from '../../deps/typosquat/matcher.js';
import type { PackageArchive, PackageCheckContext, TextMember } from '../model.js';
import {
  METADATA_RULES as RULES,
  PKG_META_001,
  PKG_META_002,
  PKG_META_003,
  PKG_META_004,
  PKG_META_005,
} from './rules.js';

export const METADATA_RULES = RULES;

const DIST_INFO_METADATA = /^([^/]+)\.dist-info\/METADATA$/;
const SDIST_EXTENSION = /\.(tar\.gz|tgz|tar\.bz2|tar\.xz|zip)$/i;

/** Summaries that templates and throw-away uploads leave in place, compared lower-cased without punctuation. */
const PLACEHOLDERS = new Set([
  '',
  'unknown',
  'none',
  'null',
  'n a',
  'na',
  'todo',
  'tbd',
  'test',
  'tests',
  'testing',
  'test package',
  'a test package',
  'my package',
  'my first package',
  'package',
  'python package',
  'a python package',
  'description',
  'package description',
  'short description',
  'a short description',
  'a short description of the project',
  'add a short description here',
  'a small example package',
  'placeholder',
  'foo',
  'bar',
  'xxx',
  'asdf',
  'hello',
  'hello world',
]);

function simplified(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function isPlaceholder(summary: string, name: string): boolean {
  const plain = simplified(summary);
  const bareName = simplified(name);
  return (
    PLACEHOLDERS.has(plain) ||
    plain.startsWith('lorem ipsum') ||
    plain === bareName ||
    plain === `${bareName} package` ||
    plain === `the ${bareName} package`
  );
}

function sameVersion(left: string, right: string): boolean {
  const a = parseVersion(left);
  const b = parseVersion(right);
  if (a === undefined || b === undefined) return left.trim() === right.trim();
  return compareVersions(a, b) === 0;
}

/** Name and version written in an archive file name, split where they agree with `metadata` when they can. */
function fileNameParts(
  archive: PackageArchive,
  metadata: DistributionMetadata | undefined,
): { name: string; version: string } | undefined {
  if (archive.kind === 'wheel') {
    const parts = archive.fileName.replace(/\.whl$/i, '').split('-');
    if (parts.length !== 5 && parts.length !== 6) return undefined;
    return { name: parts[0] ?? '', version: (parts[1] ?? '').replace(/_/g, '-') };
  }
  return stemParts(archive.fileName.replace(SDIST_EXTENSION, ''), metadata);
}

/** `my-pkg-1.0` split into name and version: where the name agrees with the metadata, else at the last version. */
function stemParts(
  stem: string,
  metadata: DistributionMetadata | undefined,
): { name: string; version: string } | undefined {
  const splits: { name: string; version: string }[] = [];
  for (let index = stem.indexOf('-'); index > 0; index = stem.indexOf('-', index + 1))
    splits.push({ name: stem.slice(0, index), version: stem.slice(index + 1) });
  if (metadata !== undefined) {
    const exact = splits.find((split) => normalizeName(split.name) === normalizeName(metadata.name));
    if (exact !== undefined) return exact;
  }
  // Otherwise the last hyphen before a version (`my-pkg-1.0`).
  return splits.reverse().find((split) => parseVersion(split.version) !== undefined) ?? splits[0];
}

/** The metadata member: PKG-INFO at the top of an sdist, `*.dist-info/METADATA` in a wheel. */
function metadataMembers(archive: PackageArchive): TextMember[] {
  if (archive.kind === 'sdist') {
    const info = archive.kept.get('PKG-INFO');
    return info === undefined ? [] : [info];
  }
  return [...archive.kept.values()].filter((kept) => DIST_INFO_METADATA.test(kept.member.path));
}

function fieldOf(fields: readonly MetadataField[], name: string): MetadataField | undefined {
  return fields.find((field) => field.name === name);
}

interface Checked {
  readonly archive: PackageArchive;
  readonly kept: TextMember;
  readonly metadata: DistributionMetadata;
  readonly fields: readonly MetadataField[];
  readonly context: PackageCheckContext;
}

function checkPlaceholders({ kept, metadata, fields, context }: Checked): void {
  const summary = fieldOf(fields, 'summary');
  const text = summary?.value.trim() ?? '';
  if (isPlaceholder(text, metadata.name))
    context.report({
      ruleId: PKG_META_002.id,
      message:
        summary === undefined || text === ''
          ? `${metadata.name} ${metadata.version} has no summary.`
          : `${metadata.name} ${metadata.version} has a placeholder summary: ${JSON.stringify(text)}.`,
      member: kept.member.name,
      line: summary?.line ?? metadata.nameLine,
      evidence: `Summary: ${text}`,
    });
  const version = parseVersion(metadata.version);
  const zero = parseVersion('0');
  if (version !== undefined && zero !== undefined && compareVersions(publicVersion(version), zero) === 0)
    context.report({
      ruleId: PKG_META_003.id,
      message: `${metadata.name} has version ${metadata.version}, which equals 0: a template default, not a release.`,
      member: kept.member.name,
      line: fieldOf(fields, 'version')?.line ?? metadata.nameLine,
      evidence: `Version: ${metadata.version}`,
    });
}

function checkFileName({ archive, kept, metadata, fields, context }: Checked): void {
  const line = metadata.nameLine;
  const parts = fileNameParts(archive, metadata);
  const differences: string[] = [];
  if (parts === undefined) differences.push(`the file name \`${archive.fileName}\` has no name and version`);
  else {
    if (normalizeName(parts.name) !== normalizeName(metadata.name))
      differences.push(`the file name says \`${parts.name}\`, the metadata \`${metadata.name}\``);
    if (!sameVersion(parts.version, metadata.version))
      differences.push(`the file name says version ${parts.version}, the metadata ${metadata.version}`);
  }
  const top = archive.root.replace(/\/$/, '');
  if (archive.kind === 'sdist' && top !== '') {
    const root = stemParts(top, metadata);
    if (
      root === undefined ||
      normalizeName(root.name) !== normalizeName(metadata.name) ||
      !sameVersion(root.version, metadata.version)
    )
      differences.push(`its top folder is \`${top}/\``);
  }
  const folder = DIST_INFO_METADATA.exec(kept.member.path)?.[1];
  if (folder !== undefined) {
    const dash = folder.indexOf('-');
    const folderName = dash < 0 ? folder : folder.slice(0, dash);
    const folderVersion = dash < 0 ? '' : folder.slice(dash + 1).replace(/_/g, '-');
    if (
      normalizeName(folderName) !== normalizeName(metadata.name) ||
      !sameVersion(folderVersion, metadata.version)
    )
      differences.push(`its folder is \`${folder}.dist-info\``);
  }
  if (differences.length === 0) return;
  const version = fieldOf(fields, 'version');
  context.report({
    ruleId: PKG_META_004.id,
    message: `${archive.fileName} holds the metadata of ${metadata.name} ${metadata.version}: ${differences.join('; ')}.`,
    member: kept.member.name,
    line: differences[0]?.includes('version') === true && version !== undefined ? version.line : line,
    evidence: `${archive.fileName}: Name ${metadata.name}, Version ${metadata.version}`,
  });
}

async function osvIndexOf(path: string): Promise<OsvIndex> {
  try {
    return await loadIndex(path);
  } catch (error) {
    if (error instanceof ParseError) throw error;
    throw new ParseError('BAD_STRUCTURE', `OSV database ${path}: ${messageOf(error)}`);
  }
}

/** The MAL advisories that cover a dependency: at its exact pin, or, without one, any the name has. */
function maliciousIds(index: OsvIndex, name: string, pin: string | undefined): string[] {
  if (pin !== undefined)
    return groupMatches(matchPackage(index, name, pin).filter((match) => match.advisory.malicious)).map(
      (group) => group.id,
    );
  return (packageEntry(index, name)?.advisories ?? [])
    .filter((advisory) => advisory.malicious)
    .map((advisory) => advisory.id);
}

function checkDependencies(
  { kept, metadata, context }: Checked,
  typosquats: TyposquatIndex | undefined,
  osv: OsvIndex | undefined,
): void {
  const seen = new Set<string>();
  for (const { requirement, line } of metadata.requiresDist) {
    context.checkDeadline();
    const name = requirement.normalizedName;
    if (seen.has(name)) continue;
    seen.add(name);
    const pin = isExactPin(requirement.specifiers);
    const malicious = osv === undefined ? [] : maliciousIds(osv, name, pin);
    if (malicious.length > 0) {
      context.report({
        ruleId: PKG_META_005.id,
        message:
          `${metadata.name} requires \`${requirement.name}\`${pin === undefined ? '' : `==${pin}`}, which the OSV ` +
          `database lists as malicious (${malicious.join(', ')}).`,
        member: kept.member.name,
        line,
        evidence: `Requires-Dist: ${name} ${malicious.join(' ')}`,
      });
      continue;
    }
    // A direct URL is not fetched by name from an index.
    const match = requirement.url === undefined ? typosquats?.match(requirement.name) : undefined;
    if (match !== undefined)
      context.report({
        ruleId: PKG_META_005.id,
        message:
          `${metadata.name} requires \`${requirement.name}\`, which is not a popular package but looks like ` +
          `\`${match.target}\`: ${match.evidence}.`,
        member: kept.member.name,
        line,
        evidence: `Requires-Dist: ${name}: ${match.evidence}`,
      });
  }
}

function checkOwnName(
  archive: PackageArchive,
  metadata: DistributionMetadata | undefined,
  kept: TextMember | undefined,
  typosquats: TyposquatIndex,
  context: PackageCheckContext,
): void {
  const name = metadata?.name ?? fileNameParts(archive, undefined)?.name;
  if (name === undefined || name === '') return;
  const match = typosquats.match(name);
  if (match === undefined) return;
  context.report({
    ruleId: PKG_META_001.id,
    message:
      `The package is named \`${name}\`, which is not a popular package but looks like \`${match.target}\`: ` +
      `${match.evidence}.`,
    ...(kept !== undefined && { member: kept.member.name }),
    ...(metadata !== undefined && { line: metadata.nameLine }),
    evidence: `${normalizeName(name)}: ${match.evidence}`,
  });
}

/**
 * The metadata checks of one package: its own name against the popular names (PKG-META-001), placeholder
 * summaries and version 0 (002, 003), metadata that disagrees with the file name (004), and dependencies on
 * typosquats or known malicious packages (005). Metadata that cannot be parsed makes the package unscannable.
 */
export async function checkMetadata(archive: PackageArchive, context: PackageCheckContext): Promise<void> {
  const members = metadataMembers(archive);
  if (archive.kind === 'wheel' && members.length === 0)
    context.report({
      ruleId: PKG_META_004.id,
      message: `${archive.fileName} has no \`.dist-info/METADATA\`: an installer cannot tell what it installs.`,
      evidence: `${archive.fileName}: no METADATA`,
    });
  if (members.length > 1)
    context.report({
      ruleId: PKG_META_004.id,
      message: `${archive.fileName} has ${members.length} \`.dist-info\` folders: ${members
        .map((kept) => kept.member.path)
        .join(', ')}.`,
      evidence: `${archive.fileName}: ${members.length} METADATA files`,
    });
  const popular = context.settings.deps?.popular;
  const typosquats = popular === undefined ? undefined : await typosquatIndexFor(popular);
  const enabled = context.settings.enabledRules;
  const db = context.settings.deps?.db;
  const osv =
    db !== undefined && (enabled === undefined || enabled.includes(PKG_META_005.id))
      ? await osvIndexOf(db)
      : undefined;
  const [first] = members;
  const parsed = members.map((kept) => {
    const fields = parseMetadataFields(kept.text, kept.member.name);
    const metadata = parseDistributionMetadata(kept.text, kept.member.name);
    return { archive, kept, metadata, fields, context };
  });
  if (typosquats !== undefined) checkOwnName(archive, parsed[0]?.metadata, first, typosquats, context);
  for (const checked of parsed) {
    checkPlaceholders(checked);
    checkFileName(checked);
    checkDependencies(checked, typosquats, osv);
  }
}
