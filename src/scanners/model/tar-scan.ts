import { ParseError } from '../../core/errors.js';
import { reportUnreadable } from '../../core/unreadable.js';
import { ReaderSource } from '../../targets/reader-source.js';
import { TarReader, type TarHeader } from '../../targets/tar.js';
import { ArchiveReporter } from './archive-report.js';
import { checkLinkTarget, checkMemberName } from './archive-names.js';
import { contentFromSource, joinMember, type Content } from './content.js';
import { isFileWide, type Scope } from './scope.js';
import { scanTorchTarRecords } from './torch-tar.js';

/** Members of the legacy tar format of `torch.save` (torch < 0.4); `sys_info` and `pickle` are plain pickles. */
const TORCH_TAR_RECORDS = new Set(['storages', 'tensors']);

/**
 * A tar archive: every file member is classified and scanned by content, with nested labels. A tar with the
 * members `pickle` and `storages` is PyTorch's legacy tar format (loaded by torch.load before it tries
 * anything else, and not refused by `weights_only` before torch 2.6, CVE-2025-32434); its `storages` and
 * `tensors` members interleave pickles with raw data and are read record by record. Every header, links and
 * folders included, is checked for names and link targets outside the archive (MODEL-BUNDLE-001) and for
 * duplicate names (MODEL-ARCHIVE-001).
 */
export async function scanTar(scope: Scope, content: Content): Promise<string> {
  const reporter = new ArchiveReporter(scope, content.member);
  const headerCounts = new Map<string, number>();
  const checkHeader = (header: TarHeader): void => {
    const label = joinMember(content.member, header.name);
    checkMemberName(reporter, label, header.name);
    if (header.linkpath !== undefined && (header.type === 'SymbolicLink' || header.type === 'Link')) {
      const link = header.type === 'SymbolicLink' ? 'symbolic' : 'hard';
      checkLinkTarget(reporter, label, header.name, link, header.linkpath);
    }
    // A later member of the same name replaces the earlier one on extraction (and in `tarfile.getmember`).
    const count = (headerCounts.get(header.name) ?? 0) + 1;
    headerCounts.set(header.name, count);
    if (count === 2 && header.type !== 'Directory') {
      reporter.report(
        label,
        'DUPLICATE_NAME',
        'Member name appears more than once; extraction keeps the last',
      );
    }
  };
  const tar = new TarReader(
    new ReaderSource(content.reader, content.size),
    content.member ?? content.name,
    checkHeader,
  );
  const names = new Set<string>();
  try {
    for (;;) {
      scope.context.checkDeadline();
      const member = await tar.next();
      if (member === undefined) break;
      names.add(member.name);
      const label = joinMember(content.member, member.name);
      const inner = contentFromSource(member.source, label, member.name, content.depth + 1);
      try {
        if (TORCH_TAR_RECORDS.has(member.name)) await scanTorchTarRecords(scope, inner, member.name);
        else await scope.scan(inner);
      } catch (error) {
        if (isFileWide(error)) throw error;
        reportUnreadable(scope.context, error, label);
      } finally {
        await member.source.close();
      }
    }
  } finally {
    tar.close();
    reporter.summarise();
  }
  if (tar.problems.length > 0) {
    throw new ParseError('BAD_STRUCTURE', `tar archive read with problems: ${tar.problems.join('; ')}`);
  }
  return names.has('pickle') && names.has('storages') ? 'pytorch-tar' : 'tar';
}
