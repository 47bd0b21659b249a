import { existsSync } from 'node:fs';
import { HfxError } from '../../errors.js';
import type { Manifest } from '../archive/manifest.js';
import { DEFAULT_LIMITS, type ArchiveLimits } from '../archive/limits.js';
import { openArchive, type OpenArchive } from '../archive/read-archive.js';
import { hashFileSync } from '../fs/hash-core.js';
import { HashPool } from '../fs/hash-pool.js';
import type { Layout } from '../home/layout.js';
import { readState, type AppliedHotfix, type InstallState } from '../home/state.js';
import { nextJournal, runTransaction, type RecoveryReport } from '../home/tx.js';
import { authenticate } from './authenticate.js';
import { clearConflict, conflictError, readConflict, writeConflictArea } from './conflict-area.js';
import { runHealth, type HealthCheck, type HealthOutcome } from './health.js';
import { observe, type Observed } from './observe.js';
import { planApply, type ApplyPlan, type Conflict, type Resolution } from './plan-apply.js';
import { revertIn } from './revert.js';
import { withSession, type HomeOptions, type ProgressFn } from './session.js';
import { prestagePayload, stageArchive, withStaging, type Prestaged, type Staging } from './stage.js';
import { confirmHotfix } from './unconfirmed.js';

export interface ApplyOptions extends HomeOptions {
  /** The archive; omitted with `continue`, which uses the copy kept with the conflict. */
  archive?: string;
  dryRun?: boolean;
  allowUnsigned?: boolean;
  /** Finish an apply that stopped on conflicts, using .final files or `use`. */
  continue?: boolean;
  use?: 'new' | 'mine';
  limits?: ArchiveLimits;
  onProgress?: ProgressFn;
  /** Run after the commit; the hotfix stays only if it passes (health.ts). */
  health?: HealthCheck;
  /** Told when the health check starts (the CLI says so on a terminal). */
  onHealth?: (command: string) => void;
}

export interface ApplyResult {
  id: string;
  title: string;
  dryRun: boolean;
  changes: { path: string; op: 'add' | 'modify' | 'delete' }[];
  untouched: string[];
  resolved: string[];
  keyid: string | null;
  recovered: RecoveryReport;
  /** Set when the hotfix was made for another update level but every file it touches still matches. */
  crossLevel: { madeFor: number; installed: number } | null;
  /** The health check's outcome, when one ran; not ok means the hotfix was reverted and the pack is as before. */
  health: HealthOutcome | null;
}

/** Product, release, level, requires, not applied yet. A level mismatch is checked later against the files (see applyHotfix). */
function checkCompatible(m: Manifest, s: InstallState, opts: { ignoreLevel?: boolean } = {}): void {
  if (m.kind !== 'hotfix') {
    throw new HfxError('HFX_E_INCOMPATIBLE', `${m.id} is an update archive, not a hotfix`, {
      hint: `Use \`hfx update ${m.id}.zip\`.`,
    });
  }
  if (m.product !== s.product || m.release !== s.version) {
    throw new HfxError(
      'HFX_E_INCOMPATIBLE',
      `${m.id} is for ${m.product} ${m.release}; this installation is ${s.product} ${s.version}`,
      { hint: 'Get the hotfix built for this product and release.' },
    );
  }
  if (m.level !== s.level && !opts.ignoreLevel) {
    throw new HfxError(
      'HFX_E_INCOMPATIBLE',
      `${m.id} is for update level ${m.level}; this installation is at level ${s.level}`,
      {
        hint:
          m.level < s.level
            ? 'Check whether the update you installed already includes the fix; otherwise ask for a hotfix for this level.'
            : `Update to level ${m.level} first.`,
      },
    );
  }
  if (s.hotfixes.some((h) => h.id === m.id)) {
    throw new HfxError('HFX_E_ALREADY_APPLIED', `${m.id} is already applied`, {
      hint: 'See `hfx state`. To apply it again, revert it first.',
    });
  }
  const have = new Set(s.hotfixes.map((h) => h.id));
  const missing = m.requires.filter((r) => !have.has(r));
  if (missing.length > 0) {
    throw new HfxError(
      'HFX_E_REQUIRES',
      `${m.id} requires ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not applied`,
      { hint: `Apply ${missing.join(', ')} first.`, details: { missing } },
    );
  }
}

