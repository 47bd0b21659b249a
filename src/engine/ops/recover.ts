import { resolve } from 'node:path';
import { layout } from '../home/layout.js';
import { acquireLock } from '../home/lock.js';
import { readState } from '../home/state.js';
import { recoverTransaction, type RecoveryReport } from '../home/tx.js';

/** `hfx recover`: finishes an interrupted operation (or with `rollback`, undoes it). */
export async function recoverHome(opts: { home: string; rollback?: boolean }): Promise<RecoveryReport> {
  const l = layout(resolve(opts.home));
  await readState(l);
  const release = acquireLock(l, 'recover');
  try {
    return recoverTransaction(l, (await readState(l)).tx, opts.rollback ? 'rollback' : 'forward');
  } finally {
    release();
  }
}
