// README.md's shell blocks are run with bash exactly as written, from the repository root, so the
// walkthrough keeps working when pasted. A block that cannot run here (one that installs, serves
// forever or would start this test run again) carries `<!-- not run by test/readme.test.ts: WHY -->`
// on the line before it; a block with neither fails the first test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const NOT_RUN = /^<!--\s*not run by test\/readme\.test\.ts:(.*?)-->$/;

interface Block {
  line: number;
  code: string;
  /** Why it is not run, from the comment before it; null: it is run. */
  skip: string | null;
}

// Every fence a reader would paste into a shell counts, so a block cannot dodge the test by its tag.
function shellBlocks(md: string): Block[] {
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
      blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n') + '\n', skip: comment ? comment[1]!.trim() : null });
    }
    i = end;
  }
  return blocks;
}

function bash(code: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', code], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (c) => resolve({ code: c, stdout, stderr }));
  });
}

const blocks = shellBlocks(README);
const W = mkdtempSync(join(tmpdir(), 'hfx-readme-'));
after(() => rmSync(W, { recursive: true, force: true }));

test('README.md: every shell block is run by this test, or the comment before it says why not', () => {
  assert.ok(blocks.length >= 2, `shell blocks found: ${blocks.length}`);
  for (const b of blocks) {
    if (b.skip === null) continue;
    assert.ok(b.skip.length >= 10, `README.md line ${b.line}: the not-run comment gives no reason ("${b.skip}")`);
  }
  assert.ok(blocks.some((b) => b.skip === null), 'no block is run');
  // The comment belongs right before a block: one anywhere else marks nothing and misleads.
  const comments = README.split('\n').filter((l) => NOT_RUN.test(l.trim())).length;
  assert.equal(comments, blocks.filter((b) => b.skip !== null).length, 'a not-run comment that is not right before a shell block');
});

/** What must be in a block's output, for the blocks that are recognised by a line of theirs. */
const EXPECT: { block: RegExp; output: RegExp[]; check?: (tmp: string, stdout: string) => void }[] = [
  {
    block: /^hfx apply HF-1\.0\.0-0-0001\.zip --home pack$/m,
    output: [
      /HF-1\.0\.0-0-0001 — 1 added, 1 modified, 0 deleted/,
      /^\s+A lib\/cache\.jar\s+0644/m,
      /payload\/lib\/core\.jar/, // unzip -l
      /would apply HF-1\.0\.0-0-0001/,
      /applied HF-1\.0\.0-0-0001 — Fix core: 2 change/,
      // hfx state after apply names the hotfix
      /1 hotfix\(es\), oldest first:\n\s+HF-1\.0\.0-0-0001\s+Fix core\s+S1, applied/,
      /the pack is exactly as recorded/,
      /reverted HF-1\.0\.0-0-0001/,
    ],
    check(tmp, stdout) {
      // The last command's JSON: nothing applied any more, and the files are as before.
      const json = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{\n') + 1)) as { ok: boolean; product: string; hotfixes: unknown[] };
      assert.equal(json.ok, true);
      assert.equal(json.product, 'demo');
      assert.deepEqual(json.hotfixes, []);
      const dirs = readdirSync(tmp);
      assert.equal(dirs.length, 1, `one mktemp -d directory: ${dirs.join(', ')}`);
      const pack = join(tmp, dirs[0]!, 'pack');
      assert.equal(readFileSync(join(pack, 'lib/core.jar'), 'utf8'), 'core 1.0\n');
      assert.equal(existsSync(join(pack, 'lib/cache.jar')), false);
    },
  },
];

for (const b of blocks.filter((x) => x.skip === null)) {
  test(`README.md line ${b.line}: the shell block runs as pasted (bash -euo pipefail, from the repository root)`, async () => {
    const tmp = mkdtempSync(join(W, 'tmp-'));
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, NO_COLOR: '1' };
    // The reader's own hfx settings would change what the commands do.
    for (const k of Object.keys(env)) if (k.startsWith('HFX_')) delete env[k];
    const r = await bash(b.code, env);
    assert.equal(r.code, 0, `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    for (const e of EXPECT.filter((x) => x.block.test(b.code))) {
      for (const re of e.output) assert.match(r.stdout, re);
      e.check?.(tmp, r.stdout);
    }
  });
}

test('README.md: the walkthrough is among the blocks run, and Set up says what npm test does', async () => {
  for (const e of EXPECT) assert.ok(blocks.some((b) => b.skip === null && e.block.test(b.code)), `no block run matches ${e.block}`);
  const setUp = README.slice(README.indexOf('## Set up'), README.indexOf('\n## ', README.indexOf('## Set up') + 1));
  for (const said of [/apt-get/, /root/, /PostgreSQL/, /registry/, /HFX_TEST_DATABASE_URL/, /HFX_TEST_REGISTRY/, /scripts\/test\.js/]) {
    assert.match(setUp, said);
  }
  // The packages it names are the ones scripts/test.js looks for.
  const runner = (await import(new URL('../../scripts/test.js', import.meta.url).href)) as { PACKAGES: { pkg: string }[] };
  for (const p of runner.PACKAGES) assert.ok(setUp.includes(`\`${p.pkg}\``), `Set up does not name the package ${p.pkg}`);
});
