import { access, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { LimitError } from '../../core/errors.js';
import type { Severity } from '../../core/severity.js';
import type { Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import { parseRecord, type RecordEntry } from '../deps/formats/record.js';
import { checkEntry, HashBudget, hashBuffer, type EntryCheck } from './integrity-hash.js';
import { canExecute, distributionOf, installRootsOf, resolveEntry } from './integrity-paths.js';
import { ENV_INT_001, ENV_INT_002, ENV_INT_003 } from './integrity-rules.js';
import { ownPackageFolders, siblingClaims, unlistedFiles } from './integrity-unlisted.js';

/**
 * Installed-file integrity: a `*.dist-info/RECORD` is checked against the files it lists. Every hashed entry is
 * resolved under the site folder (never outside the environment prefix), stream-hashed and compared; the
 * distribution's own package folders are listed for files RECORD does not name. Findings go to the RECORD file:
 * ENV-INT-001 for files that can run code, ENV-INT-002 for missing files and changed data, and, only when there is
 * a problem, one ENV-INT-003 summary with the distribution's counts (its row of the integrity table).
 *
 * Bounds: each file at most `limits.maxFileBytes`, all files of one RECORD together at most
 * `limits.maxDecompressedBytes` (the bytes one scanned file may make mlsec read beyond itself), at most
 * `limits.maxArchiveMembers` RECORD rows and package-folder entries. Reaching one makes the RECORD unscannable.
 */

export const RECORD_FORMAT = 'dist-info-record';

/** `…/name-1.0.dist-info/RECORD`, by path alone. */
export function isRecordPath(path: string): boolean {
  return posix.basename(path) === 'RECORD' && posix.basename(posix.dirname(path)).endsWith('.dist-info');
}

/** Files checked at once: enough to overlap file-system latency, few enough to keep memory flat. */
const PARALLEL = 8;

interface Counts {
  verified: number;
  modified: number;
  missing: number;
  unlisted: number;
  unhashed: number;
}

type HashedEntry = RecordEntry & { readonly hash: NonNullable<RecordEntry['hash']> };

export async function scanRecord(
  absolutePath: string,
  probe: Probe,
  context: ScanContext,
): Promise<ScanOutcome> {
  const { limits } = context.settings;
  const text = await readFile(absolutePath, 'utf8');
  const entries = parseRecord(text, probe.path);
  if (entries.length > limits.maxArchiveMembers)
    throw new LimitError(
      'MEMBER_COUNT',
      `RECORD lists ${entries.length} files, more than ${limits.maxArchiveMembers}`,
    );
  const distInfo = basename(dirname(absolutePath));
  const pkg = distributionOf(distInfo);
  const roots = installRootsOf(absolutePath);
  const system = await isDebianSystemInstall(roots.site, dirname(absolutePath));
  // Symbolic links are resolved before the containment check, so the prefix is compared resolved too.
  const realPrefix = await realpath(roots.prefix);
  const counts: Counts = { verified: 0, modified: 0, missing: 0, unlisted: 0, unhashed: 0 };
  const report = (
    entry: { path: string; line?: number },
    executable: boolean,
    message: string,
    severity?: Severity,
  ): void => {
    context.report({
      ruleId: executable ? ENV_INT_001.id : ENV_INT_002.id,
      message: `${pkg}: ${message}`,
      evidence: entry.path,
      package: pkg,
      ...(entry.line !== undefined && { line: entry.line }),
      ...(severity !== undefined && { severity }),
    });
  };

  const listed = new Set<string>();
  const hashed: { entry: HashedEntry; absolute: string; fromPrefix: string }[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const resolved = resolveEntry(roots, entry.path);
    if (!resolved.inside) {
      counts.modified++;
      report(entry, true, `RECORD lists ${entry.path}, which ${resolved.reason}; it is not opened`);
      continue;
    }
    listed.add(posix.normalize(entry.path.replaceAll('\\', '/')));
    if (entry.hash === undefined) {
      counts.unhashed++;
      continue;
    }
    if (seen.has(resolved.absolute)) continue;
    seen.add(resolved.absolute);
    hashed.push({
      entry: { ...entry, hash: entry.hash },
      absolute: resolved.absolute,
      fromPrefix: resolved.fromPrefix,
    });
  }

  const budget = new HashBudget(limits.maxFileBytes, limits.maxDecompressedBytes);
  const results: EntryCheck[] = new Array<EntryCheck>(hashed.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    const buffer = hashBuffer();
    while (next < hashed.length) {
      const index = next++;
      const item = hashed[index];
      if (item === undefined) break;
      context.checkDeadline();
      results[index] = await checkEntry(item.entry, item.absolute, realPrefix, budget, buffer, () => {
        context.checkDeadline();
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, hashed.length) }, worker));

  for (const [index, { entry, fromPrefix }] of hashed.entries()) {
    const result = results[index];
    if (result === undefined || result.kind === 'ok') {
      counts.verified++;
      continue;
    }
    const executable = canExecute(entry.path, fromPrefix);
    if (result.kind === 'missing') {
      counts.missing++;
      report(
        entry,
        false,
        `${entry.path} is listed in RECORD but missing${system ? DEBIAN_NOTE : ''}`,
        system ? 'low' : undefined,
      );
    } else if (result.kind === 'escape') {
      counts.modified++;
      report(entry, true, `${entry.path} ${result.reason}; it is not read`);
    } else {
      counts.modified++;
      // Debian strips native code after the wheel is installed: a smaller extension is expected there.
      const stripped =
        system && /\.so(?:\.\d+)*$/.test(entry.path) && (result.actualSize ?? Infinity) < (entry.size ?? 0);
      const lowered = system && (stripped || !executable);
      report(
        entry,
        executable && !stripped,
        `${entry.path} ${result.reason}${lowered ? DEBIAN_NOTE : ''}`,
        lowered ? 'low' : undefined,
      );
    }
  }

  const folders = ownPackageFolders(listed);
  let unlisted = await unlistedFiles(
    roots.site,
    realPrefix,
    folders,
    listed,
    limits.maxArchiveMembers,
    () => {
      context.checkDeadline();
    },
  );
  if (unlisted.length > 0) {
    const claimed = await siblingClaims(roots.site, distInfo);
    unlisted = unlisted.filter((path) => !claimed.has(path));
  }
  for (const path of unlisted) {
    counts.unlisted++;
    const executable = canExecute(path, undefined);
    report(
      { path },
      executable,
      `${path} sits in the package folder ${path.split('/')[0] ?? path} but RECORD does not list it${
        executable ? '; Python may import or load it' : ''
      }`,
      executable ? undefined : 'low',
    );
  }

  if (counts.modified + counts.missing + counts.unlisted > 0) {
    context.report({
      ruleId: ENV_INT_003.id,
      message:
        `${pkg}: ${hashed.length} listed with a digest (${counts.verified} verified, ${counts.modified} modified, ` +
        `${counts.missing} missing), ${counts.unhashed} without, ${counts.unlisted} unlisted; ${budget.used} bytes hashed`,
      evidence: `${distInfo}/RECORD`,
      package: pkg,
    });
  }
  return { format: RECORD_FORMAT };
}

const DEBIAN_NOTE =
  ' (a Debian/Ubuntu system folder: packaging strips, moves and drops files after RECORD was written; check with `dpkg --verify`)';

/**
 * Debian and Ubuntu's `…/lib/python3/dist-packages` belongs to dpkg, which post-processes files after the wheel was
 * installed (strips `.so`, moves scripts to `/usr/bin`, drops licences). pip always writes `INSTALLER`, so a
 * distribution without one in that folder came from a `.deb`.
 */
async function isDebianSystemInstall(site: string, distInfo: string): Promise<boolean> {
  if (!/[/\\]lib[/\\]python3[/\\]dist-packages$/.test(site)) return false;
  try {
    await access(join(distInfo, 'INSTALLER'));
    return false;
  } catch {
    return true;
  }
}
