/** Running and timing child processes for the benchmark. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  /** Wall-clock seconds from spawn to exit, as seen by the parent. */
  wall: number;
  /** user + system CPU seconds of the command and its children (from /usr/bin/time), or null. */
  cpu: number | null;
  /** Peak resident set in MB (from /usr/bin/time), or null. */
  maxRssMb: number | null;
  /** MB the command read from the disk rather than the page cache (/usr/bin/time %I), or null. */
  diskReadMB: number | null;
  /**
   * CPU seconds that other processes of the machine used while this one ran (all CPU time of
   * /proc/stat minus this command's own): the benchmark's figures are only good when it is ~0.
   */
  otherCpu: number | null;
  code: number;
  stdout: string;
  stderr: string;
}

const TIME = '/usr/bin/time';

/** The first of these environment variables that is set and not empty. */
export function envSetting(...names: string[]): string | undefined {
  for (const n of names) {
    const v = process.env[n];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** Busy CPU seconds of the whole machine since boot (user, nice, system, irq, softirq, steal), or null. */
export function machineBusySeconds(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100; // USER_HZ
  } catch {
    return null;
  }
}

const haveTime = existsSync(TIME);

/**
 * Runs argv[0] with argv[1..] (no shell unless argv is ['bash', '-c', …]) and times it.
 * Throws when the exit code is not in `ok`.
 */
export async function run(
  argv: readonly string[],
  opts: { ok?: readonly number[]; cwd?: string; env?: NodeJS.ProcessEnv; label?: string } = {},
): Promise<RunResult> {
  const ok = opts.ok ?? [0];
  const tfile = join(tmpdir(), `hfx-bench-time-${process.pid}`);
  const full = haveTime ? [TIME, '-f', '%U %S %M %I', '-o', tfile, ...argv] : [...argv];
  const busy0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const child = spawn(full[0]!, full.slice(1), {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (stdout.length < 1 << 20) stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 1 << 20) stderr += d;
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const busy1 = machineBusySeconds();
  const self = process.cpuUsage(self0);
  let cpu: number | null = null;
  let maxRssMb: number | null = null;
  let diskReadMB: number | null = null;
  if (haveTime) {
    try {
      // The last line: a killed/failed command makes time print "Command exited…" first.
      const last = readFileSync(tfile, 'utf8').trim().split('\n').pop() ?? '';
      const [u, s, m, io] = last.split(' ').map(Number);
      if (Number.isFinite(io)) diskReadMB = (io! * 512) / 1e6;
      if (Number.isFinite(u) && Number.isFinite(s)) cpu = u! + s!;
      if (Number.isFinite(m)) maxRssMb = m! / 1024;
    } catch {
      /* no figures */
    }
    rmSync(tfile, { force: true });
  }
  const otherCpu =
    busy0 === null || busy1 === null || cpu === null
      ? null
      : Math.max(0, busy1 - busy0 - cpu - (self.user + self.system) / 1e6);
  if (!ok.includes(code)) {
    throw new Error(
      `${opts.label ?? argv.join(' ')} exited with ${code}\n${stderr.trim() || stdout.trim()}`.slice(0, 4000),
    );
  }
  return { wall, cpu, maxRssMb, diskReadMB, otherCpu, code, stdout, stderr };
}

export interface Stat {
  /** Wall seconds of each timed run. */
  samples: number[];
  median: number;
  min: number;
  max: number;
  /** Median CPU seconds (user + system), when known. */
  cpu: number | null;
  maxRssMb: number | null;
  /** Median MB read from the disk per run: ~0 means the run was served from the page cache. */
  diskReadMB: number | null;
  /** Median of other processes' CPU use during the timed runs, in cores (CPU s / wall s); ~0 on a quiet machine. */
  otherLoad: number | null;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function stat(results: readonly RunResult[]): Stat {
  const samples = results.map((r) => r.wall);
  const cpus = results.map((r) => r.cpu).filter((c): c is number => c !== null);
  const rss = results.map((r) => r.maxRssMb).filter((c): c is number => c !== null);
  return {
    samples,
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    cpu: cpus.length ? median(cpus) : null,
    maxRssMb: rss.length ? Math.max(...rss) : null,
    diskReadMB: results.every((r) => r.diskReadMB !== null) ? median(results.map((r) => r.diskReadMB!)) : null,
    otherLoad: results.every((r) => r.otherCpu !== null) ? median(results.map((r) => r.otherCpu! / r.wall)) : null,
  };
}

/** Other processes' CPU use over `ms`, in cores (this process idles meanwhile, so its own use is taken out). */
export async function machineLoad(ms = 1000): Promise<number | null> {
  const b0 = machineBusySeconds();
  const s0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, ms));
  const b1 = machineBusySeconds();
  const s = process.cpuUsage(s0);
  return b0 === null || b1 === null ? null : Math.max(0, b1 - b0 - (s.user + s.system) / 1e6) / (ms / 1000);
}

/** Waits up to `maxSeconds` until other processes use under 0.15 core; returns the last load seen. */
export async function waitQuiet(maxSeconds: number, log: (s: string) => void): Promise<number | null> {
  let load = await machineLoad();
  if (maxSeconds <= 0 || load === null || load < 0.15) return load;
  const until = Date.now() + maxSeconds * 1000;
  log(`other processes use ${load.toFixed(2)} cores: waiting up to ${maxSeconds} s for quiet …`);
  while (load !== null && load >= 0.15 && Date.now() < until) load = await machineLoad();
  log(load !== null && load < 0.15 ? 'quiet now' : `still ${load?.toFixed(2) ?? '?'} cores busy: measuring anyway`);
  return load;
}
