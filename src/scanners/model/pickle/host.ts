/**
 * What the decoder needs from the scan it belongs to (implemented in index.ts), and the state that all readings
 * of one scan share: the memory budget for kept payloads and the numbering of nested payloads.
 */
import type { ScanContext } from '../../../core/scanner.js';
import type { BufferedReader } from '../../../targets/reader.js';
import type { NestedLoad } from './machine.js';

export interface Host {
  readonly context: ScanContext;
  /** Opcodes decoded so far in this stream (for `maxOpcodes`). */
  ops: number;
  /** Shared by every reading and nested pickle of one top-level scan. */
  readonly payloads: PayloadBudget;
  /** Shared by every reading of one member. */
  readonly labels: NestedLabels;
  /** Scans a nested payload, whose findings carry the member `label`; resolves to true when it produced none. */
  scanNested(load: NestedLoad, label: string): Promise<boolean>;
  /** Scans the complete pickle that follows inline at the reader (joblib object arrays). */
  scanInline(reader: BufferedReader): Promise<void>;
  /**
   * A host for a deny-only alternative reading that reports into `context` (which drops everything but
   * deny-list hits): its nested payloads are scanned as pickles into `context` and count as clean unless they
   * produce a deny-list hit.
   */
  restricted(context: ScanContext): Host;
}

/**
 * Bytes of payload content a scan may still keep in memory. Kept payloads live as long as the stack, memo or a
 * container refers to them, which the scanner cannot see end; so a payload is charged when it is kept and the
 * charge is never given back. Once the budget is spent, payloads are skipped like oversized ones.
 */
export class PayloadBudget {
  constructor(private left: number) {}

  /** Charges `bytes`; false, charging nothing, when fewer are left. */
  take(bytes: number): boolean {
    if (bytes > this.left) return false;
    this.left -= bytes;
    return true;
  }
}

/**
 * Labels of the nested payloads of one member (`loads#1`, `loads#2`, `_load_from_bytes#1` …), numbered per
 * loader in order of appearance. They name the nested findings' member, so they must not depend on byte offsets:
 * a fingerprint has to survive bytes inserted earlier in the file.
 */
export class NestedLabels {
  private readonly counts = new Map<string, number>();

  next(loader: string): string {
    const count = (this.counts.get(loader) ?? 0) + 1;
    this.counts.set(loader, count);
    return `${loader}#${count}`;
  }
}
