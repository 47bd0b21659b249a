import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import { HashPool } from '../fs/hash-pool.js';
import { walkTreeEach } from '../fs/walk.js';
import { encodeNode } from '../home/baseline.js';

// Files per job: for small files a job of 64 cost the main thread as much in messages and promises
// as the workers spent hashing it (verify of 200,000 files ~8 % faster with 256).
const LINES_BATCH = 256;

/** A tree as the baseline's lines, in walk order (see writeBaselineLinesSync), with its file count and bytes. */
export interface ScannedLines {
  lines: string[];
  files: number;
  bytes: number;
}

/**
 * Reads a whole tree, for init and verify, as its baseline lines (`encodeNode`), hashing files on
 * every core: the workers start as soon as the walk has found enough files and hash while it goes
 * on, and make the files' lines themselves, so that a 200,000-file pack costs the main thread a
 * walk and strings, not 200,000 objects in a map. `whileHashing` runs once the walk is done,
 * before the last hashes are in (verify reads the baseline and the records there).
 */
export async function scanLines<T = undefined>(
  root: string,
  onProgress?: (done: number, total: number) => void,
  whileHashing?: () => T,
): Promise<{ scan: ScannedLines; extra: T }> {
  const pool = new HashPool(onProgress);
  try {
    const lines: string[] = [];
    const parts: Promise<void>[] = [];
    let files = 0;
    let bytes = 0;
    let batch: string[] = [];
    let slots: number[] = [];
    const flush = (): void => {
      const b = batch;
      const at = slots;
      batch = [];
      slots = [];
      const part = pool.lines(root, b).then((r) => {
        const [first] = r.errors;
        if (first)
          throw new HfxError('HFX_E_IO', `cannot read ${join(root, b[first[0]] ?? '?')}: ${first[1]}`, {
            hint: 'Check permissions.',
          });
        const got = r.text.split('\n');
        for (let i = 0; i < at.length; i++) {
          lines[at[i] ?? -1] = got[i] ?? '';
          bytes += r.sizes[i] ?? 0;
        }
      });
      part.catch(() => undefined); // awaited below; a walk that throws first must not leave it unhandled
      parts.push(part);
    };
    await walkTreeEach(root, (path, type, info) => {
      if (type === 'file') {
        files++;
        slots.push(lines.length);
        lines.push('');
        batch.push(path);
        if (batch.length === LINES_BATCH) flush();
      } else if (type === 'dir') lines.push(encodeNode(path, { type: 'dir', mode: info }));
      else if (type === 'symlink') lines.push(encodeNode(path, { type: 'symlink', target: info }));
      else
        throw new HfxError('HFX_E_UNSAFE_PATH', `${join(root, path)} is a device, FIFO or socket`, {
          hint: 'hfx manages files, directories and links only; move it out of the pack.',
        });
    });
    if (batch.length > 0) flush();
    pool.drain();
    const extra = whileHashing ? whileHashing() : (undefined as T);
    await Promise.all(parts);
    return { scan: { lines, files, bytes }, extra };
  } finally {
    await pool.close();
  }
}