export async function applyHotfix(opts: ApplyOptions): Promise<ApplyResult> {
  return withSession(
    { home: opts.home, command: opts.continue ? 'apply --continue' : 'apply', readOnly: opts.dryRun ?? false },
    async ({ l, state, recovered }) => {
      const pending = readConflict(l);
      if (opts.continue && !pending)
        throw new HfxError('HFX_E_USAGE', 'there is no conflict to continue', { hint: 'Run `hfx apply FILE.zip`.' });
      if (!opts.continue && pending) {
        throw new HfxError(
          'HFX_E_CONFLICT_PENDING',
          `the apply of ${pending.id} stopped on ${pending.conflicts.length} conflict(s) and is still pending`,
          {
            hint: 'Resolve it with `hfx apply --continue` (see `hfx state`), or give it up with `hfx apply --abort`.',
          },
        );
      }
      const file = opts.continue ? l.conflict.archive : opts.archive;
      if (!file) throw new HfxError('HFX_E_USAGE', 'no archive given', { hint: 'Usage: hfx apply FILE.zip' });
      const archive = await openArchive(file, opts.limits ?? DEFAULT_LIMITS);
      try {
        const m = archive.manifest;
        const keyid = authenticate(l, archive, opts.allowUnsigned ?? false);
        checkCompatible(m, state, { ignoreLevel: m.level < state.level });
        const paths = m.entries.map((e) => e.path);
        const check = (d: number, t: number) => opts.onProgress?.('check', d, t);
        // A plain apply extracts the payload while the pack is observed (a worker hashes the files the
        // hotfix replaces meanwhile): the two overlap instead of one waiting for the other. The
        // extraction goes to the staging area only; a conflict found then discards it with the rest.
        const decide = async (staging: Staging | null): Promise<ApplyResult> => {
          let observed: Map<string, Observed>;
          let prestaged: Prestaged | undefined;
          if (staging) {
            const pool = new HashPool(check, 1);
            pool.warm();
            try {
              const [o, p] = await Promise.allSettled([
                observe(l.home, paths, check, pool),
                prestagePayload(archive, l.stage, (d, t) => opts.onProgress?.('stage', d, t)),
              ]);
              if (o.status === 'rejected') throw o.reason;
              if (p.status === 'rejected') throw p.reason;
              observed = o.value;
              prestaged = p.value;
            } finally {
              await pool.close();
            }
          } else observed = await observe(l.home, paths, check);
          const resolutions = pending ? resolutionsFor(l, pending.conflicts, opts.use) : new Map<string, Resolution>();
          const plan = planApply(m.entries, observed, resolutions);
          // A hotfix made for an earlier update level applies only where the updates since left its
          // files alone: every path must still be exactly as the hotfix expects (no conflicts, nothing
          // already in place). Then it needs no rebuild. One for a later level needs that update first.
          const crossLevel = m.level !== state.level;
          if (
            crossLevel &&
            (plan.conflicts.length > 0 || plan.untouched.length > 0 || Object.keys(plan.resolved).length > 0)
          )
            checkCompatible(m, state);
          if (plan.conflicts.length > 0) {
            if (opts.continue) {
              throw conflictError('HFX_E_CONFLICT_UNRESOLVED', m.id, plan.conflicts, {
                nothing: 'applied',
                hint: 'Write the resolved file as <path>.final in .hfx/conflict/files/, or pass --use new|mine; or `hfx apply --abort`.',
              });
            }
            if (!opts.dryRun) await writeConflictArea(l, archive, plan.conflicts);
            throw conflictError('HFX_E_CONFLICT', m.id, plan.conflicts, {
              nothing: 'applied',
              area: l.conflict,
              hint: opts.dryRun
                ? 'Without --dry-run hfx keeps both versions of each file in .hfx/conflict/files/ for you to resolve.'
                : 'Both versions of each file are in .hfx/conflict/files/ (.mine, .new). Write <path>.final and run `hfx apply --continue`, or `hfx apply --continue --use new|mine`, or `hfx apply --abort`.',
            });
          }
          const untouched = new Set(plan.untouched);
          const result: ApplyResult = {
            id: m.id,
            title: m.title,
            dryRun: opts.dryRun ?? false,
            changes: m.entries.filter((e) => !untouched.has(e.path)).map((e) => ({ path: e.path, op: e.op })),
            untouched: plan.untouched,
            resolved: Object.keys(plan.resolved),
            keyid,
            recovered,
            crossLevel: crossLevel ? { madeFor: m.level, installed: state.level } : null,
            health: null,
          };
          if (opts.dryRun) return result;
          if (staging)
            await stageAndCommit(
              staging,
              l,
              state,
              archive,
              plan,
              keyid,
              opts.onProgress,
              opts.health?.command,
              prestaged,
            );
          else await execute(l, state, archive, plan, keyid, opts.onProgress, opts.health?.command);
          return result;
        };
        const result = !opts.continue && !opts.dryRun ? await withStaging(l, decide) : await decide(null);
        if (pending) clearConflict(l);
        if (!opts.health) return result;
        // Applied, not yet confirmed: the lock is held through the check, so nothing else runs meanwhile.
        opts.onHealth?.(opts.health.command);
        const outcome = await runHealth(opts.health, { home: l.home, hotfix: m.id });
        if (outcome.ok) await confirmHotfix(l, m.id);
        else await revertIn(l, await readState(l), [m.id], opts.onProgress);
        return { ...result, health: outcome };
      } finally {
        archive.close();
      }
    },
  );
}

