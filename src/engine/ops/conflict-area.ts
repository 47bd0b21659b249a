import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HfxError } from '../../errors.js';
import type { OpenArchive } from '../archive/read-archive.js';
import { fsyncPathSync } from '../fs/durable.js';
import { conflictArea, type Layout } from '../home/layout.js';
import type { Conflict } from './plan-apply.js';

const CONFLICT_FORMAT = 'hfx-conflict/1';

/** A pending conflict, kept in .hfx/conflict/ until `hfx apply --continue` or `--abort`. */
interface PendingConflict {
  format: typeof CONFLICT_FORMAT;
  id: string;
  title: string;
  createdAt: string;
  conflicts: Conflict[];
}

export function readConflict(l: Layout): PendingConflict | null {
  try {
    return JSON.parse(readFileSync(l.conflict.record, 'utf8')) as PendingConflict;
  } catch {
    return null;
  }
}

/**
 * Writes the conflict area: a copy of the archive, and for each conflicting file the user's
 * version (.mine) and the hotfix's version (.new), so the user can write a .final. The pack
 * itself is not touched. Built in a temp dir and renamed, so it appears whole or not at all.
 */
export async function writeConflictArea(
  l: Layout,
  archive: OpenArchive,
  conflicts: Conflict[],
): Promise<PendingConflict> {
  const tmp = conflictArea(`${l.conflict.root}.tmp`);
  rmSync(tmp.root, { recursive: true, force: true });
  mkdirSync(tmp.files, { recursive: true });
  copyFileSync(archive.file, tmp.archive);
  for (const c of conflicts) {
    const p = tmp.versions(c.path);
    mkdirSync(dirname(p.mine), { recursive: true });
    if (c.found?.type === 'file') copyFileSync(join(l.home, c.path), p.mine);
    if (c.after?.type === 'file' && (c.expected?.type !== 'file' || c.expected.sha256 !== c.after.sha256)) {
      await archive.extractTo(c.path, p.new, c.after);
    }
  }
  const info: PendingConflict = {
    format: CONFLICT_FORMAT,
    id: archive.manifest.id,
    title: archive.manifest.title,
    createdAt: new Date().toISOString(),
    conflicts,
  };
  writeFileSync(tmp.record, JSON.stringify(info, null, 2) + '\n');
  rmSync(l.conflict.root, { recursive: true, force: true });
  renameSync(tmp.root, l.conflict.root);
  fsyncPathSync(l.dir);
  return info;
}

export function clearConflict(l: Layout): boolean {
  if (!existsSync(l.conflict.root)) return false;
  rmSync(l.conflict.root, { recursive: true, force: true });
  return true;
}

/**
 * The error of an apply or update that found files changed locally. With `area`, each conflict
 * names where both versions were kept for the user to resolve.
 */
export function conflictError(
  code: 'HFX_E_CONFLICT' | 'HFX_E_CONFLICT_UNRESOLVED',
  id: string,
  conflicts: readonly Conflict[],
  opts: { nothing: 'applied' | 'updated'; hint: string; area?: Layout['conflict'] },
): HfxError {
  const list = conflicts
    .slice(0, 10)
    .map((c) => `  ${c.path} (${c.reason})`)
    .join('\n');
  const more = conflicts.length > 10 ? `\n  … and ${conflicts.length - 10} more` : '';
  const { area } = opts;
  return new HfxError(
    code,
    `${id}: ${conflicts.length} file(s) were changed locally; nothing was ${opts.nothing}:\n${list}${more}`,
    {
      hint: opts.hint,
      details: { id, conflicts: area ? conflicts.map((c) => ({ ...c, files: area.versions(c.path) })) : conflicts },
    },
  );
}
