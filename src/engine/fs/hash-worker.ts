import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './hash-pool.js';

// Started by hash-pool.ts as a worker, which always has a parent port.
const port = parentPort;
if (!port) throw new Error('hash-worker.js runs as a worker thread only');
port.on('message', (job: Job) => {
  const r = runJob(job);
  port.postMessage(
    r,
    r.op === 'hash'
      ? [r.sizes.buffer as ArrayBuffer, r.modes.buffer as ArrayBuffer]
      : r.op === 'lines'
        ? [r.sizes.buffer as ArrayBuffer]
        : [],
  );
});
