// README.md's shell blocks are run with bash exactly as written, from the repository root, so the
// walkthrough keeps working when pasted. A block that cannot run here (one that installs, serves
// forever or would start this test run again) carries `<!-- not run by test/readme.test.ts: WHY -->`
// on the line before it; a block with neither fails the first test.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bash, cleanEnv, notRun, ROOT, shellBlocks } from './helpers/doc-blocks.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const NOT_RUN = notRun('test/readme.test.ts');

const blocks = shellBlocks(README, 'test/readme.test.ts');
const W = mkdtempSync(join(tmpdir(), 'hfx-readme-'));
after(() => rmSync(W, { recursive: true, force: true }));

test('README.md: every shell block is run by this test, or the comment before it says why not', () => {
  assert.ok(blocks.length >= 2, `shell blocks found: ${blocks.length}`);
  for (const b of blocks) {
    if (b.skip === null) continue;
    assert.ok(b.skip.length >= 10, `README.md line ${b.line}: the not-run comment gives no reason ("${b.skip}")`);
  }
  assert.ok(
    blocks.some((b) => b.skip === null),
    'no block is run',
  );
  // The comment belongs right before a block: one anywhere else marks nothing and misleads.
  const comments = README.split('\n').filter((l) => NOT_RUN.test(l.trim())).length;
  assert.equal(
    comments,
    blocks.filter((b) => b.skip !== null).length,
    'a not-run comment that is not right before a shell block',
  );
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
      const json = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{\n') + 1)) as {
        ok: boolean;
        product: string;
        hotfixes: unknown[];
      };
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
    const r = await bash(b.code, cleanEnv(tmp));
    assert.equal(r.code, 0, `exit ${String(r.code)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    for (const e of EXPECT.filter((x) => x.block.test(b.code))) {
      for (const re of e.output) assert.match(r.stdout, re);
      e.check?.(tmp, r.stdout);
    }
  });
}

test('README.md: the walkthrough is among the blocks run, and Set up says what npm test does', async () => {
  for (const e of EXPECT)
    assert.ok(
      blocks.some((b) => b.skip === null && e.block.test(b.code)),
      `no block run matches ${e.block}`,
    );
  const setUp = README.slice(README.indexOf('## Set up'), README.indexOf('\n## ', README.indexOf('## Set up') + 1));
  for (const said of [
    /apt-get/,
    /root/,
    /PostgreSQL/,
    /registry/,
    /HFX_TEST_DATABASE_URL/,
    /HFX_TEST_REGISTRY/,
    /scripts\/test\.js/,
  ]) {
    assert.match(setUp, said);
  }
  // The packages it names are the ones scripts/test.js looks for.
  const runner = (await import(new URL('../../scripts/test.js', import.meta.url).href)) as {
    PACKAGES: { pkg: string }[];
  };
  for (const p of runner.PACKAGES)
    assert.ok(setUp.includes(`\`${p.pkg}\``), `Set up does not name the package ${p.pkg}`);
});
