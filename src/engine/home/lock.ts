import { hostname } from 'node:os';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { HfxError } from '../../errors.js';
import type { Layout } from './layout.js';

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the installation's lock (O_EXCL file) or fails at once with HFX_E_BUSY.
 * A lock left by a process that no longer exists (kill -9) is taken over, which is what
 * lets `hfx recover` run after a crash. Returns the release function.
 */
export function acquireLock(l: Layout, command: string): () => void {
  const me: LockInfo = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(l.lock, JSON.stringify(me), { flag: 'wx' });
      return () => {
        try {
          const cur = JSON.parse(readFileSync(l.lock, 'utf8')) as LockInfo;
          if (cur.pid === me.pid) unlinkSync(l.lock);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new HfxError('HFX_E_IO', `cannot create ${l.lock}: ${(e as Error).message}`, { cause: e });
      }
    }
    let holder: LockInfo | undefined;
    let text = '';
    try {
      text = readFileSync(l.lock, 'utf8');
      holder = JSON.parse(text) as LockInfo;
    } catch {
      holder = undefined; // half-written by a process killed between open and write
    }
    const stale = holder === undefined ? text === '' : holder.host === hostname() && !alive(holder.pid);
    if (!stale) {
      throw new HfxError(
        'HFX_E_BUSY',
        `${l.home} is locked by \`hfx ${holder?.command ?? '?'}\` (pid ${holder?.pid ?? '?'}, since ${holder?.since ?? '?'})`,
        {
          hint: 'Wait for it to finish. If no such process runs, delete .hfx/lock and run `hfx recover`.',
          details: holder,
        },
      );
    }
    try {
      if (readFileSync(l.lock, 'utf8') === text) unlinkSync(l.lock);
    } catch {
      /* someone else took it over first: retry */
    }
  }
  throw new HfxError('HFX_E_BUSY', `${l.home} is locked by another hfx command`, {
    hint: 'Wait for it to finish and try again.',
  });
}
