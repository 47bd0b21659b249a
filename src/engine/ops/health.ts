import { spawn } from 'node:child_process';

/**
 * A health check after an apply (`--health CMD`, or the product's own from `hfx init --health`):
 * the hotfix is applied but not confirmed until CMD succeeds. It fails, times out, or the process
 * dies while it runs: the hotfix is reverted, by this command or by the next one's recovery
 * (unconfirmed.ts), and the pack is byte for byte as before (docs/updates.md#health-checks).
 */
export interface HealthCheck {
  command: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first failed one. */
  retries: number;
  /** Between attempts. */
  retryDelayMs?: number;
}

export interface HealthOutcome {
  ok: boolean;
  attempts: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The last lines of what the last attempt printed (stdout and stderr together), at most 2 KiB. */
  tail: string;
  ms: number;
}

const TAIL_BYTES = 2048;

/** One run of CMD through sh, in a process group of its own so that a timeout ends everything it started. */
function runOnce(
  command: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<Omit<HealthOutcome, 'attempts' | 'ms'>> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = Buffer.alloc(0);
    const keep = (d: Buffer) => {
      tail = Buffer.concat([tail, d]);
      if (tail.length > TAIL_BYTES * 2) tail = tail.subarray(tail.length - TAIL_BYTES);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        // No pid: the spawn failed, and its 'error' ends the run.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }, timeoutMs);
    const done = (exitCode: number | null, signal: string | null) => {
      clearTimeout(timer);
      const text = tail.subarray(Math.max(0, tail.length - TAIL_BYTES)).toString('utf8');
      resolve({
        ok: exitCode === 0 && !timedOut,
        exitCode,
        signal,
        timedOut,
        tail: text.split('\n').slice(-20).join('\n').trimEnd(),
      });
    };
    child.once('error', () => done(127, null));
    child.once('close', (code, signal) => done(code, signal));
  });
}

/** CMD learns what it checks from HFX_HOTFIX_ID (an apply) or HFX_UPDATE_ID (an update's ids, comma-separated). */
export async function runHealth(
  h: HealthCheck,
  ctx: { home: string; hotfix?: string; update?: string },
): Promise<HealthOutcome> {
  const t0 = Date.now();
  const env = {
    ...process.env,
    HFX_HOME: ctx.home,
    ...(ctx.hotfix !== undefined ? { HFX_HOTFIX_ID: ctx.hotfix } : {}),
    ...(ctx.update !== undefined ? { HFX_UPDATE_ID: ctx.update } : {}),
  };
  let last: Omit<HealthOutcome, 'attempts' | 'ms'> = {
    ok: false,
    exitCode: null,
    signal: null,
    timedOut: false,
    tail: '',
  };
  let attempts = 0;
  for (; attempts <= h.retries; attempts++) {
    if (attempts > 0) await new Promise((r) => setTimeout(r, h.retryDelayMs ?? 1000));
    last = await runOnce(h.command, env, ctx.home, h.timeoutMs);
    if (last.ok) {
      attempts++;
      break;
    }
  }
  return { ...last, attempts: Math.min(attempts, h.retries + 1), ms: Date.now() - t0 };
}

/** Why a check failed, in one line: for the error, the revert's reason in the fleet view, and the report. */
export function healthReason(o: HealthOutcome): string {
  const how = o.timedOut
    ? 'timed out'
    : o.exitCode !== null
      ? `exit ${o.exitCode}`
      : `killed by ${o.signal ?? 'a signal'}`;
  const last = o.tail
    .split('\n')
    .filter((x) => x.trim())
    .pop();
  return `health check failed (${how}${o.attempts > 1 ? ` after ${o.attempts} attempts` : ''})${last ? `: ${last.slice(0, 300)}` : ''}`;
}
