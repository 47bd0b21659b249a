import { resolve } from 'node:path';
import { layout } from '../home/layout.js';
import { acquireLock } from '../home/lock.js';
import { readState } from '../home/state.js';
import { recoverTransaction, type RecoveryReport } from '../home/tx.js';
import { recordIds } from './session.js';
import { settleUnconfirmed } from './unconfirmed.js';

/** `hfx recover`: finishes an interrupted operation (or with `rollback`, undoes it). */
export async function recoverHome(opts: { home: string; rollback?: boolean }): Promise<RecoveryReport> {
  const l = layout(resolve(opts.home));
  await readState(l);
  const release = acquireLock(l, 'recover');
  try {
    const s = await readState(l);
    const journal = recoverTransaction(l, s.tx, recordIds(s), opts.rollback ? 'rollback' : 'forward');
    const settled = await settleUnconfirmed(
      l,
      journal.action === 'completed' || journal.action === 'rolled-back' ? await readState(l) : s,
    );
    return settled.report ?? journal;
  } finally {
    release();
  }
}
