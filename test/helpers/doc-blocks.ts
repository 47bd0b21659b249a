// A document's shell blocks, run with bash exactly as written: README.md and docs/getting-started.md
// are tests (a block that cannot run carries `<!-- not run by TEST: WHY -->` on the line before it).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface Block {
  line: number;
  code: string;
  /** Why it is not run, from the comment before it; null: it is run. */
  skip: string | null;
}

export const notRun = (test: string) => new RegExp(`^<!--\\s*not run by ${test.replace(/[./]/g, '\\$&')}:(.*?)-->$`);

// Every fence a reader would paste into a shell counts, so a block cannot dodge the test by its tag.
export function shellBlocks(md: string, test: string): Block[] {
  const NOT_RUN = notRun(test);
  const lines = md.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    if (['sh', 'bash', 'shell', 'console'].includes(open[1]!)) {
      let before = i - 1;
      while (before >= 0 && lines[before]!.trim() === '') before--;
      const comment = before >= 0 ? NOT_RUN.exec(lines[before]!.trim()) : null;
      blocks.push({
        line: i + 1,
        code: lines.slice(i + 1, end).join('\n') + '\n',
        skip: comment ? comment[1]!.trim() : null,
      });
    }
    i = end;
  }
  return blocks;
}

export function bash(
  code: string,
  env: NodeJS.ProcessEnv,
  timeout = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', code], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (c) => resolve({ code: c, stdout, stderr }));
  });
}

/** The environment a pasted block gets: the reader's own hfx settings removed, a temp dir of its own. */
export function cleanEnv(tmp: string): NodeJS.ProcessEnv {
  const env = { ...process.env, TMPDIR: tmp, NO_COLOR: '1' };
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('HFX_') && k !== 'DATABASE_URL'));
}
