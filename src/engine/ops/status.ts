import { resolve } from 'node:path';
import { layout } from '../home/layout.js';
import { readState, type InstallState } from '../home/state.js';
import { readJournal } from '../home/tx.js';
import { readConflict } from './conflict-area.js';

export interface Pending {
  kind: 'interrupted' | 'conflict';
  operation: string;
  subject: string;
  since: string;
  paths?: string[];
}

export interface StatusResult {
  home: string;
  product: string;
  version: string;
  level: number;
  channel: InstallState['channel'];
  hotfixes: InstallState['hotfixes'];
  updates: InstallState['updates'];
  pending: Pending | null;
}

/** WSO2's current-state: read-only, so it reports an interrupted operation rather than recovering it. */
export async function readStatus(home: string): Promise<StatusResult> {
  const l = layout(resolve(home));
  const s = await readState(l);
  const j = readJournal(l);
  const c = readConflict(l);
  let pending: Pending | null = null;
  if (j && j.txid > s.tx)
    pending = { kind: 'interrupted', operation: j.operation, subject: j.subject, since: j.startedAt };
  else if (c)
    pending = {
      kind: 'conflict',
      operation: 'apply',
      subject: c.id,
      since: c.createdAt,
      paths: c.conflicts.map((x) => x.path),
    };
  return {
    home: l.home,
    product: s.product,
    version: s.version,
    level: s.level,
    channel: s.channel,
    hotfixes: s.hotfixes,
    updates: s.updates,
    pending,
  };
}
