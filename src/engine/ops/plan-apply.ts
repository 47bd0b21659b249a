import { HfxError } from '../../errors.js';
import { sameNode, type ManifestEntry, type NodeState } from '../archive/manifest.js';
import { depth, parentOf } from '../archive/paths.js';
import type { Observed } from './observe.js';

export type Resolution = 'new' | 'mine' | { final: NodeState | null };

export interface Conflict {
  path: string;
  reason: 'modified' | 'exists' | 'missing' | 'not-empty';
  expected: NodeState | null;
  found: NodeState | null;
  after: NodeState | null;
}

export type PlannedStep =
  /** Take away what is there (when `takeAway`), then put `put` there (when not null). */
  | { kind: 'move'; path: string; takeAway: boolean; put: NodeState | null; from: 'payload' | 'final' }
  | { kind: 'chmod'; path: string; from: string; to: string };

export interface ApplyPlan {
  steps: PlannedStep[];
  untouched: string[];
  /** Paths whose content after apply differs from the manifest (conflict resolutions). */
  resolved: Record<string, NodeState | null>;
  conflicts: Conflict[];
}

/**
 * Decides, without any I/O, what applying `entries` to what `observed` saw takes.
 * Steps come in an order that is safe for renames: removals deepest first, replacements,
 * additions shallowest first (parents before children), mode changes last.
 */
export function planApply(
  entries: readonly ManifestEntry[],
  observed: ReadonlyMap<string, Observed>,
  resolutions: ReadonlyMap<string, Resolution> = new Map(),
): ApplyPlan {
  const removals: PlannedStep[] = [];
  const replaces: PlannedStep[] = [];
  const puts: PlannedStep[] = [];
  const chmods: PlannedStep[] = [];
  const untouched: string[] = [];
  const resolved: Record<string, NodeState | null> = {};
  const conflicts: Conflict[] = [];
  const removed = new Set<string>();
  const putDirs = new Set<string>();
  const byPath = new Map(entries.map((e) => [e.path, e]));

  for (const e of entries) {
    const o = observed.get(e.path);
    if (!o) throw new HfxError('HFX_E_INTERNAL', `${e.path} was not observed`);
    const cur = o.node;
    let to: NodeState | null;
    let from: 'payload' | 'final' = 'payload';
    if (sameNode(cur, e.before)) to = e.after;
    else if (sameNode(cur, e.after)) {
      untouched.push(e.path);
      continue;
    } else {
      const r = resolutions.get(e.path);
      if (r === undefined) {
        conflicts.push({
          path: e.path,
          reason: cur === null ? 'missing' : e.before === null ? 'exists' : 'modified',
          expected: e.before,
          found: cur,
          after: e.after,
        });
        continue;
      }
      if (r === 'mine') {
        untouched.push(e.path);
        resolved[e.path] = cur;
        continue;
      }
      if (r === 'new') to = e.after;
      else {
        to = r.final;
        from = 'final';
        if (!sameNode(to, e.after)) resolved[e.path] = to;
      }
    }
    if (cur === null && to === null) continue;
    if (cur === null) {
      puts.push({ kind: 'move', path: e.path, takeAway: false, put: to, from });
      if (to?.type === 'dir') putDirs.add(e.path);
    } else if (to === null) {
      removals.push({ kind: 'move', path: e.path, takeAway: true, put: null, from });
      removed.add(e.path);
    } else if (cur.type === 'dir' && to.type === 'dir') {
      chmods.push({ kind: 'chmod', path: e.path, from: cur.mode, to: to.mode });
    } else if (
      cur.type === 'file' &&
      to.type === 'file' &&
      cur.sha256 === to.sha256 &&
      cur.size === to.size &&
      from === 'payload'
    ) {
      chmods.push({ kind: 'chmod', path: e.path, from: cur.mode, to: to.mode });
    } else if (cur.type === to.type && cur.type !== 'dir') {
      replaces.push({ kind: 'move', path: e.path, takeAway: true, put: to, from });
    } else {
      removals.push({ kind: 'move', path: e.path, takeAway: true, put: null, from });
      puts.push({ kind: 'move', path: e.path, takeAway: false, put: to, from });
      removed.add(e.path);
      if (to.type === 'dir') putDirs.add(e.path);
    }
  }

  // A directory that goes away must be empty once the plan's own removals are done.
  for (const s of removals) {
    const o = observed.get(s.path);
    if (!o) throw new HfxError('HFX_E_INTERNAL', `${s.path} was not observed`);
    if (!o.children) continue;
    const left = o.children.filter((c) => !removed.has(`${s.path}/${c}`));
    if (left.length > 0) {
      const e = byPath.get(s.path);
      if (!e) throw new HfxError('HFX_E_INTERNAL', `${s.path} is not in the manifest`);
      conflicts.push({ path: s.path, reason: 'not-empty', expected: e.before, found: o.node, after: e.after });
    }
  }
  // Whatever is put somewhere needs a directory to go into.
  for (const s of puts) {
    const parent = parentOf(s.path);
    if (parent === '' || putDirs.has(parent)) continue;
    if (observed.get(s.path)?.parentIsDir !== true || removed.has(parent)) {
      throw new HfxError(
        'HFX_E_INCOMPATIBLE',
        `${JSON.stringify(s.path)} goes into ${JSON.stringify(parent)}, which is not a directory in this pack`,
        {
          hint: 'The hotfix was made for a different layout of the pack. Nothing was changed.',
        },
      );
    }
  }

  const byDepth = (dir: 1 | -1) => (a: PlannedStep, b: PlannedStep) =>
    dir * (depth(a.path) - depth(b.path)) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    steps: [...removals.sort(byDepth(-1)), ...replaces, ...puts.sort(byDepth(1)), ...chmods.sort(byDepth(-1))],
    untouched,
    resolved,
    conflicts,
  };
}
