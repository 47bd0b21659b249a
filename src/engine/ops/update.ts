import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HfxError } from '../../errors.js';
import { modeString, type NodeState } from '../archive/manifest.js';
import { parentOf } from '../archive/paths.js';
import { DEFAULT_LIMITS, openArchive, type ArchiveLimits, type OpenArchive } from '../archive/read-archive.js';
import { hashFileSync } from '../fs/hash-core.js';
import { readRecord, type LoadedRecord } from '../home/records.js';
import type { AppliedUpdate, InstallState } from '../home/state.js';
import { runTransaction, type Journal, type RecoveryReport, type Step } from '../home/tx.js';
import { authenticate, relTo, type ProgressFn } from './apply.js';
import { observe, type Observed } from './observe.js';
import { planApply } from './plan-apply.js';
import { assertUnchanged, revertSteps } from './revert.js';
import { withSession, type HomeOptions } from './session.js';
import { stageArchive } from './stage.js';

export type Channel = 'full' | 'security';

export interface UpdateOptions extends HomeOptions {
  /** One update archive. */
  archive?: string;
  /** A directory of update archives: the chain from the installed level is taken from it. */
  from?: string;
  /** Stop at this level (default: the latest the archives reach). */
  level?: number;
  /** Follow this channel from now on (default: the installation's). */
  channel?: Channel;
  dryRun?: boolean;
  allowUnsigned?: boolean;
  limits?: ArchiveLimits;
  onProgress?: ProgressFn;
}

export interface UpdateResult {
  fromLevel: number;
  toLevel: number;
  channel: Channel;
  /** Update ids, in the order applied. */
  applied: string[];
  /** Hotfixes the updates include, reverted for them. */
  reverted: string[];
  changes: number;
  dryRun: boolean;
  recovered: RecoveryReport;
}

export interface Candidate {
  id: string;
  level: number;
  toLevel: number;
  security: boolean;
}

/**
 * Picks the chain of updates from `level`, pure. At each level it takes the update that goes
 * furthest without passing `target` (updates are cumulative), on the security channel only
 * security updates. A gap before `target` is an error; so are two different archives for the
 * same step.
 */
export function chooseChain(cands: readonly Candidate[], level: number, channel: Channel, target?: number): Candidate[] {
  if (target !== undefined && target < level) {
    throw new HfxError('HFX_E_INCOMPATIBLE', `the installation is at level ${level}, above ${target}`, { hint: 'Go back one level at a time with `hfx update --revert`.' });
  }
  const usable = cands.filter((c) => channel === 'full' || c.security);
  const chain: Candidate[] = [];
  let cur = level;
  for (;;) {
    if (target !== undefined && cur >= target) break;
    const next = usable.filter((c) => c.level === cur && (target === undefined || c.toLevel <= target));
    if (next.length === 0) {
      if (target !== undefined) {
        throw new HfxError('HFX_E_INCOMPATIBLE', `no ${channel === 'security' ? 'security ' : ''}update goes from level ${cur}${cur === level ? '' : ` (reached from ${level})`} towards level ${target}`, {
          hint: 'A level is missing from the updates given. Get the missing update, or choose a lower --level.',
        });
      }
      break;
    }
    const far = Math.max(...next.map((c) => c.toLevel));
    const best = next.filter((c) => c.toLevel === far);
    if (new Set(best.map((c) => c.id)).size > 1) {
      throw new HfxError('HFX_E_INCOMPATIBLE', `${best.map((c) => c.id).join(' and ')} both go from level ${cur} to ${far}`, { hint: 'Keep one of them in the directory.' });
    }
    chain.push(best[0]!);
    cur = far;
  }
  return chain;
}

function nodeAt(abs: string): NodeState | null {
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return { type: 'symlink', target: readlinkSync(abs) };
  if (st.isDirectory()) return { type: 'dir', mode: modeString(st.mode) };
  return { type: 'file', ...hashFileSync(abs) };
}

/**
 * What the pack will look like once `steps` have run, for the paths they touch: the chain is one
 * transaction, so each update is planned against the tree the steps before it leave, not the disk.
 */
function simulate(home: string, steps: readonly Step[], overlay: Map<string, NodeState | null>): void {
  for (const s of steps) {
    if (s.kind === 'move') overlay.set(s.target, s.source === null ? null : nodeAt(join(home, s.source)));
    else {
      const cur = overlay.has(s.target) ? overlay.get(s.target)! : nodeAt(join(home, s.target));
      if (cur && cur.type !== 'symlink') overlay.set(s.target, { ...cur, mode: s.to });
    }
  }
}

