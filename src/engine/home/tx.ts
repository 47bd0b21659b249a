import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HfxError, asHfxError } from '../../errors.js';
import { fsyncPath, writeFileAtomicSync } from '../fs/durable.js';
import type { Layout } from './layout.js';
import { writeStateSync, type InstallState } from './state.js';

const JOURNAL_FORMAT = 'hfx-journal/1';

/**
 * One change to one path of the pack, made of renames only, so each half is atomic.
 * `source`: staged content to put at `target` (null: nothing, the path is removed).
 * `save`: where the current `target` goes (null: nothing is there).
 * All paths are relative to the home; `source` and `save` lie inside .hfx/.
 */
export type Step =
  | { kind: 'move'; target: string; source: string | null; save: string | null }
  | { kind: 'chmod'; target: string; from: string; to: string };

interface Journal {
  format: typeof JOURNAL_FORMAT;
  txid: number;
  operation: string;
  subject: string;
  startedAt: string;
  steps: Step[];
  newState: InstallState;
  /** Removed once the new state is committed (e.g. a reverted hotfix's backups). */
  commitRemove: string[];
  /** Removed once the transaction is rolled back (e.g. an aborted apply's record). */
  rollbackRemove: string[];
  /**
   * Held for a health check (an update's `--health`): every step is done but the state is not
   * committed until the check passes. A recovery rolls it back, whichever way it was asked to go:
   * a change never confirmed did not happen.
   */
  held?: { health: string; since: string };
}

/** What an operation decides; `nextJournal` makes the journal of it. */
interface JournalSpec {
  operation: string;
  subject: string;
  steps: Step[];
  /** The state once committed; its `tx` is set to the journal's txid. */
  newState: InstallState;
  commitRemove?: string[];
  rollbackRemove?: string[];
  startedAt?: string;
  held?: { health: string; since: string };
}

