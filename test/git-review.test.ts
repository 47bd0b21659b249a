import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reviewCommand } from '../src/cli/commands/review/index.js';
import { startCommand } from '../src/cli/commands/start/index.js';
import type { ReviewResult, ReviewWarning } from '../src/git/review.js';
import { makeRepo, run } from './helpers/git.js';

/** hotfix/1.7.1 with: a cherry-pick of main's fix (at other line numbers), a fix not on main, a docs change, a version bump, a merge. */
async function messyHotfix(t: Parameters<typeof makeRepo>[0]) {
  const r = makeRepo(t);
  assert.equal((await run(startCommand, ['--from', 'v1.7.0'], { cwd: r.dir })).code, 0);
  r.git('cherry-pick', '-x', r.fix);
  const picked = r.sha('HEAD');
  const local = r.commit('Fix session leak', { 'src/auth/session.txt': 'no leak\n' });
  const docs = r.commit('Note the fix', { 'docs/README.md': '# app\nfixed\n' });
  const bump = r.commit('Bump version to 1.7.1', {
    'package.json': '{\n  "name": "app",\n  "version": "1.7.1",\n  "private": true\n}\n',
  });
  r.git('checkout', '-q', '-b', 'side', 'v1.7.0');
  r.commit('Side work', { 'src/auth/side.txt': 'side\n' });
  r.git('checkout', '-q', 'hotfix/1.7.1');
  r.git('merge', '-q', '--no-ff', '--no-edit', 'side');
  const merge = r.sha('HEAD');
  return { r, picked, local, docs, bump, merge };
}

test('review lists commits and files, and warns: scope, merge, not on main, version-only', async (t) => {
  const { r, picked, local, docs, bump, merge } = await messyHotfix(t);
  const before = r.state();
  const res = await run(reviewCommand, ['--scope', 'src/auth/**', '--json'], { cwd: r.dir });
  assert.equal(res.code, 0, res.stdout);
  const j: ReviewResult = res.json;
  assert.equal(j.branch, 'hotfix/1.7.1');
  assert.equal(j.tag, 'v1.7.0');
  assert.equal(j.main, 'main');
  const by = new Map(j.commits.map((c) => [c.sha, c]));
  assert.deepEqual(j.commits.map((c) => c.sha).sort(), [picked, local, docs, bump, merge, r.sha('side')].sort());
  assert.deepEqual(by.get(picked)!.files, ['src/auth/token.txt']);
  assert.equal(by.get(picked)!.onMain, true, 'a cherry-pick of a main commit is on main (patch-id)');
  assert.equal(by.get(local)!.onMain, false);
  assert.equal(by.get(bump)!.versionOnly, true);
  assert.equal(by.get(local)!.versionOnly, false);
  assert.equal(by.get(merge)!.merge, true);
  assert.deepEqual(by.get(merge)!.files, ['src/auth/side.txt']);

  const kinds = j.warnings.map((w) => `${w.kind} ${w.file ?? w.commits[0]!.slice(0, 7)}`).sort();
  assert.deepEqual(
    kinds,
    [
      `merge ${merge.slice(0, 7)}`,
      `not-on-main ${local.slice(0, 7)}`,
      `not-on-main ${r.sha('side').slice(0, 7)}`,
      `not-on-main ${docs.slice(0, 7)}`,
      'scope docs/README.md',
      `version-only ${bump.slice(0, 7)}`,
    ].sort(),
  );
  assert.deepEqual(
    j.stat.map((s) => s.path),
    ['docs/README.md', 'package.json', 'src/auth/session.txt', 'src/auth/side.txt', 'src/auth/token.txt'],
  );
  assert.deepEqual(j.totals, { files: 5, insertions: 5, deletions: 2 });
  assert.equal(r.state(), before, 'review changes nothing');

  const text = await run(reviewCommand, ['--scope', 'src/auth', '--scope', '*.json'], { cwd: r.dir });
  assert.equal(text.code, 0);
  assert.match(text.stdout, /hotfix\/1\.7\.1 \(\w{7}\) since v1\.7\.0/);
  assert.match(text.stdout, /Fix token expiry {2}\[on main\]/);
  assert.match(text.stdout, /5 file\(s\) changed, 5 insertion\(s\)\(\+\), 2 deletion\(s\)\(-\)/);
  assert.match(text.stderr, /warning: docs\/README\.md is outside --scope/);
  assert.match(text.stderr, /warning: \w{7} "Fix session leak" is not on main: the fix would be lost/);
  assert.match(text.stderr, /warning: \w{7} "Bump version to 1\.7\.1" only changes version lines \(package\.json\)/);
  assert.match(text.stderr, /is a merge commit/);
});

