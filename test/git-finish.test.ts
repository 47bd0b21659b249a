import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { finishCommand } from '../src/cli/commands/finish/index.js';
import { reviewCommand } from '../src/cli/commands/review/index.js';
import { startCommand } from '../src/cli/commands/start/index.js';
import type { FinishStep } from '../src/git/finish.js';
import type { ReviewCommit } from '../src/git/review.js';
import { makeRepo, run } from './helpers/git.js';

/** Finish's steps as `STEP TARGET STATUS` lines. */
const shown = (steps: FinishStep[]) => steps.map((s) => `${s.step} ${s.target} ${s.status}`);

const PKG = (v: string): string => `{\n  "name": "app",\n  "version": "${v}",\n  "private": true\n}\n`;

/** Merge commits of `target` that have `branchTip` as second parent. */
function mergesOf(r: ReturnType<typeof makeRepo>, target: string, branchTip: string): string[] {
  return r
    .git('log', '--merges', '--format=%H %P', target)
    .trim()
    .split('\n')
    .filter((l) => l.split(' ')[2] === branchTip);
}

test('finish tags the branch tip v1.7.1 and merges it --no-ff into main and develop, back on the branch; again: a no-op', async (t) => {
  const r = makeRepo(t, { develop: true });
  assert.equal((await run(startCommand, ['--from', 'v1.7.0'], { cwd: r.dir })).code, 0);
  r.git('cherry-pick', '-x', r.fix);
  const tip = r.sha('HEAD');
  const res = await run(finishCommand, ['--json'], { cwd: r.dir });
  assert.equal(res.code, 0, res.stdout);
  assert.equal(res.json.tag, 'v1.7.1');
  assert.deepEqual(shown(res.json.steps), ['tag v1.7.1 done', 'merge main done', 'merge develop done']);
  assert.equal(res.json.returnedTo, 'hotfix/1.7.1');
  assert.deepEqual(res.json.push, ['git push origin main develop v1.7.1']);
  assert.equal(r.sha('v1.7.1'), tip);
  assert.equal(r.git('cat-file', '-t', 'v1.7.1').trim(), 'tag', 'an annotated tag');
  for (const b of ['main', 'develop']) {
    assert.equal(mergesOf(r, b, tip).length, 1, `${b} has a merge commit of the hotfix (--no-ff)`);
    assert.equal(
      r.git('log', '-1', '--format=%s', b).trim(),
      `Merge branch 'hotfix/1.7.1'${b === 'develop' ? ' into develop' : ''}`,
    );
  }
  assert.equal(r.git('symbolic-ref', '--short', 'HEAD').trim(), 'hotfix/1.7.1');
  assert.doesNotMatch(r.git('config', '--local', '--list'), /hfx-finishing/);

  const review = await run(reviewCommand, ['--json'], { cwd: r.dir });
  const commits: ReviewCommit[] = review.json.commits;
  assert.deepEqual(
    commits.map((c) => c.onMain),
    [true],
    'merged back: on main',
  );
  assert.equal(review.json.tag, 'v1.7.0', 'the recorded base, not the new tag');

  const before = r.state();
  const again = await run(finishCommand, [], { cwd: r.dir });
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stdout,
    /· tag v1\.7\.1 already at \w{7}\n· main already has hotfix\/1\.7\.1\n· develop already has hotfix\/1\.7\.1/,
  );
  assert.equal(r.state(), before, 'nothing changed');
});

test('finish without develop merges into main only; release-1.7.0 gives release-1.7.1; --branch from main returns to main', async (t) => {
  const r = makeRepo(t, { tag: 'release-1.7.0' });
  await run(startCommand, ['--from', 'release-1.7.0'], { cwd: r.dir });
  r.commit('Fix session leak', { 'src/auth/session.txt': 'no leak\n' });
  r.git('checkout', '-q', 'main');
  const res = await run(finishCommand, ['--branch', 'hotfix/1.7.1', '--json'], { cwd: r.dir });
  assert.equal(res.code, 0, res.stdout);
  assert.deepEqual(shown(res.json.steps), ['tag release-1.7.1 done', 'merge main done']);
  assert.equal(res.json.returnedTo, 'main');
  assert.equal(r.git('symbolic-ref', '--short', 'HEAD').trim(), 'main');
  assert.equal(r.read('src/auth/session.txt'), 'no leak\n');
});

