import { Worker } from 'node:worker_threads';
import { LimitError } from './errors.js';
import type { FileOutcome, FileTask } from './scan-file.js';
import type { ScanSettings } from './scanner.js';
import { reportUnreadable } from './unreadable.js';

/** Messages between the pool and its workers. */
export type WorkerRequest = { readonly id: number; readonly task: FileTask };
export type WorkerResponse =
  | { readonly id: number; readonly outcome: FileOutcome | null }
  | { readonly id: number; readonly error: string };

/** Grace beyond the per-file time limit before a worker stuck in a file is terminated. */
const HARD_TIMEOUT_GRACE_MS = 5_000;

interface Slot {
  worker: Worker;
  busy: { id: number; task: FileTask; timer: NodeJS.Timeout } | undefined;
}

/**
 * Runs file scans on worker threads, one file per worker at a time. Scanners check their deadline themselves;
 * a worker that overruns it anyway (a bug, or a pathological input) is terminated and replaced, and its file gets
 * a `TIME` limit finding, so one hostile file can neither hang nor crash the scan.
 */
export class WorkerPool {
  private readonly settings: ScanSettings;
  private readonly workerUrl: URL;
  private readonly slots: Slot[] = [];
  private readonly queue: { id: number; task: FileTask }[] = [];
  private readonly results = new Map<number, FileOutcome | undefined>();
  private nextId = 0;
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private onDone: ((done: number) => void) | undefined;

  private readonly graceMs: number;

  constructor(settings: ScanSettings, size: number, workerUrl: URL, graceMs = HARD_TIMEOUT_GRACE_MS) {
    this.settings = settings;
    this.workerUrl = workerUrl;
    this.graceMs = graceMs;
    for (let index = 0; index < size; index++) this.slots.push(this.spawn());
  }

  /** Scans every task; results keep the order of `tasks`, with undefined for files no scanner claimed. */
  async run(
    tasks: readonly FileTask[],
    onDone?: (done: number) => void,
  ): Promise<(FileOutcome | undefined)[]> {
    this.onDone = onDone;
    const ids = tasks.map((task) => {
      const id = this.nextId++;
      this.queue.push({ id, task });
      return id;
    });
    if (ids.length > 0) {
      await new Promise<void>((resolve, reject) => {
        this.settle = { resolve, reject };
        for (const slot of this.slots) this.feed(slot);
      });
    }
    return ids.map((id) => this.results.get(id));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, { workerData: this.settings });
    const slot: Slot = { worker, busy: undefined };
    worker.on('message', (response: WorkerResponse) => {
      this.finish(slot, response);
    });
    worker.on('error', (error) => {
      this.fail(error);
    });
    return slot;
  }

  private feed(slot: Slot): void {
    const next = this.queue.shift();
    if (next === undefined) {
      if (this.slots.every((candidate) => candidate.busy === undefined)) this.settle?.resolve();
      return;
    }
    const timer = setTimeout(() => {
      this.abandon(slot);
    }, this.settings.limits.timeoutMs + this.graceMs);
    slot.busy = { ...next, timer };
    const request: WorkerRequest = next;
    slot.worker.postMessage(request);
  }

  private finish(slot: Slot, response: WorkerResponse): void {
    const busy = slot.busy;
    if (busy?.id !== response.id) return;
    clearTimeout(busy.timer);
    slot.busy = undefined;
    if ('error' in response) {
      this.fail(new Error(`scanning ${busy.task.displayPath} failed: ${response.error}`));
      return;
    }
    this.record(busy.id, response.outcome ?? undefined);
    this.feed(slot);
  }

  /** The worker is stuck past its deadline: replace it and record the file as unscannable. */
  private abandon(slot: Slot): void {
    const busy = slot.busy;
    if (busy === undefined) return;
    slot.busy = undefined;
    void slot.worker.terminate();
    const findings: FileOutcome['findings'][number][] = [];
    reportUnreadable(
      {
        settings: this.settings,
        deadline: 0,
        report: (finding) => findings.push(finding),
        checkDeadline: () => undefined,
      },
      new LimitError(
        'TIME',
        `scanning did not finish within ${this.settings.limits.timeoutMs / 1000} s; stopped`,
      ),
    );
    this.record(busy.id, { ...busy.task, format: 'unknown', size: 0, findings });
    const index = this.slots.indexOf(slot);
    const replacement = this.spawn();
    this.slots[index] = replacement;
    this.feed(replacement);
  }

  private record(id: number, outcome: FileOutcome | undefined): void {
    this.results.set(id, outcome);
    this.onDone?.(this.results.size);
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.settle?.reject(error);
  }
}
