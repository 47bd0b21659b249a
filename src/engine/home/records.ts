import { readFileSync } from 'node:fs';
import { HfxError } from '../../errors.js';
import { parseManifest } from '../archive/manifest.js';
import { readBaseline, type Tree } from './baseline.js';
import type { Layout } from './layout.js';
import { afterOf, RECORD_FORMAT, type AppliedRecord, type LoadedRecord } from './record-format.js';
import type { InstallState } from './state.js';

export function readRecord(l: Layout, id: string): LoadedRecord {
  try {
    // Parsed JSON: its format is checked before it is taken for a record.
    const raw = JSON.parse(readFileSync(l.record(id), 'utf8')) as { format?: unknown };
    if (raw.format !== RECORD_FORMAT) throw new Error(`not ${RECORD_FORMAT}`);
    const record = raw as AppliedRecord;
    return { record, manifest: parseManifest(record.manifest) };
  } catch (e) {
    throw new HfxError('HFX_E_STATE', `the record of hotfix ${id} is unreadable: ${(e as Error).message}`, {
      hint: 'Restore .hfx/ from a backup; without the record hfx cannot revert this hotfix.',
    });
  }
}

/** The tree the installation should have now: the baseline with every update, then every hotfix, laid over it. */
export function expectedTree(l: Layout, state: InstallState): Tree {
  return layRecords(l, state, readBaseline(l));
}

/** Lays every update's, then every hotfix's changes over `tree` (in place), as expectedTree does over the baseline. */
export function layRecords(l: Layout, state: InstallState, tree: Tree): Tree {
  for (const h of [...state.updates, ...state.hotfixes]) {
    const r = readRecord(l, h.id);
    for (const e of r.manifest.entries) {
      const a = afterOf(r, e.path, e.after);
      if (a === null) tree.delete(e.path);
      else tree.set(e.path, a);
    }
  }
  return tree;
}

/** The paths the applied updates and hotfixes touch. */
export function recordPaths(l: Layout, state: InstallState): Set<string> {
  const out = new Set<string>();
  for (const h of [...state.updates, ...state.hotfixes])
    for (const e of readRecord(l, h.id).manifest.entries) out.add(e.path);
  return out;
}
