import { join } from 'node:path';
import { STATE_DIR } from '../archive/paths.js';

/**
 * The files of a pending conflict under `root`: .hfx/conflict/, or the temp directory it is built
 * in before being renamed there whole.
 */
export function conflictArea(root: string) {
  const files = join(root, 'files');
  return {
    root,
    record: join(root, 'conflict.json'),
    /** A copy of the archive, so that `hfx apply --continue` needs no file name. */
    archive: join(root, 'archive.zip'),
    files,
    /** The user's version, the hotfix's, and the one the user writes to resolve it. */
    versions: (path: string) => {
      const base = join(files, path);
      return { mine: `${base}.mine`, new: `${base}.new`, final: `${base}.final` };
    },
  };
}

/** Every file hfx keeps inside an installation, in one place. See docs/architecture.md. */
export function layout(home: string) {
  const dir = join(home, STATE_DIR);
  const tx = join(dir, 'tx');
  const appliedOne = (id: string) => join(dir, 'applied', id);
  return {
    home,
    dir,
    state: join(dir, 'state.json'),
    baseline: join(dir, 'baseline.jsonl'),
    lock: join(dir, 'lock'),
    journal: join(dir, 'journal.json'),
    /** Staging area of the transaction in progress; garbage when there is no journal. */
    tx,
    /** New content, staged for the transaction's steps to move into place. */
    stage: join(tx, 'stage'),
    /** Where a revert's steps move what the reverted archives had put in place. */
    trash: join(tx, 'trash'),
    applied: join(dir, 'applied'),
    /** One applied archive's: its record, and the backups a revert puts back. */
    appliedOne,
    record: (id: string) => join(appliedOne(id), 'record.json'),
    backup: (id: string) => join(appliedOne(id), 'backup'),
    conflict: conflictArea(join(dir, 'conflict')),
    trust: join(dir, 'trust'),
    /** The link to a server (client/config.ts), with the installation token: mode 0600. */
    server: join(dir, 'server.json'),
    /** The trusted TUF metadata and the targets being downloaded (client/tuf.ts). */
    tuf: join(dir, 'tuf'),
    downloads: join(dir, 'downloads'),
    /** The history reported to the fleet view (client/events.ts). */
    events: join(dir, 'events.jsonl'),
    imageCache: join(dir, 'image-cache'),
  };
}

export type Layout = ReturnType<typeof layout>;

/** `abs`, a path inside the installation, relative to its home: journals hold relative paths. */
export function relTo(l: Layout, abs: string): string {
  return abs.slice(l.home.length + 1);
}
