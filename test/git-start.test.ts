import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCommand } from '../src/cli/commands/start/index.js';
import { makeRepo, run } from './helpers/git.js';
import { tmp } from './helpers/fixtures.js';

test('start: creates hotfix/<next patch> from the tag, checks it out and records the tag', async (t) => {
  const r = makeRepo(t);
  const res = await run(startCommand, ['--from', 'v1.7.0', '--json'], { cwd: r.dir });
  assert.equal(res.code, 0, res.stdout);
  assert.equal(res.json.branch, 'hotfix/1.7.1');
  assert.equal(res.json.version, '1.7.1');
  assert.equal(res.json.releaseTag, 'v1.7.1');
  assert.equal(res.json.previous, 'main');
  assert.equal(r.git('symbolic-ref', '--short', 'HEAD').trim(), 'hotfix/1.7.1');
  assert.equal(r.sha('HEAD'), r.sha('v1.7.0'));
  assert.equal(res.json.tagCommit, r.sha('v1.7.0'));
  assert.equal(r.git('config', 'branch.hotfix/1.7.1.hfx-base').trim(), 'v1.7.0');
  assert.equal(r.git('status', '--porcelain').trim(), '');
});

test('start: an explicit VERSION loses its leading v; --repo works from elsewhere', async (t) => {
  const r = makeRepo(t);
  const res = await run(startCommand, ['v1.7.0.1', '--from', 'v1.7.0', '--repo', r.dir], { cwd: tmp(t) });
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /on hotfix\/1\.7\.0\.1, from v1\.7\.0/);
  assert.equal(r.git('symbolic-ref', '--short', 'HEAD').trim(), 'hotfix/1.7.0.1');
});

test('start: release-1.7.0 style tags give 1.7.1 and a release-1.7.1 tag to come', async (t) => {
  const r = makeRepo(t, { tag: 'release-1.7.0' });
  const res = await run(startCommand, ['--from', 'release-1.7.0', '--json'], { cwd: r.dir });
  assert.equal(res.code, 0, res.stdout);
  assert.equal(res.json.branch, 'hotfix/1.7.1');
  assert.equal(res.json.releaseTag, 'release-1.7.1');
});

test('start refuses a dirty tree (HFX_E_DIRTY) and changes nothing', async (t) => {
  const r = makeRepo(t);
  writeFileSync(join(r.dir, 'src/app.txt'), 'local edit\n');
  const before = r.state();
  const res = await run(startCommand, ['--from', 'v1.7.0', '--json'], { cwd: r.dir });
  assert.equal(res.code, 8);
  assert.equal(res.json.error.code, 'HFX_E_DIRTY');
  assert.deepEqual(res.json.error.details.files, ['src/app.txt']);
  assert.equal(r.state(), before);
});

test('start refuses a missing tag (HFX_E_NOT_FOUND) and changes nothing', async (t) => {
  const r = makeRepo(t);
  const before = r.state();
  const res = await run(startCommand, ['--from', 'v9.9.9'], { cwd: r.dir });
  assert.equal(res.code, 2);
  assert.match(res.stderr, /HFX_E_NOT_FOUND: there is no tag v9\.9\.9/);
  assert.equal(r.state(), before);
});

test('start refuses an existing branch, here or on a remote, and a version already tagged (HFX_E_GIT_STATE)', async (t) => {
  const r = makeRepo(t);
  r.git('branch', 'hotfix/1.7.1', 'v1.7.0');
  let before = r.state();
  let res = await run(startCommand, ['--from', 'v1.7.0', '--json'], { cwd: r.dir });
  assert.equal(res.code, 8);
  assert.equal(res.json.error.code, 'HFX_E_GIT_STATE');
  assert.match(res.json.error.message, /branch hotfix\/1\.7\.1 already exists/);
  assert.equal(r.state(), before);

  r.git('push', '-q', 'origin', 'hotfix/1.7.1');
  r.git('fetch', '-q', 'origin');
  r.git('branch', '-D', 'hotfix/1.7.1');
  before = r.state();
  res = await run(startCommand, ['--from', 'v1.7.0', '--json'], { cwd: r.dir });
  assert.equal(res.json.error.code, 'HFX_E_GIT_STATE');
  assert.match(res.json.error.message, /origin\/hotfix\/1\.7\.1 already exists on a remote/);
  assert.equal(r.state(), before);

  r.git('tag', 'v1.7.2', 'v1.7.0');
  before = r.state();
  res = await run(startCommand, ['1.7.2', '--from', 'v1.7.0', '--json'], { cwd: r.dir });
  assert.equal(res.json.error.code, 'HFX_E_GIT_STATE');
  assert.match(res.json.error.message, /tag v1\.7\.2 already exists/);
  assert.equal(r.state(), before);
});

test('start: usage errors change nothing (no --from, a pre-release tag without VERSION, a bad VERSION, not a repository)', async (t) => {
  const r = makeRepo(t);
  r.git('tag', 'v1.8.0-rc1', 'main');
  const before = r.state();
  for (const [argv, code, re] of [
    [[], 'HFX_E_USAGE', /--from TAG is required/],
    [['--from', 'v1.8.0-rc1'], 'HFX_E_USAGE', /cannot tell the next version after v1\.8\.0-rc1/],
    [['1..2', '--from', 'v1.7.0'], 'HFX_E_USAGE', /is not a version/],
    [['a', 'b', '--from', 'v1.7.0'], 'HFX_E_USAGE', /one VERSION expected/],
  ] as const) {
    const res = await run(startCommand, [...argv, '--json'], { cwd: r.dir });
    assert.equal(res.json.error.code, code, argv.join(' '));
    assert.match(res.json.error.message, re);
  }
  assert.equal(r.state(), before);
  const nowhere = await run(startCommand, ['--from', 'v1.7.0', '--json'], { cwd: tmp(t) });
  assert.equal(nowhere.json.error.code, 'HFX_E_NOT_FOUND');
  assert.match(nowhere.json.error.message, /not a git working tree/);
});
