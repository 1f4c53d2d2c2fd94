/** Only long scans get a progress line: short ones would just flicker. */
const SHOW_AFTER_MS = 1_000;
const REDRAW_EVERY_MS = 100;

/**
 * A single progress line on stderr, for interactive terminals only, so stdout stays a clean report and
 * CI logs stay free of carriage-return noise.
 */
export class ProgressLine {
  private readonly started = Date.now();
  private lastDrawn = 0;
  private drawn = false;
  private readonly enabled: boolean;

  constructor(enabled: boolean) {
    this.enabled = enabled && process.stderr.isTTY && process.env.CI === undefined;
  }

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.started < SHOW_AFTER_MS || now - this.lastDrawn < REDRAW_EVERY_MS) return;
    this.lastDrawn = now;
    this.drawn = true;
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    process.stderr.write(`\r\x1b[2Kmlsec: scanned ${done}/${total} files (${percent}%)`);
  }

  clear(): void {
    if (this.drawn) process.stderr.write('\r\x1b[2K');
  }
}
