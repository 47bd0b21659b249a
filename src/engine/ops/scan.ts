import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import type { NodeState } from '../archive/manifest.js';
import { decodeHash, HASH_BATCH, HashPool } from '../fs/hash-pool.js';
import { walkTreeEach } from '../fs/walk.js';
import type { Tree } from '../home/baseline.js';

/**
 * Reads a whole tree into path → state, hashing files on every core. Used by init and verify.
 * The workers start as soon as the walk has found enough files and hash while it goes on;
 * `whileHashing` runs once the walk is done, before the last hashes are in (verify reads the
 * records it compares against there).
 */
export async function scanTree<T = undefined>(root: string, onProgress?: (done: number, total: number) => void, whileHashing?: () => T): Promise<{ tree: Tree; extra: T }> {
  const pool = new HashPool(onProgress);
  try {
    const tree: Tree = new Map();
    const parts: Promise<void>[] = [];
    let batch: string[] = [];
    const flush = (): void => {
      const b = batch;
      batch = [];
      const part = pool.hashRaw(b.map((p) => `${root}/${p}`)).then((r) => {
        const nodes = decodeHash(r, (size, mode, sha256): NodeState => ({ type: 'file', size, mode, sha256 }));
        for (let i = 0; i < b.length; i++) {
          const n = nodes[i]!;
          if ('error' in n) throw new HfxError('HFX_E_IO', `cannot read ${join(root, b[i]!)}: ${n.error}`, { hint: 'Check permissions.' });
          tree.set(b[i]!, n);
        }
      });
      part.catch(() => {}); // awaited below; a walk that throws first must not leave it unhandled
      parts.push(part);
    };
    await walkTreeEach(root, (e) => {
      if (e.type === 'other') {
        throw new HfxError('HFX_E_UNSAFE_PATH', `${join(root, e.path)} is a device, FIFO or socket`, { hint: 'hfx manages files, directories and links only; move it out of the pack.' });
      }
      if (e.type === 'file') {
        // A placeholder keeps the walk's order in the map; the hash fills it in.
        tree.set(e.path, null as unknown as NodeState);
        batch.push(e.path);
        if (batch.length === HASH_BATCH) flush();
      } else tree.set(e.path, e.type === 'dir' ? { type: 'dir', mode: e.mode } : { type: 'symlink', target: e.target });
    });
    if (batch.length > 0) flush();
    pool.drain();
    const extra = whileHashing ? whileHashing() : (undefined as T);
    await Promise.all(parts);
    return { tree, extra };
  } finally {
    await pool.close();
  }
}
