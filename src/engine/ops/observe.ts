import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import { modeString, type NodeState } from '../archive/manifest.js';
import { parentOf } from '../archive/paths.js';
import { hashMany, type HashPool } from '../fs/hash-pool.js';

export interface Observed {
  /** What is at the path now (null: nothing). */
  node: NodeState | null;
  /** The parent is a real directory (always true at the root). */
  parentIsDir: boolean;
  /** For directories: the names inside. */
  children?: string[];
}

/**
 * Looks at exactly the given paths of the pack, and nothing else, so that apply and revert
 * cost what the hotfix touches. Refuses to look through a symlinked directory: a write there
 * would land outside the path the manifest names.
 */
export async function observe(
  home: string,
  paths: readonly string[],
  onProgress?: (done: number, total: number) => void,
  pool?: HashPool,
): Promise<Map<string, Observed>> {
  const dirCache = new Map<string, 'dir' | 'missing' | 'other'>([['', 'dir']]);
  const parentKind = (p: string): 'dir' | 'missing' | 'other' => {
    const hit = dirCache.get(p);
    if (hit) return hit;
    const up = parentKind(parentOf(p));
    let kind: 'dir' | 'missing' | 'other';
    if (up !== 'dir') kind = up === 'missing' ? 'missing' : 'other';
    else {
      try {
        const st = lstatSync(join(home, p));
        if (st.isSymbolicLink()) {
          throw new HfxError(
            'HFX_E_UNSAFE_PATH',
            `${JSON.stringify(p)} in the pack is a symbolic link; hfx does not write through links`,
            {
              hint: 'A path the hotfix touches goes through a linked directory. Nothing was changed.',
            },
          );
        }
        kind = st.isDirectory() ? 'dir' : 'other';
      } catch (e) {
        if (e instanceof HfxError) throw e;
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        kind = 'missing';
      }
    }
    dirCache.set(p, kind);
    return kind;
  };

  const out = new Map<string, Observed>();
  const files: string[] = [];
  for (const p of paths) {
    const parentIsDir = parentKind(parentOf(p)) === 'dir';
    if (!parentIsDir) {
      out.set(p, { node: null, parentIsDir });
      continue;
    }
    const abs = join(home, p);
    let st;
    try {
      st = lstatSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      out.set(p, { node: null, parentIsDir });
      continue;
    }
    if (st.isFile()) {
      files.push(p);
      out.set(p, { node: null, parentIsDir });
    } else if (st.isSymbolicLink()) out.set(p, { node: { type: 'symlink', target: readlinkSync(abs) }, parentIsDir });
    else if (st.isDirectory())
      out.set(p, { node: { type: 'dir', mode: modeString(st.mode) }, parentIsDir, children: readdirSync(abs) });
    else {
      throw new HfxError('HFX_E_UNSAFE_PATH', `${JSON.stringify(p)} in the pack is a device, FIFO or socket`, {
        hint: 'hfx manages files, directories and links only. Nothing was changed.',
      });
    }
  }
  const facts = pool
    ? await pool.hashAll(files.map((p) => `${home}/${p}`))
    : await hashMany(
        files.map((p) => `${home}/${p}`),
        onProgress,
      );
  files.forEach((p, i) => {
    const f = facts[i];
    const o = out.get(p);
    if (f === undefined || o === undefined) throw new HfxError('HFX_E_INTERNAL', `${p} was not hashed`);
    if ('error' in f)
      throw new HfxError('HFX_E_IO', `cannot read ${join(home, p)}: ${f.error}`, {
        hint: 'Check permissions on the pack.',
      });
    o.node = { type: 'file', ...f };
  });
  return out;
}