async function observeVirtual(home: string, paths: string[], overlay: ReadonlyMap<string, NodeState | null>): Promise<Map<string, Observed>> {
  const disk = await observe(home, paths.filter((p) => !overlay.has(p) || overlay.get(p)?.type === 'dir'));
  const isDir = (p: string): boolean => (p === '' ? true : overlay.has(p) ? overlay.get(p)?.type === 'dir' : (() => { try { return statSync(join(home, p)).isDirectory() && !lstatSync(join(home, p)).isSymbolicLink(); } catch { return false; } })());
  const out = new Map<string, Observed>();
  for (const p of paths) {
    const node = overlay.has(p) ? overlay.get(p)! : disk.get(p)!.node;
    const o: Observed = { node, parentIsDir: isDir(parentOf(p)) };
    if (node?.type === 'dir') {
      const kids = new Set(existsSync(join(home, p)) && lstatSync(join(home, p)).isDirectory() ? readdirSync(join(home, p)) : []);
      for (const [q, n] of overlay) {
        if (parentOf(q) !== p) continue;
        const name = q.slice(p.length + 1);
        if (n === null) kids.delete(name);
        else kids.add(name);
      }
      o.children = [...kids];
    }
    out.set(p, o);
  }
  return out;
}

function listArchives(opts: UpdateOptions): string[] {
  if (opts.archive && opts.from) throw new HfxError('HFX_E_USAGE', 'give an update archive or --from DIR, not both');
  if (opts.archive) return [resolve(opts.archive)];
  if (!opts.from) throw new HfxError('HFX_E_USAGE', 'no update given', { hint: 'hfx update FILE.zip, or hfx update --from DIR [--level N]' });
  const dir = resolve(opts.from);
  if (!existsSync(dir)) throw new HfxError('HFX_E_NOT_FOUND', `${dir} does not exist`);
  return readdirSync(dir).filter((n) => n.endsWith('.zip')).sort().map((n) => join(dir, n));
}

export async function updateHome(opts: UpdateOptions): Promise<UpdateResult> {
  return withSession({ home: opts.home, command: 'update', readOnly: opts.dryRun ?? false }, async ({ l, state, recovered }) => {
    const channel = opts.channel ?? state.channel;
    const files = listArchives(opts);
    const open: OpenArchive[] = [];
    try {
      const byId = new Map<string, OpenArchive>();
      for (const f of files) {
        const a = await openArchive(f, opts.limits ?? DEFAULT_LIMITS);
        open.push(a);
        const m = a.manifest;
        const mine = m.kind === 'update' && m.product === state.product && m.release === state.version;
        if (!mine) {
          if (opts.archive) throw new HfxError('HFX_E_INCOMPATIBLE', `${m.id} is ${m.kind === 'update' ? `an update for ${m.product} ${m.release}` : 'a hotfix, not an update'}; this installation is ${state.product} ${state.version}`, { hint: m.kind === 'hotfix' ? `Use \`hfx apply\`.` : 'Get the update for this product and release.' });
          continue;
        }
        byId.set(m.id, a);
      }
      const chain = chooseChain([...byId.values()].map((a) => ({ id: a.manifest.id, level: a.manifest.level, toLevel: a.manifest.toLevel!, security: a.manifest.security })), state.level, channel, opts.level);
      if (opts.archive && chain.length === 0) {
        const m = open[0]!.manifest;
        throw new HfxError('HFX_E_INCOMPATIBLE', `${m.id} goes from level ${m.level} to ${m.toLevel}${m.security ? '' : ' (not a security update)'}; this installation is at level ${state.level} on the ${channel} channel`, { hint: 'See `hfx state`.' });
      }
      const archives = chain.map((c) => byId.get(c.id)!);
      const keyids = archives.map((a) => authenticate(l, a, opts.allowUnsigned ?? false));

      // Hotfixes: the ones the updates include are reverted for them; any other stops the update.
      const included = new Set(archives.flatMap((a) => a.manifest.includes));
      const applied = state.hotfixes.map((h) => h.id);
      const stray = chain.length === 0 ? [] : applied.filter((id) => !included.has(id));
      if (stray.length > 0) {
        throw new HfxError('HFX_E_NOT_INCLUDED', `applied hotfix${stray.length > 1 ? 'es' : ''} ${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} not included in the update to level ${chain[chain.length - 1]!.toLevel}; updating would lose ${stray.length > 1 ? 'them' : 'it'}`, {
          hint: `Revert ${stray.length > 1 ? 'them' : 'it'} explicitly (\`hfx revert ${stray[stray.length - 1]}\`) if the fix is no longer needed, or get an update that includes ${stray.join(', ')}.`,
          details: { notIncluded: stray },
        });
      }
      const toRevert = chain.length === 0 ? [] : [...applied].reverse();
      const recs: LoadedRecord[] = toRevert.map((id) => readRecord(l, id));
      await assertUnchanged(l.home, recs, toRevert, opts.onProgress);

      const result: UpdateResult = {
        fromLevel: state.level,
        toLevel: chain.length ? chain[chain.length - 1]!.toLevel : state.level,
        channel,
        applied: chain.map((c) => c.id),
        reverted: toRevert,
        changes: 0,
        dryRun: opts.dryRun ?? false,
        recovered,
      };
      if (chain.length === 0 && channel === state.channel) return result;

      rmSync(l.tx, { recursive: true, force: true });
      const trash = join('.hfx', 'tx', 'trash');
      const n = { i: 0 };
      const steps: Step[] = recs.flatMap((r) => revertSteps(r, trash, n));
      const overlay = new Map<string, NodeState | null>();
      const stagedRecords: string[] = [];
      try {
        mkdirSync(join(l.home, trash), { recursive: true });
        simulate(l.home, steps, overlay);
        for (const [k, a] of archives.entries()) {
          const m = a.manifest;
          const observed = await observeVirtual(l.home, m.entries.map((e) => e.path), overlay);
          const plan = planApply(m.entries, observed);
          if (plan.conflicts.length > 0) {
            throw new HfxError('HFX_E_CONFLICT', `${m.id}: ${plan.conflicts.length} file(s) were changed locally; nothing was updated:\n${plan.conflicts.slice(0, 10).map((c) => `  ${c.path} (${c.reason})`).join('\n')}`, {
              hint: 'Restore those files (`hfx verify` lists every drift), then update again.',
              details: { id: m.id, conflicts: plan.conflicts },
            });
          }
          result.changes += plan.steps.length;
          if (opts.dryRun) {
            // Without staging there are no sources to simulate from: later updates are planned from their own `after`s.
            for (const e of m.entries) overlay.set(e.path, e.after);
            continue;
          }
          stagedRecords.push(relTo(l, l.appliedOne(m.id)));
          const s = await stageArchive(l, a, plan, join(l.tx, 'stage', String(k)), (d, t) => opts.onProgress?.(`stage ${k + 1}/${archives.length}`, d, t));
          simulate(l.home, s, overlay);
          steps.push(...s);
        }
        if (opts.dryRun) return result;
        const now = new Date().toISOString();
        const updates: AppliedUpdate[] = archives.map((a, k) => ({
          id: a.manifest.id,
          fromLevel: a.manifest.level,
          toLevel: a.manifest.toLevel!,
          security: a.manifest.security,
          appliedAt: now,
          digest: a.digest,
          keyid: keyids[k] ?? null,
          reverted: k === 0 ? toRevert : [],
        }));
        const newState: InstallState = { ...state, tx: state.tx + 1, level: result.toLevel, channel, hotfixes: [], updates: [...state.updates, ...updates] };
        const journal: Journal = {
          format: 'hfx-journal/1',
          txid: state.tx + 1,
          operation: 'update',
          subject: chain.length ? `${chain.map((c) => c.id).join(', ')} (level ${state.level} → ${result.toLevel})` : `channel ${channel}`,
          startedAt: now,
          steps,
          newState,
          commitRemove: toRevert.map((id) => relTo(l, l.appliedOne(id))),
          rollbackRemove: stagedRecords,
        };
        runTransaction(l, journal, (d, t) => opts.onProgress?.('update', d, t));
        return result;
      } catch (e) {
        if (!existsSync(l.journal)) {
          rmSync(l.tx, { recursive: true, force: true });
          for (const r of stagedRecords) rmSync(join(l.home, r), { recursive: true, force: true });
        }
        throw e;
      }
    } finally {
      for (const a of open) a.close();
    }
  });
}

