import { parentPort } from 'node:worker_threads';
import { gzipMember } from './gzip-pool.js';

parentPort!.on('message', (job: { id: number; data: Uint8Array }) => {
  const out = gzipMember(job.data);
  parentPort!.postMessage({ id: job.id, data: out }, [out.buffer as ArrayBuffer]);
});
