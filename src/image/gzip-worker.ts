import { parentPort } from 'node:worker_threads';
import { gzipMember } from './gzip-pool.js';

const port = parentPort;
if (port === null) throw new Error('gzip-worker.js runs as a worker thread of gzip-pool.js');

port.on('message', (job: { id: number; data: Uint8Array }) => {
  const out = gzipMember(job.data);
  port.postMessage({ id: job.id, data: out }, [out.buffer as ArrayBuffer]);
});
