// A stand-in for src/core/worker.ts, to prove that the pool survives a worker stuck in a file (names containing
// "stall" hang forever) and a worker that dies (names containing "crash" throw out of the thread). Every other
// file gets an empty outcome.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ tasks }) => {
  for (const { id, task } of tasks) {
    if (task.displayPath.includes('stall')) {
      for (;;) {
        // Busy forever: only terminating the thread ends this.
      }
    }
    if (task.displayPath.includes('crash')) throw new Error('native decoder blew up');
    parentPort.postMessage({ id, outcome: { ...task, format: 'pickle', size: 1, findings: [] } });
  }
});
