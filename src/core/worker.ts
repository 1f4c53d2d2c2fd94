import { parentPort, workerData } from 'node:worker_threads';
import { SCANNERS } from '../scanners/index.js';
import { messageOf } from './errors.js';
import type { WorkerRequest, WorkerResponse } from './pool.js';
import { scanFile } from './scan-file.js';
import type { ScanSettings } from './scanner.js';

/**
 * Worker-thread entry. The pool sends several files ahead; they are scanned strictly one after another, in
 * arrival order, because the pool times the first unanswered file as the one being scanned.
 */
const settings = workerData as ScanSettings;
const port = parentPort;
if (port === null) throw new Error('worker.ts must run as a worker thread');

let previous: Promise<void> = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  previous = previous.then(async () => {
    for (const { id, task } of request.tasks) {
      let response: WorkerResponse;
      try {
        const outcome = await scanFile(task, SCANNERS, settings);
        response = { id, outcome: outcome ?? null };
      } catch (error) {
        response = { id, error: messageOf(error) };
      }
      port.postMessage(response);
    }
  });
});
