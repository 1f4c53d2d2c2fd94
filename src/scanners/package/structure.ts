import { posix } from 'node:path';
import { describeEscape, escapeOf, folderOf } from '../model/bundle-paths.js';
import type { PackageArchive, PackageCheckContext, PackageMember } from './model.js';
import { PKG_ARC_001 } from './rules.js';

/** Links followed before a chain is declared a loop; longer chains than this do not occur in real packages. */
const MAX_LINK_HOPS = 40;

/** A member name as a path inside the archive, without `.`, empty segments or a leading slash. */
function normalise(path: string): string {
  return posix.normalize(path).replace(/^\/+|\/+$/g, '');
}

/** The member a link points at, as a normalised name inside the archive. */
function linkDestination(member: PackageMember): string {
  const target = member.linkTarget ?? '';
  // Hard links in tar name their target from the archive root; symbolic links are relative to their folder.
  return member.type === 'hardlink' ? normalise(target) : normalise(`${folderOf(member.name)}/${target}`);
}

/** Symbolic links whose chain comes back to itself: `tar -x` creates them, anything following them never ends. */
function linkLoops(members: readonly PackageMember[]): PackageMember[] {
  const symlinks = new Map<string, PackageMember>();
  for (const member of members) if (member.type === 'symlink') symlinks.set(normalise(member.name), member);
  const looping: PackageMember[] = [];
  for (const [start, member] of symlinks) {
    let at = linkDestination(member);
    for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
      if (at === start) {
        looping.push(member);
        break;
      }
      const next = symlinks.get(at);
      if (next === undefined) break;
      at = linkDestination(next);
    }
  }
  return looping;
}

/**
 * PKG-ARC-001: members an extractor would write outside its folder (absolute names, `..`, links leaving the
 * archive), link loops, devices and FIFOs, and names listed twice (the later copy wins on extraction, while a
 * reader of the first would see something else).
 */
export function checkStructure(archive: PackageArchive, context: PackageCheckContext): void {
  const report = (member: PackageMember, message: string, evidence: string): void => {
    context.report({ ruleId: PKG_ARC_001.id, message, member: member.name, evidence });
  };
  const seen = new Set<string>();
  for (const member of archive.members) {
    const escape = escapeOf(member.name);
    if (escape !== undefined) {
      report(
        member,
        `Member name is ${describeEscape(escape)}: extraction writes outside the target folder`,
        member.name,
      );
    }
    if ((member.type === 'symlink' || member.type === 'hardlink') && member.linkTarget !== undefined) {
      const base = member.type === 'hardlink' ? '' : folderOf(member.name);
      const linkEscape = escapeOf(member.linkTarget, base);
      if (linkEscape !== undefined) {
        report(
          member,
          `${member.type === 'symlink' ? 'Symbolic' : 'Hard'} link target is ${describeEscape(linkEscape)}: ` +
            'files written through it land outside the package',
          `${member.name} -> ${member.linkTarget}`,
        );
      }
    }
    if (member.type === 'other') {
      report(member, 'Device or FIFO member: no package build writes one', member.name);
    }
    if (member.type !== 'directory') {
      if (seen.has(member.name)) {
        report(member, 'Member name appears more than once; extraction keeps the last copy', member.name);
      }
      seen.add(member.name);
    }
  }
  for (const member of linkLoops(archive.members)) {
    report(
      member,
      'Symbolic links form a loop: tools that follow them fail or never finish',
      `${member.name} -> ${member.linkTarget ?? ''}`,
    );
  }
}
