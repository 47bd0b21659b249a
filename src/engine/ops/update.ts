import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HfxError } from '../../errors.js';
import { DEFAULT_LIMITS, type ArchiveLimits } from '../archive/limits.js';
import { openArchive, type OpenArchive } from '../archive/read-archive.js';
import { relTo } from '../home/layout.js';
import type { LoadedRecord } from '../home/record-format.js';
import { readRecord } from '../home/records.js';
import type { AppliedUpdate, Channel } from '../home/state.js';
import { nextJournal, runTransaction, settleHeld, type RecoveryReport, type Step } from '../home/tx.js';
import { authenticate } from './authenticate.js';
import { chooseChain } from './choose-chain.js';
import { conflictError } from './conflict-area.js';
import { runHealth, type HealthCheck, type HealthOutcome } from './health.js';
import { Overlay } from './overlay.js';
import { planApply } from './plan-apply.js';
import { assertUnchanged, prepareRevert } from './revert.js';
import { withSession, type HomeOptions, type ProgressFn } from './session.js';
import { stageArchive, withStaging } from './stage.js';

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
  /**
   * Run once the chain is in place, before it is committed: it stays only if the check passes,
   * else the whole transaction is undone and the pack is byte for byte as before (health.ts).
   */
  health?: HealthCheck;
  onHealth?: (command: string) => void;
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
  /** The health check's outcome, when one ran; not ok means nothing changed. */
  health: HealthOutcome | null;
}

/** An update's target level; parseManifest guarantees one for every update. */
function toLevelOf(a: OpenArchive): number {
  const to = a.manifest.toLevel;
  if (to === null) throw new HfxError('HFX_E_INTERNAL', `${a.manifest.id} has no toLevel`);
  return to;
}

function listArchives(opts: UpdateOptions): string[] {
  if (opts.archive && opts.from) throw new HfxError('HFX_E_USAGE', 'give an update archive or --from DIR, not both');
  if (opts.archive) return [resolve(opts.archive)];
  if (!opts.from)
    throw new HfxError('HFX_E_USAGE', 'no update given', {
      hint: 'hfx update FILE.zip, or hfx update --from DIR [--level N]',
    });
  const dir = resolve(opts.from);
  if (!existsSync(dir)) throw new HfxError('HFX_E_NOT_FOUND', `${dir} does not exist`);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.zip'))
    .sort()
    .map((n) => join(dir, n));
}

