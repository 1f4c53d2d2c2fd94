import type { ScanReport } from '../core/report-model.js';

export interface ReportOptions {
  /** Colour text output (a TTY without NO_COLOR). */
  readonly color: boolean;
  /** Directory that relative URIs (SARIF) are computed against; normally the working directory. */
  readonly cwd: string;
  /** List suppressed findings in the text report instead of only counting them (other formats always list them). */
  readonly showSuppressed?: boolean;
}

/** Renders a report as the text of one output format. */
export type Reporter = (report: ScanReport, options: ReportOptions) => string;