/** The journal of the transaction that follows the one `state` committed last. */
export function nextJournal(state: InstallState, spec: JournalSpec): Journal {
  const txid = state.tx + 1;
  return {
    format: JOURNAL_FORMAT,
    txid,
    operation: spec.operation,
    subject: spec.subject,
    startedAt: spec.startedAt ?? new Date().toISOString(),
    steps: spec.steps,
    newState: { ...spec.newState, tx: txid },
    commitRemove: spec.commitRemove ?? [],
    rollbackRemove: spec.rollbackRemove ?? [],
    ...(spec.held ? { held: spec.held } : {}),
  };
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch (e) {
    // ENOTDIR: a parent is now a file (a type change already carried out), so the path cannot exist.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
}

// Test hook: HFX_FAULT=kill-after-step:N (or fail-after-step:N) kills the process (or throws)
// after N steps, so tests can stop a transaction at every step boundary, not only where a
// timer happens to land.
function faultAt(): { kind: string; at: number } | null {
  const m = /^(kill|fail)-after-step:(\d+)$/.exec(process.env.HFX_FAULT ?? '');
  if (!m) return null;
  const [, kind = '', at = ''] = m;
  return { kind, at: Number(at) };
}

/** Idempotent: running it again after a crash at any instant finishes the same step. */
function forward(home: string, s: Step): void {
  const t = join(home, s.target);
  if (s.kind === 'chmod') {
    chmodSync(t, parseInt(s.to, 8));
    return;
  }
  if (s.save !== null && exists(t) && !exists(join(home, s.save))) renameSync(t, join(home, s.save));
  if (s.source !== null && exists(join(home, s.source))) renameSync(join(home, s.source), t);
}

/** Exact inverse of forward, and idempotent too. */
function backward(home: string, s: Step): void {
  const t = join(home, s.target);
  if (s.kind === 'chmod') {
    if (exists(t)) chmodSync(t, parseInt(s.from, 8));
    return;
  }
  if (s.source !== null && !exists(join(home, s.source)) && exists(t)) renameSync(t, join(home, s.source));
  if (s.save !== null && exists(join(home, s.save))) renameSync(join(home, s.save), t);
}

function dirsOf(home: string, steps: readonly Step[]): string[] {
  const dirs = new Set<string>();
  for (const s of steps) {
    dirs.add(dirname(join(home, s.target)));
    if (s.kind === 'move') {
      if (s.source) dirs.add(dirname(join(home, s.source)));
      if (s.save) dirs.add(dirname(join(home, s.save)));
    }
  }
  return [...dirs].filter(exists);
}

function fsyncDirs(home: string, steps: readonly Step[]): void {
  for (const d of dirsOf(home, steps)) {
    const fd = openSync(d, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * The same, all at once in the thread pool: the file system commits its journal for several
 * fsyncs together, where one after the other each waited for its own commit.
 */
async function fsyncDirsAsync(home: string, steps: readonly Step[]): Promise<void> {
  await Promise.all(dirsOf(home, steps).map(fsyncPath));
}

function removeAll(home: string, paths: readonly string[]): void {
  for (const p of paths) rmSync(join(home, p), { recursive: true, force: true });
}

function commit(l: Layout, j: Journal): void {
  fsyncDirs(l.home, j.steps);
  commitState(l, j);
}

function commitState(l: Layout, j: Journal): void {
  writeStateSync(l, j.newState);
  removeAll(l.home, j.commitRemove);
  rmSync(l.journal, { force: true });
  rmSync(l.tx, { recursive: true, force: true });
}

/** Undoes every step of `j`, last first. */
function rollback(l: Layout, j: Journal): void {
  for (const s of j.steps.toReversed()) backward(l.home, s);
  fsyncDirs(l.home, j.steps);
  removeAll(l.home, j.rollbackRemove);
  rmSync(l.journal, { force: true });
  rmSync(l.tx, { recursive: true, force: true });
}

/**
 * Runs a prepared transaction: the journal is made durable, every step is carried out,
 * then the new state is committed. Staged files must already be fsync'd. If a step fails,
 * every step done is undone and the error is thrown: the pack is as before.
 */
export async function runTransaction(
  l: Layout,
  j: Journal,
  onStep?: (done: number, total: number) => void,
): Promise<void> {
  writeFileAtomicSync(l.journal, JSON.stringify(j));
  const fault = faultAt();
  let done = 0;
  try {
    for (const s of j.steps) {
      forward(l.home, s);
      done++;
      if (fault?.at === done) {
        if (fault.kind === 'kill') process.kill(process.pid, 'SIGKILL');
        throw Object.assign(new Error('injected fault (HFX_FAULT)'), { code: 'EFAULT' });
      }
      onStep?.(done, j.steps.length);
    }
  } catch (e) {
    const cause = asHfxError(e, `${j.operation} ${j.subject} failed at ${j.steps[done]?.target ?? '?'}`);
    try {
      rollback(l, j);
    } catch (e2) {
      throw new HfxError('HFX_E_RECOVERY', `${cause.message}; undoing it failed too: ${(e2 as Error).message}`, {
        hint: 'Fix the cause (permissions, disk space), then run `hfx recover` (finishes) or `hfx recover --rollback` (undoes).',
        cause: e2,
      });
    }
    throw cause;
  }
  if (j.held) {
    // The steps must be durable before anything runs against them; the commit waits for settleHeld().
    await fsyncDirsAsync(l.home, j.steps);
    return;
  }
  await commitOrExplain(l, j);
}

async function commitOrExplain(l: Layout, j: Journal): Promise<void> {
  try {
    await fsyncDirsAsync(l.home, j.steps);
    commitState(l, j);
  } catch (e) {
    throw new HfxError(
      'HFX_E_RECOVERY',
      `${j.operation} ${j.subject}: the files are in place but the state could not be written: ${(e as Error).message}`,
      {
        hint: 'Fix the cause, then run `hfx recover` to finish.',
        cause: e,
      },
    );
  }
}

/** Ends a held transaction (runTransaction of a journal with `held`): committed if its check passed, else undone. */
export async function settleHeld(l: Layout, j: Journal, confirmed: boolean): Promise<void> {
  if (confirmed) {
    await commitOrExplain(l, j);
    return;
  }
  try {
    rollback(l, j);
  } catch (e) {
    throw new HfxError(
      'HFX_E_RECOVERY',
      `${j.operation} ${j.subject} failed its health check and undoing it failed: ${(e as Error).message}`,
      {
        hint: 'Fix the cause (permissions, disk space), then run `hfx recover`: it undoes a change never confirmed.',
        cause: e,
      },
    );
  }
}

export function readJournal(l: Layout): Journal | null {
  let text: string;
  try {
    text = readFileSync(l.journal, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw asHfxError(e, 'cannot read the journal');
  }
  try {
    // Parsed JSON: the fields checked here may be missing or of another type until then.
    const j = JSON.parse(text) as Partial<Record<keyof Journal, unknown>>;
    if (j.format !== JOURNAL_FORMAT || !Array.isArray(j.steps)) throw new Error(`not ${JOURNAL_FORMAT}`);
    return j as Journal;
  } catch (e) {
    throw new HfxError('HFX_E_STATE', `${l.journal} is damaged: ${(e as Error).message}`, {
      hint: 'Restore .hfx/ from a backup.',
    });
  }
}

/**
 * Without a journal nothing in the pack was changed, but an operation killed while staging leaves
 * its staging area, the record it was preparing, and temp files of atomic writes. Returns whether
 * anything was removed.
 */
function cleanLeftovers(l: Layout, knownRecords: readonly string[]): boolean {
  let cleaned = false;
  if (exists(l.tx)) {
    rmSync(l.tx, { recursive: true, force: true });
    cleaned = true;
  }
  const known = new Set(knownRecords);
  for (const name of safeList(l.applied)) {
    if (!known.has(name)) {
      rmSync(join(l.applied, name), { recursive: true, force: true });
      cleaned = true;
    }
  }
  return cleanTempFiles(l) || cleaned;
}

/**
 * Temp files of atomic writes cut short: only the ones written under the lock (journal, state,
 * baseline). Others, like server.json's, may belong to a command running now without the lock.
 */
function cleanTempFiles(l: Layout): boolean {
  const written = new Set([l.journal, l.state, l.baseline].map((f) => basename(f)));
  let cleaned = false;
  for (const name of safeList(l.dir)) {
    const stem = /^(.+)\.tmp-\d+$/.exec(name)?.[1];
    if (stem !== undefined && written.has(stem)) {
      rmSync(join(l.dir, name), { force: true });
      cleaned = true;
    }
  }
  return cleaned;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export interface RecoveryReport {
  action: 'none' | 'completed' | 'rolled-back' | 'cleaned';
  operation?: string;
  subject?: string;
}

/**
 * Finishes (default) or undoes an interrupted transaction. A transaction whose state was
 * already committed can only be finished. Without a journal, leftovers of an operation that
 * died before its journal was written are removed.
 */
export function recoverTransaction(
  l: Layout,
  committedTx: number,
  knownRecords: readonly string[],
  mode: 'forward' | 'rollback' = 'forward',
): RecoveryReport {
  const j = readJournal(l);
  if (j === null) return cleanLeftovers(l, knownRecords) ? { action: 'cleaned' } : { action: 'none' };
  const base = { operation: j.operation, subject: j.subject };
  // A kill while the new state was being written leaves its temp file, whichever way we go now.
  cleanTempFiles(l);
  try {
    if (committedTx >= j.txid) {
      commit(l, j);
      return { action: 'completed', ...base };
    }
    if (mode === 'rollback' || j.held) {
      rollback(l, j);
      return j.held
        ? { action: 'rolled-back', operation: `${j.operation} (its health check never finished)`, subject: j.subject }
        : { action: 'rolled-back', ...base };
    }
    for (const s of j.steps) forward(l.home, s);
    commit(l, j);
    return { action: 'completed', ...base };
  } catch (e) {
    throw new HfxError(
      'HFX_E_RECOVERY',
      `cannot ${mode === 'forward' ? 'finish' : 'undo'} the interrupted ${j.operation} of ${j.subject}: ${(e as Error).message}`,
      {
        hint:
          mode === 'forward'
            ? 'Fix the cause and run `hfx recover` again, or undo it with `hfx recover --rollback`.'
            : 'Fix the cause and run `hfx recover --rollback` again.',
        cause: e,
      },
    );
  }
}
