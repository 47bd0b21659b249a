import { join } from 'node:path';
import { STATE_DIR } from '../archive/paths.js';

/** Every file hfx keeps inside an installation, in one place. See docs/architecture.md. */
export function layout(home: string) {
  const dir = join(home, STATE_DIR);
  return {
    home,
    dir,
    state: join(dir, 'state.json'),
    baseline: join(dir, 'baseline.jsonl'),
    lock: join(dir, 'lock'),
    journal: join(dir, 'journal.json'),
    /** Staging area of the transaction in progress; garbage when there is no journal. */
    tx: join(dir, 'tx'),
    applied: join(dir, 'applied'),
    appliedOne: (id: string) => join(dir, 'applied', id),
    conflict: join(dir, 'conflict'),
    trust: join(dir, 'trust'),
  };
}

export type Layout = ReturnType<typeof layout>;