test('finish stops on a merge conflict in the merging state; re-run refuses until committed, then completes', async (t) => {
  const r = makeRepo(t, { develop: true });
  r.git('checkout', '-q', 'develop');
  r.commit('Start 1.8.0', { 'package.json': PKG('1.8.0-SNAPSHOT') });
  r.git('checkout', '-q', 'main');
  await run(startCommand, ['--from', 'v1.7.0'], { cwd: r.dir });
  const tip = r.commit('Bump version to 1.7.1', { 'package.json': PKG('1.7.1') });

  const res = await run(finishCommand, ['--json'], { cwd: r.dir });
  assert.equal(res.code, 3);
  assert.equal(res.json.error.code, 'HFX_E_MERGE_CONFLICT');
  assert.match(res.json.error.message, /merging hotfix\/1\.7\.1 into develop stopped on conflicts in package\.json/);
  assert.match(res.json.error.hint, /run `hfx finish` again/);
  assert.deepEqual(shown(res.json.error.details.steps), ['tag v1.7.1 done', 'merge main done']);
  assert.equal(r.git('symbolic-ref', '--short', 'HEAD').trim(), 'develop');
  assert.equal(r.sha('MERGE_HEAD'), tip);
  assert.equal(r.sha('v1.7.1'), tip);

  const stuck = r.state();
  const early = await run(finishCommand, ['--json'], { cwd: r.dir });
  assert.equal(early.json.error.code, 'HFX_E_MERGE_CONFLICT');
  assert.match(early.json.error.message, /a merge is in progress on develop with conflicts in package\.json/);
  assert.equal(r.state(), stuck, 'nothing changed');

  r.write({ 'package.json': PKG('1.8.0-SNAPSHOT') });
  r.git('add', 'package.json');
  r.git('commit', '-q', '--no-edit');
  const done = await run(finishCommand, ['--json'], { cwd: r.dir });
  assert.equal(done.code, 0, done.stdout);
  assert.deepEqual(shown(done.json.steps), ['tag v1.7.1 already', 'merge main already', 'merge develop already']);
  assert.equal(done.json.returnedTo, 'hotfix/1.7.1', 'back where finish first started');
  assert.equal(r.git('symbolic-ref', '--short', 'HEAD').trim(), 'hotfix/1.7.1');
  assert.equal(mergesOf(r, 'develop', tip).length, 1);
  assert.doesNotMatch(r.git('config', '--local', '--list'), /hfx-finishing/);

  const before = r.state();
  assert.equal((await run(finishCommand, [], { cwd: r.dir })).code, 0);
  assert.equal(r.state(), before);
});

test('finish: failures change nothing (dirty tree, not a hotfix branch, tag on another commit, a checkout refused, no main)', async (t) => {
  const r = makeRepo(t, { develop: true });
  await run(startCommand, ['--from', 'v1.7.0'], { cwd: r.dir });
  let before = r.state();
  const empty = await run(finishCommand, ['--json'], { cwd: r.dir });
  assert.equal(empty.json.error.code, 'HFX_E_USAGE');
  assert.match(empty.json.error.message, /hotfix\/1\.7\.1 has no commits since v1\.7\.0/);
  assert.equal(r.state(), before);
  r.commit('Fix session leak', { 'src/auth/session.txt': 'no leak\n' });

  writeFileSync(join(r.dir, 'src/app.txt'), 'uncommitted\n');
  before = r.state();
  const dirty = await run(finishCommand, ['--json'], { cwd: r.dir });
  assert.equal(dirty.code, 8);
  assert.equal(dirty.json.error.code, 'HFX_E_DIRTY');
  assert.equal(r.state(), before);
  r.git('checkout', '-q', '--', 'src/app.txt');

  r.git('checkout', '-q', 'main');
  before = r.state();
  const notHotfix = await run(finishCommand, ['--json'], { cwd: r.dir });
  assert.equal(notHotfix.json.error.code, 'HFX_E_USAGE');
  assert.match(notHotfix.json.error.message, /main is not a hotfix branch/);
  const named = await run(finishCommand, ['--branch', 'develop', '--json'], { cwd: r.dir });
  assert.equal(named.json.error.code, 'HFX_E_USAGE');
  assert.equal(r.state(), before);

  r.git('tag', 'v1.7.1', 'v1.7.0');
  before = r.state();
  const tagged = await run(finishCommand, ['--branch', 'hotfix/1.7.1', '--json'], { cwd: r.dir });
  assert.equal(tagged.code, 8);
  assert.equal(tagged.json.error.code, 'HFX_E_GIT_STATE');
  assert.match(tagged.json.error.message, /tag v1\.7\.1 already exists on \w{7}, not on hotfix\/1\.7\.1/);
  assert.equal(r.state(), before);
  r.git('tag', '-d', 'v1.7.1');

  r.git('checkout', '-q', 'hotfix/1.7.1');
  writeFileSync(join(r.dir, 'src/feature.txt'), 'untracked, in the way of checking out main\n');
  before = r.state();
  const blocked = await run(finishCommand, ['--json'], { cwd: r.dir });
  assert.equal(blocked.code, 1);
  assert.equal(blocked.json.error.code, 'HFX_E_GIT');
  assert.match(
    blocked.json.error.message,
    /git checkout -q main failed: .*untracked working tree files would be overwritten/,
  );
  assert.match(blocked.json.error.hint, /Nothing was changed/);
  assert.equal(r.state(), before, 'the tag this run made is removed again');

  before = r.state();
  const noMain = await run(finishCommand, ['--branch', 'hotfix/1.7.1', '--main', 'trunk', '--json'], { cwd: r.dir });
  assert.equal(noMain.json.error.code, 'HFX_E_NOT_FOUND');
  assert.equal(r.state(), before);
});
