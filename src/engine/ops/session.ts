import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { HfxError } from '../../errors.js';
import { layout, type Layout } from '../home/layout.js';
import { acquireLock } from '../home/lock.js';
import { readState, type InstallState } from '../home/state.js';
import { readJournal, recoverTransaction, type RecoveryReport } from '../home/tx.js';
import { settleUnconfirmed } from './unconfirmed.js';

export interface HomeOptions {
  /** The installation directory (the CLI resolves --home, HFX_HOME and the cwd). */
  home: string;
}

/** Told how far a phase of an operation got ('check', 'stage', 'apply'…); the CLI draws a bar. */
export type ProgressFn = (phase: string, done: number, total: number) => void;

interface Session {
  l: Layout;
  state: InstallState;
  recovered: RecoveryReport;
}

/** Ids whose records in .hfx/applied/ belong to the state (the rest are leftovers). */
export function recordIds(s: InstallState): string[] {
  return [...s.hotfixes.map((h) => h.id), ...s.updates.map((u) => u.id)];
}

/**
 * Runs `fn` holding the installation's lock, after finishing any interrupted operation, as
 * every mutating command must. With `readOnly`, nothing at all is written (for --dry-run):
 * an interrupted operation is reported instead of recovered.
 */
export async function withSession<T>(
  opts: HomeOptions & { command: string; readOnly?: boolean },
  fn: (s: Session) => Promise<T> | T,
): Promise<T> {
  const l = layout(resolve(opts.home));
  if (!existsSync(l.state)) await readState(l); // throws the friendly "not an installation" error
  if (opts.readOnly) {
    const j = readJournal(l);
    if (j !== null) {
      throw new HfxError('HFX_E_RECOVERY', `an interrupted ${j.operation} of ${j.subject} must be recovered first`, {
        hint: 'Run `hfx recover` (or any command without --dry-run).',
      });
    }
    return fn({ l, state: await readState(l), recovered: { action: 'none' } });
  }
  const release = acquireLock(l, opts.command);
  try {
    const before = await readState(l);
    const journal = recoverTransaction(l, before.tx, recordIds(before));
    const after = journal.action === 'completed' ? await readState(l) : before;
    // An apply whose health check never finished was never confirmed: it goes, before anything else.
    const settled = await settleUnconfirmed(l, after);
    return await fn({ l, state: settled.state, recovered: settled.report ?? journal });
  } finally {
    release();
  }
}
