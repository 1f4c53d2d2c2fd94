import { parentPort, workerData } from 'node:worker_threads';
import { SCANNERS } from '../scanners/index.js';
import type { WorkerRequest, WorkerResponse } from './pool.js';
import { scanFile } from './scan-file.js';
import type { ScanSettings } from './scanner.js';

/** Worker-thread entry: scans the files the pool sends, one at a time. */
const settings = workerData as ScanSettings;
const port = parentPort;
if (port === null) throw new Error('worker.ts must run as a worker thread');

port.on('message', (request: WorkerRequest) => {
  scanFile(request.task, SCANNERS, settings).then(
    (outcome) => {
      const response: WorkerResponse = { id: request.id, outcome: outcome ?? null };
      port.postMessage(response);
    },
    (error: unknown) => {
      const response: WorkerResponse = {
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      };
      port.postMessage(response);
    },
  );
});
