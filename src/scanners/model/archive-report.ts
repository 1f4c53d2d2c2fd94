import { ARCHIVE_INCONSISTENT } from './rules.js';
import type { Scope } from './scope.js';

/** Findings listed per evidence kind and archive; a crafted zip can flag every one of its members. */
const MAX_FINDINGS_PER_KIND = 20;

/**
 * Reports the inconsistencies of one archive (MODEL-ARCHIVE-001) and its extraction escapes (MODEL-BUNDLE-001), at most {@link MAX_FINDINGS_PER_KIND} per
 * evidence kind (the evidence's first word: `FLAG_BITS`, `CRC_MISMATCH`, …), so that an archive of many flagged
 * members cannot flood the report. {@link summarise} then says how many more members had each capped kind.
 */
export class ArchiveReporter {
  private readonly scope: Scope;
  /** The archive's own label: where summaries are reported. */
  private readonly archive: string | undefined;
  /** Per evidence kind: how many were seen, and the rule they belong to. */
  private readonly counts = new Map<string, { ruleId: string; count: number }>();

  constructor(scope: Scope, archive: string | undefined) {
    this.scope = scope;
    this.archive = archive;
  }

  /** Reports under MODEL-ARCHIVE-001 unless another rule is given (MODEL-BUNDLE-001 for extraction escapes). */
  report(
    member: string | undefined,
    evidence: string,
    message: string,
    ruleId: string = ARCHIVE_INCONSISTENT.id,
  ): void {
    const kind = evidence.split(' ', 1)[0] ?? evidence;
    const count = (this.counts.get(kind)?.count ?? 0) + 1;
    this.counts.set(kind, { ruleId, count });
    if (count > MAX_FINDINGS_PER_KIND) return;
    this.scope.context.report({
      ruleId,
      message,
      evidence,
      ...(member !== undefined && { member }),
    });
  }

  summarise(): void {
    for (const [kind, { ruleId, count }] of this.counts) {
      if (count <= MAX_FINDINGS_PER_KIND) continue;
      this.scope.context.report({
        ruleId,
        message: `${count - MAX_FINDINGS_PER_KIND} more members have ${kind}; only the first ${MAX_FINDINGS_PER_KIND} are listed`,
        evidence: kind,
        ...(this.archive !== undefined && { member: this.archive }),
      });
    }
  }
}
