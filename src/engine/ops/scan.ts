import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import type { NodeState } from '../archive/manifest.js';
import { hashMany } from '../fs/hash-pool.js';
import { walkTree } from '../fs/walk.js';
import type { Tree } from '../home/baseline.js';

/** Reads a whole tree into path → state, hashing files on every core. Used by init, verify and diff. */
export async function scanTree(root: string, onProgress?: (done: number, total: number) => void): Promise<Tree> {
  const entries = walkTree(root);
  const tree: Tree = new Map();
  const files: string[] = [];
  for (const e of entries) {
    if (e.type === 'other') {
      throw new HfxError('HFX_E_UNSAFE_PATH', `${join(root, e.path)} is a device, FIFO or socket`, { hint: 'hfx manages files, directories and links only; move it out of the pack.' });
    }
    if (e.type === 'file') files.push(e.path);
    tree.set(e.path, e.type === 'file' ? (null as unknown as NodeState) : e.type === 'dir' ? { type: 'dir', mode: e.mode } : { type: 'symlink', target: e.target });
  }
  const facts = await hashMany(files.map((p) => `${root}/${p}`), onProgress);
  files.forEach((p, i) => {
    const f = facts[i];
    if (f === undefined) throw new HfxError('HFX_E_INTERNAL', `${p} was not hashed`);
    if ('error' in f) throw new HfxError('HFX_E_IO', `cannot read ${join(root, p)}: ${f.error}`, { hint: 'Check permissions.' });
    tree.set(p, { type: 'file', ...f });
  });
  return tree;
}
