import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OpenArchive } from '../archive/read-archive.js';
import { fsyncPathSync } from '../fs/durable.js';
import type { Layout } from '../home/layout.js';
import type { Conflict } from './plan-apply.js';

export const CONFLICT_FORMAT = 'hfx-conflict/1';

/** A pending conflict, kept in .hfx/conflict/ until `hfx apply --continue` or `--abort`. */
export interface PendingConflict {
  format: typeof CONFLICT_FORMAT;
  id: string;
  title: string;
  createdAt: string;
  conflicts: Conflict[];
}

export function conflictPaths(l: Layout, path: string) {
  const base = join(l.conflict, 'files', path);
  return { mine: `${base}.mine`, new: `${base}.new`, final: `${base}.final` };
}

export function conflictArchive(l: Layout): string {
  return join(l.conflict, 'archive.zip');
}

export function readConflict(l: Layout): PendingConflict | null {
  try {
    return JSON.parse(readFileSync(join(l.conflict, 'conflict.json'), 'utf8')) as PendingConflict;
  } catch {
    return null;
  }
}

/**
 * Writes the conflict area: a copy of the archive, and for each conflicting file the user's
 * version (.mine) and the hotfix's version (.new), so the user can write a .final. The pack
 * itself is not touched. Built in a temp dir and renamed, so it appears whole or not at all.
 */
export async function writeConflictArea(l: Layout, archive: OpenArchive, conflicts: Conflict[]): Promise<PendingConflict> {
  const tmp = `${l.conflict}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'files'), { recursive: true });
  copyFileSync(archive.file, join(tmp, 'archive.zip'));
  const tl = { ...l, conflict: tmp };
  for (const c of conflicts) {
    const p = conflictPaths(tl, c.path);
    mkdirSync(dirname(p.mine), { recursive: true });
    if (c.found?.type === 'file') copyFileSync(join(l.home, c.path), p.mine);
    if (c.after?.type === 'file' && (c.expected?.type !== 'file' || c.expected.sha256 !== c.after.sha256)) {
      await archive.extractTo(c.path, p.new, c.after);
    }
  }
  const info: PendingConflict = { format: CONFLICT_FORMAT, id: archive.manifest.id, title: archive.manifest.title, createdAt: new Date().toISOString(), conflicts };
  writeFileSync(join(tmp, 'conflict.json'), JSON.stringify(info, null, 2) + '\n');
  rmSync(l.conflict, { recursive: true, force: true });
  renameSync(tmp, l.conflict);
  fsyncPathSync(l.dir);
  return info;
}

export function clearConflict(l: Layout): boolean {
  if (!existsSync(l.conflict)) return false;
  rmSync(l.conflict, { recursive: true, force: true });
  return true;
}
