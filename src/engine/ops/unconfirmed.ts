import type { Layout } from '../home/layout.js';
import { readState, writeStateSync, type InstallState } from '../home/state.js';
import type { RecoveryReport } from '../home/tx.js';
import { revertIn } from './revert.js';

/** Confirms an applied hotfix whose health check passed: it stays. */
export async function confirmHotfix(l: Layout, id: string): Promise<void> {
  const s = await readState(l);
  writeStateSync(l, { ...s, hotfixes: s.hotfixes.map((h) => (h.id === id ? withoutPending(h) : h)) });
}

function withoutPending<T extends { unconfirmed?: unknown }>(h: T): T {
  const { unconfirmed: _u, ...rest } = h;
  return rest as T;
}

/**
 * Hotfixes applied whose health check never finished (the process died during it) were never
 * confirmed: they are reverted now, newest first. Runs under the lock, after the journal's recovery.
 */
export async function settleUnconfirmed(
  l: Layout,
  state: InstallState,
): Promise<{ state: InstallState; report: RecoveryReport | null }> {
  const ids = state.hotfixes
    .filter((h) => h.unconfirmed)
    .map((h) => h.id)
    .reverse();
  if (ids.length === 0) return { state, report: null };
  await revertIn(l, state, ids);
  return {
    state: await readState(l),
    report: {
      action: 'completed',
      operation: 'unconfirmed apply (its health check never finished): reverted',
      subject: ids.join(', '),
    },
  };
}
