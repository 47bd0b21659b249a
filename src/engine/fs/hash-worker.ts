import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './hash-pool.js';

parentPort!.on('message', (job: Job) => {
  const r = runJob(job);
  parentPort!.postMessage(r, r.op === 'hash' ? [r.sizes.buffer as ArrayBuffer, r.modes.buffer as ArrayBuffer] : r.op === 'lines' ? [r.sizes.buffer as ArrayBuffer] : []);
});
