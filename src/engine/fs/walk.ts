import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import { modeString } from '../archive/mode.js';
import { STATE_DIR } from '../archive/paths.js';

export type WalkEntry =
  | { path: string; type: 'file' }
  | { path: string; type: 'dir'; mode: string }
  | { path: string; type: 'symlink'; target: string }
  | { path: string; type: 'other' };

/**
 * Lists a tree below `root` (paths relative, '/'-separated, sorted), skipping hfx's own state dir.
 * Files are not stat'ed here: the hash workers do it with the same open, which halves the syscalls.
 */
export function walkTree(root: string): WalkEntry[] {
  const out: WalkEntry[] = [];
  const visit = (rel: string): void => {
    let dirents;
    try {
      dirents = readdirSync(rel === '' ? root : join(root, rel), { withFileTypes: true });
    } catch (e) {
      throw new HfxError('HFX_E_IO', `cannot list ${join(root, rel)}: ${(e as Error).message}`, { cause: e });
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      const p = rel === '' ? d.name : `${rel}/${d.name}`;
      if (rel === '' && d.name === STATE_DIR) continue;
      if (d.isFile()) out.push({ path: p, type: 'file' });
      else if (d.isDirectory()) {
        out.push({ path: p, type: 'dir', mode: modeString(lstatSync(join(root, p)).mode) });
        visit(p);
      } else if (d.isSymbolicLink()) out.push({ path: p, type: 'symlink', target: readlinkSync(join(root, p)) });
      else out.push({ path: p, type: 'other' });
    }
  };
  visit('');
  return out;
}

/**
 * walkTree, handing out each entry as it is found — its path, type, and the mode of a directory or
 * the target of a link — without an object per entry, and yielding to the event loop every few
 * milliseconds, so that the hash workers' results are taken and new batches handed out while a
 * large tree is still being listed.
 */
export async function walkTreeEach(
  root: string,
  onEntry: (path: string, type: WalkEntry['type'], info: string) => void,
): Promise<void> {
  let last = performance.now();
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const visit = async (rel: string, abs: string): Promise<void> => {
    let dirents;
    try {
      dirents = readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      throw new HfxError('HFX_E_IO', `cannot list ${abs}: ${(e as Error).message}`, { cause: e });
    }
    dirents.sort(byName);
    for (const d of dirents) {
      if (rel === '' && d.name === STATE_DIR) continue;
      const p = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isFile()) onEntry(p, 'file', '');
      else if (d.isDirectory()) {
        const a = `${abs}/${d.name}`;
        onEntry(p, 'dir', modeString(lstatSync(a).mode));
        await visit(p, a);
      } else if (d.isSymbolicLink()) onEntry(p, 'symlink', readlinkSync(`${abs}/${d.name}`));
      else onEntry(p, 'other', '');
    }
    if (performance.now() - last > 2) {
      await new Promise((r) => setImmediate(r));
      last = performance.now();
    }
  };
  await visit('', root);
}
