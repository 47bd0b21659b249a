// The one place hfx runs git: the real `git` CLI through child_process, never a library,
// with a stable environment (C locale for messages, no prompts, no pager, no colour).
import { execFile, spawn } from 'node:child_process';
import { HfxError } from '../errors.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', GIT_MERGE_AUTOEDIT: 'no' };
}

const BASE = ['-c', 'core.quotePath=false', '-c', 'color.ui=false'];
const MAX_BUFFER = 512 * 1024 * 1024;

function notInstalled(e: unknown): HfxError {
  return new HfxError('HFX_E_GIT', 'git is not installed or not on PATH', {
    hint: 'Install git (2.20 or later) and run the command again.',
    cause: e,
  });
}

export function gitFailure(args: string[], r: GitResult): HfxError {
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const first = Math.max(
    0,
    lines.findIndex((l) => /^(error|fatal):/.test(l)),
  );
  const why = lines.slice(first, first + 3).join(' / ') || `exit code ${r.code}`;
  return new HfxError('HFX_E_GIT', `git ${args.join(' ')} failed: ${why}`, {
    details: { args, code: r.code, stderr: r.stderr },
  });
}

/** Runs git in `cwd` and returns its exit code and output; never throws for a non-zero exit. */
export function tryGit(cwd: string, args: string[]): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'git',
      [...BASE, ...args],
      { cwd, env: gitEnv(), maxBuffer: MAX_BUFFER, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (err && code === 'ENOENT') {
          reject(notInstalled(err));
          return;
        }
        if (err && typeof code !== 'number') {
          reject(new HfxError('HFX_E_GIT', `git ${args.join(' ')}: ${err.message}`, { cause: err }));
          return;
        }
        resolvePromise({ code: err ? (code as number) : 0, stdout, stderr });
      },
    );
    // Closed at once, so a git that would read standard input never waits on it.
    child.stdin?.on('error', () => {
      /* EPIPE when git exits without reading: its exit code tells */
    });
    child.stdin?.end();
  });
}

/** Runs git and returns stdout; a non-zero exit is HFX_E_GIT. */
export async function git(cwd: string, args: string[]): Promise<string> {
  const r = await tryGit(cwd, args);
  if (r.code !== 0) throw gitFailure(args, r);
  return r.stdout;
}

/** The first line of git's output, trimmed. */
export async function gitLine(cwd: string, args: string[]): Promise<string> {
  const [first = ''] = (await git(cwd, args)).split('\n');
  return first.trim();
}

/** NUL-separated output (from -z) as a list. */
export function splitZ(s: string): string[] {
  return s.split('\0').filter((x) => x !== '');
}

/** `git A… | git B…` with the first command's output streamed, not buffered: returns B's stdout. */
export function gitPipe(cwd: string, first: string[], second: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const env = gitEnv();
    const a = spawn('git', [...BASE, ...first], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const b = spawn('git', [...BASE, ...second], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let errA = '';
    let errB = '';
    let pending = 2;
    const codes: [number, number] = [0, 0];
    let failed = false;
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      a.kill();
      b.kill();
      reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? notInstalled(e) : e);
    };
    a.on('error', fail);
    b.on('error', fail);
    b.stdin.on('error', () => {
      /* EPIPE if B exits early: its exit code tells */
    });
    a.stdout.pipe(b.stdin);
    a.stderr.on('data', (d: Buffer) => (errA += d.toString()));
    b.stderr.on('data', (d: Buffer) => (errB += d.toString()));
    b.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = (): void => {
      if (--pending > 0 || failed) return;
      if (codes[0] !== 0) {
        reject(gitFailure(first, { code: codes[0], stdout: '', stderr: errA }));
        return;
      }
      if (codes[1] !== 0) {
        reject(gitFailure(second, { code: codes[1], stdout: '', stderr: errB }));
        return;
      }
      resolvePromise(out);
    };
    a.on('close', (c) => {
      codes[0] = c ?? 1;
      done();
    });
    b.on('close', (c) => {
      codes[1] = c ?? 1;
      done();
    });
  });
}
