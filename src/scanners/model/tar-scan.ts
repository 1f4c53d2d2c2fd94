import { ParseError } from '../../core/errors.js';
import { reportUnreadable } from '../../core/unreadable.js';
import { ReaderSource } from '../../targets/reader-source.js';
import { TarReader } from '../../targets/tar.js';
import { contentFromSource, joinMember, type Content } from './content.js';
import { isFileWide, type Scope } from './scope.js';
import { scanTorchTarRecords } from './torch-tar.js';

/** Members of the legacy tar format of `torch.save` (torch < 0.4); `sys_info` and `pickle` are plain pickles. */
const TORCH_TAR_RECORDS = new Set(['storages', 'tensors']);

/**
 * A tar archive: every file member is classified and scanned by content, with nested labels. A tar with the
 * members `pickle` and `storages` is PyTorch's legacy tar format (loaded by torch.load before it tries
 * anything else, and not refused by `weights_only` before torch 2.6, CVE-2025-32434); its `storages` and
 * `tensors` members interleave pickles with raw data and are read record by record.
 */
export async function scanTar(scope: Scope, content: Content): Promise<string> {
  const tar = new TarReader(new ReaderSource(content.reader, content.size), content.member ?? content.name);
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
  }
  if (tar.problems.length > 0) {
    throw new ParseError('BAD_STRUCTURE', `tar archive read with problems: ${tar.problems.join('; ')}`);
  }
  return names.has('pickle') && names.has('storages') ? 'pytorch-tar' : 'tar';
}
