import type { DecompressLimits } from '../../targets/decompress.js';
import type { RandomAccess } from '../../targets/source.js';
import { openZipEntry } from '../../targets/zip-entry.js';
import type { LocalHeader, ZipEntry } from '../../targets/zip.js';
import type { ArchiveReporter } from './archive-report.js';
import { describeEscape, escapeOf, folderOf } from './bundle-paths.js';
import { BUNDLE_EXTRACTION_ESCAPE } from './bundle-rules.js';

/** Longest symbolic-link target read from a zip member (PATH_MAX on Linux). */
const MAX_LINK_TARGET_BYTES = 4096;

/**
 * Extraction checks shared by zip and tar (MODEL-BUNDLE-001): member names that land outside the target folder
 * and links whose target does. Nested archives are checked the same way, each against its own root.
 */
export function checkMemberName(reporter: ArchiveReporter, label: string, name: string): void {
  const escape = escapeOf(name);
  if (escape === undefined) return;
  reporter.report(
    label,
    `${escape === 'absolute' ? 'ABSOLUTE_PATH' : 'PATH_TRAVERSAL'} ${name}`,
    `Member name is ${describeEscape(escape)}: extracting the archive writes outside the target folder`,
    BUNDLE_EXTRACTION_ESCAPE.id,
  );
}

/**
 * A symbolic link's target is resolved from the link's own folder, a hard link's (tar) names another member
 * from the archive root; either outside the root lets later members or readers reach files outside it.
 */
export function checkLinkTarget(
  reporter: ArchiveReporter,
  label: string,
  name: string,
  link: 'symbolic' | 'hard',
  target: string,
): void {
  const escape = escapeOf(target, link === 'symbolic' ? folderOf(name) : '');
  if (escape === undefined) return;
  const kind = link === 'symbolic' ? 'SYMLINK_OUTSIDE' : 'HARDLINK_OUTSIDE';
  reporter.report(
    label,
    `${kind} ${name} -> ${target}`,
    `${link === 'symbolic' ? 'Symbolic' : 'Hard'} link to ${describeEscape(escape)}, outside the archive: extracting it links to files outside the target folder`,
    BUNDLE_EXTRACTION_ESCAPE.id,
  );
}

/** The target a zip symlink member stores as its data; a longer one is cut at {@link MAX_LINK_TARGET_BYTES}. */
export async function zipLinkTarget(
  access: RandomAccess,
  entry: ZipEntry,
  local: LocalHeader,
  limits: DecompressLimits,
  label: string,
): Promise<string> {
  const source = await openZipEntry(access, entry, local, limits, label);
  try {
    const chunks: Uint8Array[] = [];
    let length = 0;
    while (length < MAX_LINK_TARGET_BYTES) {
      const chunk = await source.read(MAX_LINK_TARGET_BYTES - length);
      if (chunk.length === 0) break;
      chunks.push(chunk.slice());
      length += chunk.length;
    }
    return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
  } finally {
    await source.close();
  }
}