test('review --strict exits 7 (HFX_E_REVIEW_WARNINGS) on warnings, with the review in details, and 0 without', async (t) => {
  const { r } = await messyHotfix(t);
  const res = await run(reviewCommand, ['--strict', '--json'], { cwd: r.dir });
  assert.equal(res.code, 7);
  assert.equal(res.json.ok, false);
  assert.equal(res.json.error.code, 'HFX_E_REVIEW_WARNINGS');
  const warnings: ReviewWarning[] = res.json.error.details.warnings;
  assert.deepEqual(warnings.map((w) => w.kind).sort(), [
    'merge',
    'not-on-main',
    'not-on-main',
    'not-on-main',
    'version-only',
  ]);

  const clean = makeRepo(t);
  await run(startCommand, ['--from', 'v1.7.0'], { cwd: clean.dir });
  clean.git('cherry-pick', clean.fix);
  const ok = await run(reviewCommand, ['--strict', '--scope', 'src/auth/**'], { cwd: clean.dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /✓ no warnings/);
  assert.equal(ok.stderr, '');
});

test('review finds the tag with git describe when hfx start did not record it; --branch from another branch; --main', async (t) => {
  const r = makeRepo(t);
  r.git('checkout', '-q', '-b', 'hotfix/manual', 'v1.7.0');
  const c = r.commit('Fix session leak', { 'src/auth/session.txt': 'no leak\n' });
  r.git('checkout', '-q', 'main');
  const res = await run(reviewCommand, ['--branch', 'hotfix/manual', '--json'], { cwd: r.dir });
  assert.equal(res.code, 0);
  assert.equal(res.json.tag, 'v1.7.0');
  assert.equal(res.json.commits[0].sha, c);
  assert.equal(res.json.commits[0].onMain, false);

  r.git('branch', '-m', 'main', 'trunk');
  const noMain = await run(reviewCommand, ['--branch', 'hotfix/manual', '--json'], { cwd: r.dir });
  assert.equal(noMain.json.error.code, 'HFX_E_NOT_FOUND');
  assert.match(noMain.json.error.hint, /--main B/);
  r.git('checkout', '-q', 'trunk');
  r.git('cherry-pick', c);
  const viaMain = await run(reviewCommand, ['--branch', 'hotfix/manual', '--main', 'trunk', '--json'], { cwd: r.dir });
  assert.equal(viaMain.json.commits[0].onMain, true);
  assert.equal(viaMain.json.warnings.length, 0);
});

test('review: failures change nothing (no such branch, detached HEAD, no tag)', async (t) => {
  const r = makeRepo(t);
  const before = r.state();
  const missing = await run(reviewCommand, ['--branch', 'hotfix/9.9.9', '--json'], { cwd: r.dir });
  assert.equal(missing.code, 2);
  assert.equal(missing.json.error.code, 'HFX_E_NOT_FOUND');
  assert.equal(r.state(), before);
  r.git('checkout', '-q', '--detach', 'v1.7.0');
  const detached = r.state();
  const d = await run(reviewCommand, ['--json'], { cwd: r.dir });
  assert.equal(d.json.error.code, 'HFX_E_USAGE');
  assert.match(d.json.error.hint, /--branch/);
  assert.equal(r.state(), detached);
  const noTag = await run(reviewCommand, ['--branch', 'main', '--tag', 'v0.0.1', '--json'], { cwd: r.dir });
  assert.equal(noTag.json.error.code, 'HFX_E_NOT_FOUND');
  assert.equal(r.state(), detached);
});
