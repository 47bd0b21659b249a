import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import { parseManifest, type Manifest, type NodeState } from '../archive/manifest.js';
import type { SignatureFile } from '../archive/signature.js';
import { readBaseline, type Tree } from './baseline.js';
import type { Layout } from './layout.js';
import type { InstallState } from './state.js';
import type { Step } from './tx.js';

export const RECORD_FORMAT = 'hfx-record/1';

/** Everything needed to revert one applied hotfix, kept in .hfx/applied/<id>/record.json. */
export interface AppliedRecord {
  format: typeof RECORD_FORMAT;
  manifest: unknown;
  signatures: SignatureFile | null;
  /** Paths hfx did not change: they already had the new content, or the user kept their own. */
  untouched: string[];
  /** Where the content after apply differs from the manifest's `after` (a resolved conflict). */
  resolved: Record<string, NodeState | null>;
  /** The apply's steps; a revert runs them backwards from the saved copies. */
  steps: Step[];
}

export interface LoadedRecord {
  record: AppliedRecord;
  manifest: Manifest;
}

export function recordFile(l: Layout, id: string): string {
  return join(l.appliedOne(id), 'record.json');
}

export function readRecord(l: Layout, id: string): LoadedRecord {
  try {
    const record = JSON.parse(readFileSync(recordFile(l, id), 'utf8')) as AppliedRecord;
    if (record.format !== RECORD_FORMAT) throw new Error(`not ${RECORD_FORMAT}`);
    return { record, manifest: parseManifest(record.manifest) };
  } catch (e) {
    throw new HfxError('HFX_E_STATE', `the record of hotfix ${id} is unreadable: ${(e as Error).message}`, {
      hint: 'Restore .hfx/ from a backup; without the record hfx cannot revert this hotfix.',
    });
  }
}

/** What a path should hold after a hotfix, honouring conflict resolutions. */
export function afterOf(r: LoadedRecord, path: string, manifestAfter: NodeState | null): NodeState | null {
  return Object.hasOwn(r.record.resolved, path) ? r.record.resolved[path]! : manifestAfter;
}

/** The tree the installation should have now: the baseline with every update, then every hotfix, laid over it. */
export function expectedTree(l: Layout, state: InstallState): Tree {
  const tree = readBaseline(l);
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
