import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { CollectingContext } from './context.js';
import { LimitError, ParseError } from './errors.js';
import type { FileOutcome, FileTask } from './scan-file.js';
import type { ScanSettings } from './scanner.js';
import { reportUnreadable } from './unreadable.js';

/** Messages between the pool and its workers. */
/** Files to scan, in order; several per message because each message costs more than scanning a small file. */
export type WorkerRequest = { readonly tasks: readonly { readonly id: number; readonly task: FileTask }[] };
export type WorkerResponse =
  | { readonly id: number; readonly outcome: FileOutcome | null }
  | { readonly id: number; readonly error: string };

/** Grace beyond the per-file time limit before a worker stuck in a file is terminated. */
const HARD_TIMEOUT_GRACE_MS = 5_000;
/**
 * Tasks sent ahead to each worker. Workers scan them one after another; sending ahead hides the message round
 * trip, which otherwise dominates on folders of many small files.
 */
const IN_FLIGHT_PER_WORKER = 16;
/**
 * Heap per worker. Scanners keep memory flat by design; the cap turns a bug or an input that defeats that into
 * one unscannable file instead of a machine-wide out-of-memory.
 */
const WORKER_HEAP_MB = 4096;

interface Pending {
  readonly id: number;
  readonly task: FileTask;
}

interface Slot {
  worker: Worker;
  /** Sent and not answered yet, in the order the worker scans them: the first is the one being scanned. */
  inFlight: Pending[];
  /** Fires when the file being scanned overruns the time limit plus grace. */
  timer: NodeJS.Timeout | undefined;
  /**
   * The thread has started running. Until then no file's clock runs: starting a thread on a loaded machine can
   * take longer than a file's whole time limit, and that delay is not the file's doing.
   */
  online: boolean;
}

/**
 * Runs file scans on worker threads. Scanners check their deadline themselves; a worker that overruns it anyway
 * (a bug, or a pathological input) is terminated and replaced, its current file gets a `TIME` limit finding and
 * the files queued behind it are sent again. A worker that dies (out of memory, a crash in a native decoder) is
 * replaced the same way and its file reported unscannable. One hostile file can neither hang nor crash the scan.
 */
export class WorkerPool {
  private readonly settings: ScanSettings;
  private readonly workerUrl: URL;
  private readonly graceMs: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly results = new Map<number, FileOutcome | undefined>();
  private nextId = 0;
  private expected = 0;
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private onDone: ((done: number) => void) | undefined;

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
    this.expected += ids.length;
    if (ids.length > 0) {
      await new Promise<void>((resolve, reject) => {
        this.settle = { resolve, reject };
        for (const slot of this.slots) this.feed(slot);
      });
    }
    return ids.map((id) => this.results.get(id));
  }

  async close(): Promise<void> {
    for (const slot of this.slots) clearTimeout(slot.timer);
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, {
      workerData: this.settings,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    const slot: Slot = { worker, inFlight: [], timer: undefined, online: false };
    worker.on('online', () => {
      slot.online = true;
      if (slot.timer === undefined && slot.inFlight.length > 0) this.startTimer(slot);
    });
    worker.on('message', (response: WorkerResponse) => {
      this.finish(slot, response);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const reason =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new LimitError('MEMORY', `scanning needed more than ${WORKER_HEAP_MB} MB of memory; stopped`)
          : new ParseError('UNSUPPORTED', `the scanner crashed on this file: ${error.message}`);
      this.replace(slot, reason);
    });
    return slot;
  }

  private feed(slot: Slot): void {
    const free = IN_FLIGHT_PER_WORKER - slot.inFlight.length;
    if (free > 0 && this.queue.length > 0) {
      const tasks = this.queue.splice(0, free);
      slot.inFlight.push(...tasks);
      const request: WorkerRequest = { tasks };
      slot.worker.postMessage(request);
    }
    if (slot.online && slot.timer === undefined && slot.inFlight.length > 0) this.startTimer(slot);
  }

  /** Times the file at the head of the slot's queue, the one its worker is scanning now. */
  private startTimer(slot: Slot): void {
    slot.timer = setTimeout(() => {
      this.abandon(slot);
    }, this.settings.limits.timeoutMs + this.graceMs);
  }

  private finish(slot: Slot, response: WorkerResponse): void {
    const head = slot.inFlight[0];
    if (head?.id !== response.id) return;
    slot.inFlight.shift();
    clearTimeout(slot.timer);
    slot.timer = undefined;
    if ('error' in response) {
      this.fail(new Error(`scanning ${head.task.displayPath} failed: ${response.error}`));
      return;
    }
    this.record(head.id, response.outcome ?? undefined);
    this.feed(slot);
  }

  /** The worker is stuck past its deadline. */
  private abandon(slot: Slot): void {
    this.replace(
      slot,
      new LimitError(
        'TIME',
        `scanning did not finish within ${this.settings.limits.timeoutMs / 1000} s; stopped`,
      ),
    );
  }

  /** Replaces a stuck or dead worker: its current file is recorded unscannable, the files behind it resent. */
  private replace(slot: Slot, reason: LimitError | ParseError): void {
    if (!this.slots.includes(slot)) return;
    const [stuck, ...waiting] = slot.inFlight;
    slot.inFlight = [];
    clearTimeout(slot.timer);
    slot.timer = undefined;
    void slot.worker.terminate();
    if (stuck !== undefined) {
      const context = new CollectingContext(this.settings);
      reportUnreadable(context, reason);
      const size = sizeOf(stuck.task.absolutePath);
      this.record(stuck.id, { ...stuck.task, format: 'unknown', size, findings: context.findings });
    }
    this.queue.unshift(...waiting);
    const replacement = this.spawn();
    this.slots[this.slots.indexOf(slot)] = replacement;
    for (const candidate of this.slots) this.feed(candidate);
  }

  private record(id: number, outcome: FileOutcome | undefined): void {
    this.results.set(id, outcome);
    this.onDone?.(this.results.size);
    if (this.results.size === this.expected) this.settle?.resolve();
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.settle?.reject(error);
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
