// A stand-in for src/core/worker.ts that hangs forever on files whose name contains "stall", to prove that the
// pool survives a worker stuck in a file. Everything else gets an empty outcome.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ id, task }) => {
  if (task.displayPath.includes('stall')) {
    for (;;) {
      // Busy forever: only terminating the thread ends this.
    }
  }
  parentPort.postMessage({ id, outcome: { ...task, format: 'pickle', size: 1, findings: [] } });
});
