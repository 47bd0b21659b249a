// What a record holds, kept apart from records.ts (which validates the manifest in it with the
// schema library) so that the front door can export afterOf without loading that library.
import type { Manifest, NodeState } from '../archive/manifest.js';
import type { SignatureFile } from '../archive/signature.js';
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

/** What a path should hold after a hotfix, honouring conflict resolutions. */
export function afterOf(r: LoadedRecord, path: string, manifestAfter: NodeState | null): NodeState | null {
  const resolved = r.record.resolved[path];
  return resolved !== undefined && Object.hasOwn(r.record.resolved, path) ? resolved : manifestAfter;
}
