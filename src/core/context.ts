import { LimitError } from './errors.js';
import type { RawFinding } from './finding.js';
import type { ScanContext, ScanSettings } from './scanner.js';

/** The context one file is scanned with: findings are collected, the time limit starts now. */
export class CollectingContext implements ScanContext {
  readonly findings: RawFinding[] = [];
  readonly settings: ScanSettings;
  /** Epoch milliseconds after which scanning this file stops with a `TIME` limit error. */
  private readonly deadline: number;

  constructor(settings: ScanSettings) {
    this.settings = settings;
    this.deadline = Date.now() + settings.limits.timeoutMs;
  }

  report(finding: RawFinding): void {
    this.findings.push(finding);
  }

  checkDeadline(): void {
    if (Date.now() > this.deadline) {
      throw new LimitError('TIME', `scanning took longer than ${this.settings.limits.timeoutMs / 1000} s`);
    }
  }
}

/** A context whose findings go to `report` (to filter or count them), with the settings and time limit of `context`. */
export function relayContext(context: ScanContext, report: (finding: RawFinding) => void): ScanContext {
  return {
    settings: context.settings,
    report,
    checkDeadline: () => {
      context.checkDeadline();
    },
  };
}