export async function abortApply(opts: HomeOptions): Promise<{ aborted: string | null }> {
  return withSession({ home: opts.home, command: 'apply --abort' }, ({ l }) => {
    const pending = readConflict(l);
    clearConflict(l);
    return { aborted: pending?.id ?? null };
  });
}

function resolutionsFor(l: Layout, conflicts: Conflict[], use: 'new' | 'mine' | undefined): Map<string, Resolution> {
  const out = new Map<string, Resolution>();
  for (const c of conflicts) {
    const f = l.conflict.versions(c.path).final;
    if (existsSync(f)) {
      const facts = hashFileSync(f);
      out.set(c.path, { final: { type: 'file', ...facts } });
    } else if (use) out.set(c.path, use);
  }
  return out;
}

/** Stages everything, writes the record, then runs the transaction. Any failure before the journal leaves no trace. */
async function execute(
  l: Layout,
  state: InstallState,
  archive: OpenArchive,
  plan: ApplyPlan,
  keyid: string | null,
  onProgress?: ProgressFn,
  health?: string,
): Promise<void> {
  await withStaging(l, (staging) => stageAndCommit(staging, l, state, archive, plan, keyid, onProgress, health));
}

async function stageAndCommit(
  staging: Staging,
  l: Layout,
  state: InstallState,
  archive: OpenArchive,
  plan: ApplyPlan,
  keyid: string | null,
  onProgress?: ProgressFn,
  health?: string,
  prestaged?: Prestaged,
): Promise<void> {
  const steps = await stageArchive(staging, archive, plan, l.stage, (d, t) => onProgress?.('stage', d, t), prestaged);
  const applied: AppliedHotfix = {
    ...appliedEntry(archive, keyid),
    ...(health ? { unconfirmed: { health, since: new Date().toISOString() } } : {}),
  };
  const journal = nextJournal(state, {
    operation: 'apply',
    subject: archive.manifest.id,
    steps,
    newState: { ...state, hotfixes: [...state.hotfixes, applied] },
    rollbackRemove: staging.records,
  });
  await runTransaction(l, journal, (d, t) => onProgress?.('apply', d, t));
}

function appliedEntry(archive: OpenArchive, keyid: string | null): AppliedHotfix {
  const m = archive.manifest;
  return {
    id: m.id,
    title: m.title,
    severity: m.severity,
    appliedAt: new Date().toISOString(),
    digest: archive.digest,
    keyid,
    customer: m.customer,
  };
}
