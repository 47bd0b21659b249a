import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import { sameNode, type NodeState } from '../archive/manifest.js';
import { relTo, type Layout } from '../home/layout.js';
import { afterOf, type LoadedRecord } from '../home/record-format.js';
import { readRecord } from '../home/records.js';
import type { InstallState } from '../home/state.js';
import { nextJournal, runTransaction, type RecoveryReport, type Step } from '../home/tx.js';
import { observe } from './observe.js';
import { withSession, type HomeOptions, type ProgressFn } from './session.js';

export interface RevertOptions extends HomeOptions {
  /** The hotfix to revert; the last applied one when omitted. */
  id?: string;
  all?: boolean;
  dryRun?: boolean;
  onProgress?: ProgressFn;
}

export interface RevertResult {
  reverted: string[];
  dryRun: boolean;
  changes: { id: string; path: string }[];
  recovered: RecoveryReport;
}

/** Which hotfixes to revert, newest first. Pure. */
export function chooseReverts(
  state: InstallState,
  touched: (id: string) => ReadonlySet<string>,
  id?: string,
  all?: boolean,
): string[] {
  const ids = state.hotfixes.map((h) => h.id);
  if (ids.length === 0) throw new HfxError('HFX_E_NOT_APPLIED', 'no hotfix is applied', { hint: 'See `hfx state`.' });
  if (all) return [...ids].reverse();
  if (id === undefined) return ids.slice(-1);
  const at = ids.indexOf(id);
  if (at < 0) throw new HfxError('HFX_E_NOT_APPLIED', `${id} is not applied`, { hint: `Applied: ${ids.join(', ')}.` });
  const mine = touched(id);
  for (const later of ids.slice(at + 1)) {
    const overlap = [...touched(later)].filter(
      (p) => mine.has(p) || [...mine].some((q) => p.startsWith(`${q}/`) || q.startsWith(`${p}/`)),
    );
    if (overlap.length > 0) {
      throw new HfxError(
        'HFX_E_REVERT_BLOCKED',
        `${later}, applied after ${id}, also touches ${overlap.slice(0, 5).join(', ')}${overlap.length > 5 ? ', …' : ''}`,
        {
          hint: `Revert ${later} first (\`hfx revert ${later}\`), then ${id}.`,
          details: { blockedBy: later, paths: overlap },
        },
      );
    }
  }
  return [id];
}

/** The reverse of the applies of `recs` (newest first): put back what each saved, move aside what each put. Pure. */
export function revertSteps(recs: readonly LoadedRecord[], trashDir: string): Step[] {
  const out: Step[] = [];
  let n = 0;
  for (const r of recs) {
    for (const s of [...r.record.steps].reverse()) {
      if (s.kind === 'chmod') out.push({ kind: 'chmod', target: s.target, from: s.to, to: s.from });
      else
        out.push({
          kind: 'move',
          target: s.target,
          source: s.save,
          save: s.source === null ? null : join(trashDir, String(n++)),
        });
    }
  }
  return out;
}

/** The steps that revert `recs` (newest first), on an empty staging area with a trash for what they move aside. */
export function prepareRevert(l: Layout, recs: readonly LoadedRecord[]): Step[] {
  rmSync(l.tx, { recursive: true, force: true });
  mkdirSync(l.trash, { recursive: true });
  return revertSteps(recs, relTo(l, l.trash));
}

/**
 * Every path to restore must still hold what its archive put there; else the user changed it
 * and reverting would lose that change. `recs` are newest first.
 */
export async function assertUnchanged(
  home: string,
  recs: LoadedRecord[],
  ids: string[],
  onProgress?: ProgressFn,
): Promise<void> {
  // Reverting newest first, each archive expects the state its own apply left behind.
  const expect = new Map<string, NodeState | null>();
  for (const r of [...recs].reverse()) {
    const untouched = new Set(r.record.untouched);
    for (const e of r.manifest.entries) if (!untouched.has(e.path)) expect.set(e.path, afterOf(r, e.path, e.after));
  }
  const observed = await observe(home, [...expect.keys()], (d, t) => onProgress?.('check', d, t));
  const modified: { path: string; expected: NodeState | null; found: NodeState | null }[] = [];
  for (const [p, want] of expect) {
    const o = observed.get(p);
    if (!o) throw new HfxError('HFX_E_INTERNAL', `${p} was not observed`);
    if (!sameNode(o.node, want)) modified.push({ path: p, expected: want, found: o.node });
  }
  if (modified.length > 0) {
    throw new HfxError(
      'HFX_E_MODIFIED',
      `${modified.length} file(s) changed since ${ids.join(', ')} ${ids.length === 1 ? 'was' : 'were'} applied; nothing was reverted:\n${modified
        .slice(0, 10)
        .map((m) => `  ${m.path}`)
        .join('\n')}`,
      {
        hint: 'Restore those files (see `hfx verify`), or keep a copy of your changes, put the hotfix version back, and revert again.',
        details: { modified },
      },
    );
  }
}

export async function revertHotfix(opts: RevertOptions): Promise<RevertResult> {
  return withSession(
    { home: opts.home, command: 'revert', readOnly: opts.dryRun ?? false },
    async ({ l, state, recovered }) => {
      const rec = recordsOf(l);
      const ids = chooseReverts(state, (id) => new Set(rec(id).manifest.entries.map((e) => e.path)), opts.id, opts.all);
      if (opts.dryRun) {
        await assertUnchanged(l.home, ids.map(rec), ids, opts.onProgress);
        return { reverted: ids, dryRun: true, changes: changesOf(rec, ids), recovered };
      }
      const changes = await revertIn(l, state, ids, opts.onProgress, rec);
      return { reverted: ids, dryRun: false, changes, recovered };
    },
  );
}

/** Each hotfix's record, read once. */
function recordsOf(l: Layout): (id: string) => LoadedRecord {
  const records = new Map<string, LoadedRecord>();
  return (id) => {
    let r = records.get(id);
    if (!r) records.set(id, (r = readRecord(l, id)));
    return r;
  };
}

function changesOf(rec: (id: string) => LoadedRecord, ids: string[]): { id: string; path: string }[] {
  return ids.flatMap((id) => {
    const r = rec(id);
    const untouched = new Set(r.record.untouched);
    return r.manifest.entries.filter((e) => !untouched.has(e.path)).map((e) => ({ id, path: e.path }));
  });
}

/**
 * Reverts `ids` (newest first) in one transaction, the caller holding the lock: `hfx revert`, and a
 * failed or interrupted health check (health.ts). Refuses, changing nothing, when a file to restore
 * was changed since.
 */
export async function revertIn(
  l: Layout,
  state: InstallState,
  ids: string[],
  onProgress?: ProgressFn,
  rec = recordsOf(l),
): Promise<{ id: string; path: string }[]> {
  const recs = ids.map(rec);
  await assertUnchanged(l.home, recs, ids, onProgress);
  const gone = new Set(ids);
  const journal = nextJournal(state, {
    operation: 'revert',
    subject: ids.join(', '),
    steps: prepareRevert(l, recs),
    newState: { ...state, hotfixes: state.hotfixes.filter((h) => !gone.has(h.id)) },
    commitRemove: ids.map((id) => relTo(l, l.appliedOne(id))),
  });
  await runTransaction(l, journal, (d, t) => onProgress?.('revert', d, t));
  return changesOf(rec, ids);
}