export interface UpdateRevertResult {
  reverted: string;
  fromLevel: number;
  toLevel: number;
  dryRun: boolean;
  recovered: RecoveryReport;
}

/** WSO2's `update --revert`: back to the level before the last update, in time proportional to it. */
export async function revertUpdate(opts: HomeOptions & { dryRun?: boolean; onProgress?: ProgressFn }): Promise<UpdateRevertResult> {
  return withSession({ home: opts.home, command: 'update --revert', readOnly: opts.dryRun ?? false }, async ({ l, state, recovered }) => {
    const last = state.updates[state.updates.length - 1];
    if (!last) throw new HfxError('HFX_E_NOT_APPLIED', 'no update was applied since the pack was adopted', { hint: 'See `hfx state`.' });
    if (state.hotfixes.length > 0) {
      throw new HfxError('HFX_E_REVERT_BLOCKED', `hotfixes ${state.hotfixes.map((h) => h.id).join(', ')} were applied at level ${state.level}`, { hint: 'Revert them first: `hfx revert --all`.' });
    }
    const r = readRecord(l, last.id);
    await assertUnchanged(l.home, [r], [last.id], opts.onProgress);
    const result: UpdateRevertResult = { reverted: last.id, fromLevel: state.level, toLevel: last.fromLevel, dryRun: opts.dryRun ?? false, recovered };
    if (opts.dryRun) return result;
    rmSync(l.tx, { recursive: true, force: true });
    const trash = join('.hfx', 'tx', 'trash');
    mkdirSync(join(l.home, trash), { recursive: true });
    const journal: Journal = {
      format: 'hfx-journal/1',
      txid: state.tx + 1,
      operation: 'update --revert',
      subject: `${last.id} (level ${state.level} → ${last.fromLevel})`,
      startedAt: new Date().toISOString(),
      steps: revertSteps(r, trash, { i: 0 }),
      newState: { ...state, tx: state.tx + 1, level: last.fromLevel, updates: state.updates.slice(0, -1) },
      commitRemove: [relTo(l, l.appliedOne(last.id))],
      rollbackRemove: [],
    };
    runTransaction(l, journal, (d, t) => opts.onProgress?.('revert', d, t));
    return result;
  });
}