export async function updateHome(opts: UpdateOptions): Promise<UpdateResult> {
  return withSession(
    { home: opts.home, command: 'update', readOnly: opts.dryRun ?? false },
    async ({ l, state, recovered }) => {
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
            if (opts.archive)
              throw new HfxError(
                'HFX_E_INCOMPATIBLE',
                `${m.id} is ${m.kind === 'update' ? `an update for ${m.product} ${m.release}` : 'a hotfix, not an update'}; this installation is ${state.product} ${state.version}`,
                { hint: m.kind === 'hotfix' ? `Use \`hfx apply\`.` : 'Get the update for this product and release.' },
              );
            continue;
          }
          byId.set(m.id, a);
        }
        const chain = chooseChain(
          [...byId.values()].map((a) => ({
            id: a.manifest.id,
            level: a.manifest.level,
            toLevel: toLevelOf(a),
            security: a.manifest.security,
            archive: a,
          })),
          state.level,
          channel,
          opts.level,
        );
        if (opts.archive && chain.length === 0) {
          // The one archive given, an update for this installation (any other was refused above).
          const a = open[0];
          if (a === undefined) throw new HfxError('HFX_E_INTERNAL', 'the update archive was not opened');
          const m = a.manifest;
          throw new HfxError(
            'HFX_E_INCOMPATIBLE',
            `${m.id} goes from level ${m.level} to ${toLevelOf(a)}${m.security ? '' : ' (not a security update)'}; ` +
              `this installation is at level ${state.level} on the ${channel} channel`,
            { hint: 'See `hfx state`.' },
          );
        }
        const archives = chain.map((c) => c.archive);
        const toLevel = chain.at(-1)?.toLevel ?? state.level;
        const keyids = archives.map((a) => authenticate(l, a, opts.allowUnsigned ?? false));

        // Hotfixes: the ones the updates include are reverted for them; any other stops the update.
        const included = new Set(archives.flatMap((a) => a.manifest.includes));
        const applied = state.hotfixes.map((h) => h.id);
        const stray = chain.length === 0 ? [] : applied.filter((id) => !included.has(id));
        const lastStray = stray.at(-1);
        if (lastStray !== undefined) {
          throw new HfxError(
            'HFX_E_NOT_INCLUDED',
            `applied hotfix${stray.length > 1 ? 'es' : ''} ${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} not included in the update to level ${toLevel}; updating would lose ${stray.length > 1 ? 'them' : 'it'}`,
            {
              hint:
                `Revert ${stray.length > 1 ? 'them' : 'it'} explicitly (\`hfx revert ${lastStray}\`) ` +
                `if the fix is no longer needed, or get an update that includes ${stray.join(', ')}.`,
              details: { notIncluded: stray },
            },
          );
        }
        const toRevert = chain.length === 0 ? [] : [...applied].reverse();
        const recs: LoadedRecord[] = toRevert.map((id) => readRecord(l, id));
        await assertUnchanged(l.home, recs, toRevert, opts.onProgress);

        const result: UpdateResult = {
          fromLevel: state.level,
          toLevel,
          channel,
          applied: chain.map((c) => c.id),
          reverted: toRevert,
          changes: 0,
          dryRun: opts.dryRun ?? false,
          recovered,
          health: null,
        };
        if (chain.length === 0 && channel === state.channel) return result;

        const chainSubject = chain.length
          ? `${chain.map((c) => c.id).join(', ')} (level ${state.level} → ${result.toLevel})`
          : `channel ${channel}`;
        return await withStaging(l, async (staging) => {
          const steps: Step[] = prepareRevert(l, recs);
          const overlay = new Overlay(l.home);
          overlay.run(steps);
          for (const [k, a] of archives.entries()) {
            const m = a.manifest;
            const plan = planApply(m.entries, await overlay.observe(m.entries.map((e) => e.path)));
            if (plan.conflicts.length > 0) {
              throw conflictError('HFX_E_CONFLICT', m.id, plan.conflicts, {
                nothing: 'updated',
                hint: 'Restore those files (`hfx verify` lists every drift), then update again.',
              });
            }
            result.changes += plan.steps.length;
            if (opts.dryRun) {
              // Without staging there are no sources to read: later updates are planned from their own `after`s.
              for (const e of m.entries) overlay.set(e.path, e.after);
              continue;
            }
            const s = await stageArchive(staging, a, plan, join(l.stage, String(k)), (d, t) =>
              opts.onProgress?.(`stage ${k + 1}/${archives.length}`, d, t),
            );
            overlay.run(s);
            steps.push(...s);
          }
          if (opts.dryRun) return result;
          const now = new Date().toISOString();
          const updates: AppliedUpdate[] = archives.map((a, k) => ({
            id: a.manifest.id,
            fromLevel: a.manifest.level,
            toLevel: toLevelOf(a),
            security: a.manifest.security,
            appliedAt: now,
            digest: a.digest,
            keyid: keyids[k] ?? null,
            reverted: k === 0 ? toRevert : [],
          }));
          const journal = nextJournal(state, {
            operation: 'update',
            subject: chainSubject,
            startedAt: now,
            steps,
            newState: {
              ...state,
              level: result.toLevel,
              channel,
              hotfixes: [],
              updates: [...state.updates, ...updates],
            },
            commitRemove: toRevert.map((id) => relTo(l, l.appliedOne(id))),
            rollbackRemove: staging.records,
            ...(opts.health && chain.length > 0 ? { held: { health: opts.health.command, since: now } } : {}),
          });
          await runTransaction(l, journal, (d, t) => opts.onProgress?.('update', d, t));
          if (!journal.held || !opts.health) return result;
          // In place, not committed: the lock is held through the check, and a kill during it is undone by recovery.
          opts.onHealth?.(opts.health.command);
          const outcome = await runHealth(opts.health, { home: l.home, update: result.applied.join(',') });
          await settleHeld(l, journal, outcome.ok);
          return { ...result, health: outcome };
        });
      } finally {
        for (const a of open) a.close();
      }
    },
  );
}

export interface UpdateRevertResult {
  reverted: string;
  fromLevel: number;
  toLevel: number;
  dryRun: boolean;
  recovered: RecoveryReport;
}

/** WSO2's `update --revert`: back to the level before the last update, in time proportional to it. */
export async function revertUpdate(
  opts: HomeOptions & { dryRun?: boolean; onProgress?: ProgressFn },
): Promise<UpdateRevertResult> {
  return withSession(
    { home: opts.home, command: 'update --revert', readOnly: opts.dryRun ?? false },
    async ({ l, state, recovered }) => {
      const last = state.updates[state.updates.length - 1];
      if (!last)
        throw new HfxError('HFX_E_NOT_APPLIED', 'no update was applied since the pack was adopted', {
          hint: 'See `hfx state`.',
        });
      if (state.hotfixes.length > 0) {
        throw new HfxError(
          'HFX_E_REVERT_BLOCKED',
          `hotfixes ${state.hotfixes.map((h) => h.id).join(', ')} were applied at level ${state.level}`,
          { hint: 'Revert them first: `hfx revert --all`.' },
        );
      }
      const r = readRecord(l, last.id);
      await assertUnchanged(l.home, [r], [last.id], opts.onProgress);
      const result: UpdateRevertResult = {
        reverted: last.id,
        fromLevel: state.level,
        toLevel: last.fromLevel,
        dryRun: opts.dryRun ?? false,
        recovered,
      };
      if (opts.dryRun) return result;
      const journal = nextJournal(state, {
        operation: 'update --revert',
        subject: `${last.id} (level ${state.level} → ${last.fromLevel})`,
        steps: prepareRevert(l, [r]),
        newState: { ...state, level: last.fromLevel, updates: state.updates.slice(0, -1) },
        commitRemove: [relTo(l, l.appliedOne(last.id))],
      });
      await runTransaction(l, journal, (d, t) => opts.onProgress?.('revert', d, t));
      return result;
    },
  );
}
