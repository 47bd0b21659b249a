import { parentPort } from 'node:worker_threads';
import { tryCompare, tryHash } from './hash-core.js';
import type { Job, JobResult } from './hash-pool.js';

const port = parentPort;
if (port === null) throw new Error('hash-worker.js runs as a worker thread of hash-pool.js');

port.on('message', (job: Job) => {
  let result: JobResult;
  if (job.op === 'hash') {
    result = { op: 'hash', id: job.id, facts: job.paths.map(tryHash) };
  } else {
    result = { op: 'compare', id: job.id, results: job.pairs.map(([a, b]) => tryCompare(a, b)) };
  }
  port.postMessage(result);
});
