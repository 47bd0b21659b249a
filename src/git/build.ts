// Runs a build command with `sh -c` in a directory, its output (stdout and stderr) to a log file.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export interface BuildRun {
  code: number | null;
  signal: string | null;
  ms: number;
}

export function runBuild(opts: {
  cmd: string;
  cwd: string;
  log: string;
  env?: NodeJS.ProcessEnv;
  header?: string;
}): Promise<BuildRun> {
  const fd = openSync(opts.log, 'w', 0o644);
  if (opts.header) writeSync(fd, opts.header);
  const t0 = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn('sh', ['-c', opts.cmd], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
    });
    let settled = false;
    const finish = (code: number | null, signal: string | null, err?: Error): void => {
      if (settled) return;
      settled = true;
      if (err) writeSync(fd, `\nhfx: could not run sh: ${err.message}\n`);
      closeSync(fd);
      resolvePromise({ code: err ? 127 : code, signal, ms: Date.now() - t0 });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** The last lines of a log, for an error message. */
export function tailOf(file: string, lines = 5): string[] {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}
