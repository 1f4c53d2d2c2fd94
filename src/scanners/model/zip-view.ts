import { ParseError } from '../../core/errors.js';
import { RangeAccess } from '../../targets/memory.js';
import type { RandomAccess } from '../../targets/source.js';
import { readLocalHeader, readZipDirectory, type ZipDirectory } from '../../targets/zip.js';
import { contentFromAccess, randomAccessOf, type Content } from './content.js';
import { POLYGLOT_FILE } from './rules.js';
import type { Scope } from './scope.js';
import { scanZipMembers } from './zip-scan.js';

interface ZipView {
  readonly directory: ZipDirectory;
  /** Offset of the first member's local header: everything before it is another view (or junk). */
  readonly start: number;
}

function firstLocalHeader(directory: ZipDirectory): number {
  let start = Number.POSITIVE_INFINITY;
  for (const entry of directory.entries) start = Math.min(start, entry.localHeaderOffset);
  return Number.isFinite(start) ? start : directory.base;
}

/**
 * The zip that zip tools (Python's zipfile, unzip) find in content that does not start with one. Returns
 * undefined when there is none. An end record whose directory does not parse, or whose first member has no
 * local header, is not a zip any tool would open (and four random bytes in tensor data can look like an end
 * record), so it is not a view.
 */
export async function findZipView(access: RandomAccess, scope: Scope): Promise<ZipView | undefined> {
  let directory: ZipDirectory | undefined;
  try {
    directory = await readZipDirectory(access, scope.context.settings.limits.maxArchiveMembers);
    const first = directory?.entries[0];
    if (directory === undefined || first === undefined) return undefined;
    await readLocalHeader(access, first);
  } catch (error) {
    if (error instanceof ParseError) return undefined;
    throw error;
  }
  return { directory, start: firstLocalHeader(directory) };
}

function reportPolyglot(scope: Scope, content: Content, start: number, prefix: string): void {
  scope.context.report({
    ruleId: POLYGLOT_FILE.id,
    message: `A zip archive starts at byte ${start} after ${prefix}: torch.load reads the start of the file, zip tools read the archive`,
    evidence: `zip after ${prefix}`,
    ...(content.member !== undefined && { member: content.member }),
  });
}

/** Scans a zip that starts at the first byte of the content (the ordinary case) or later (a polyglot). */
export async function scanZipContent(scope: Scope, content: Content): Promise<string> {
  const access = await randomAccessOf(content, scope.context);
  const directory = await readZipDirectory(access, scope.context.settings.limits.maxArchiveMembers);
  if (directory === undefined) {
    throw new ParseError(
      'BAD_STRUCTURE',
      'zip local header but no end of central directory (truncated archive?)',
    );
  }
  const start = firstLocalHeader(directory);
  if (start > 0) reportPolyglot(scope, content, start, 'bytes that no member owns');
  return scanZipMembers(scope, content, access, directory);
}

/**
 * Content of another kind followed by a zip: reports the polyglot and scans both views. The leading view is
 * bounded to the bytes before the archive, which is what its own loader consumes (a pickle stops at STOP, a
 * legacy torch file at its last storage); leading bytes of no known kind are junk and only reported.
 */
export async function scanWithZipView(
  scope: Scope,
  content: Content,
  access: RandomAccess,
  view: ZipView,
  leadingKind: string,
): Promise<string> {
  const known = leadingKind !== 'unknown';
  reportPolyglot(scope, content, view.start, known ? `${leadingKind} data` : 'unrecognised data');
  let leading: string | undefined;
  if (known) {
    const prefix = new RangeAccess(access, 0, view.start, content.member ?? content.name);
    leading = await scope.scan(contentFromAccess(prefix, content.member, content.name, content.depth + 1));
  }
  const flavour = await scanZipMembers(scope, content, access, view.directory);
  return leading === undefined ? flavour : `${leading}+${flavour}`;
}
