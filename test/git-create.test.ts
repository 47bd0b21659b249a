import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCommand } from '../src/cli/commands/create/index.js';
import { startCommand } from '../src/cli/commands/start/index.js';
import { inspectArchive, keygen } from '../src/engine/index.js';
import { makeRepo, run, type Repo } from './helpers/git.js';

// The "build": the product is src/ copied to out/, plus a file stamped with the package.json version.
const BUILD = `mkdir -p out && cp -R src/. out/ && sed -n 's/.*"version": "\\(.*\\)".*/\\1/p' package.json > out/VERSION && echo "built $HFX_BUILD_SIDE"`;
const PKG = (v: string): string => `{\n  "name": "app",\n  "version": "${v}",\n  "private": true\n}\n`;

/** hotfix/1.7.1: main's fix cherry-picked, a file added, one deleted, the version bumped; pushed with an upstream. */
async function hotfix(t: Parameters<typeof makeRepo>[0]): Promise<Repo & { fix: string }> {
  const r = makeRepo(t);
  assert.equal((await run(startCommand, ['--from', 'v1.7.0'], { cwd: r.dir })).code, 0);
  r.git('cherry-pick', '-x', r.fix);
  r.git('rm', '-q', 'src/old.txt');
  r.commit('Add token cache', { 'src/auth/cache.txt': 'cache\n' });
  r.commit('Bump version to 1.7.1', { 'package.json': PKG('1.7.1') });
  r.git('push', '-q', '-u', 'origin', 'hotfix/1.7.1');
  return r;
}

const ARGS = ['--build', BUILD, '--output', 'out', '--product', 'app', '--level', '0'];

test('create builds tag and branch in worktrees and archives exactly the changed files, with provenance', async (t) => {
  const r = await hotfix(t);
  const key = keygen(join(r.root, 'vendor'));
  const before = r.state();
  const zip = join(r.root, 'dist/HF.zip');
  const res = await run(createCommand, [...ARGS, '-o', zip, '--sign', key.privateKey, '--json'], { cwd: r.dir });
  assert.equal(res.code, 0, res.stdout);
  const tip = r.sha('hotfix/1.7.1');
  const short = r.git('rev-parse', '--short', tip).trim();
  assert.equal(res.json.id, `HF-1.7.0-0-${short}`);
  assert.equal(res.json.version, '1.7.0');
  assert.equal(res.json.signed.length, 64);

  const a = await inspectArchive(zip);
  const m = a.manifest;
  assert.deepEqual(
    m.entries.map((e) => `${e.op} ${e.path}`),
    ['modify VERSION', 'add auth/cache.txt', 'modify auth/token.txt', 'delete old.txt'],
  );
  assert.equal(m.title, 'Bump version to 1.7.1');
  assert.equal(m.release, '1.7.0');
  assert.equal(m.product, 'app');
  assert.equal(a.signatures.length, 1);
  assert.deepEqual(m.source, {
    repository: r.remote,
    tag: 'v1.7.0',
    tagCommit: r.sha('v1.7.0'),
    branch: 'hotfix/1.7.1',
    commit: tip,
    commits: r
      .git('log', '--reverse', '--format=%H %s', 'v1.7.0..hotfix/1.7.1')
      .trim()
      .split('\n')
      .map((l) => ({ sha: l.slice(0, 40), subject: l.slice(41) })),
  });
  assert.match(m.description, /Built from hotfix\/1\.7\.1 \(\w+\) against v1\.7\.0:\n- \w{7} Fix token expiry/);

  assert.deepEqual(res.json.logs, { tag: `${zip}.build-tag.log`, branch: `${zip}.build-branch.log` });
  assert.match(readFileSync(`${zip}.build-tag.log`, 'utf8'), /built tag/);
  assert.match(readFileSync(`${zip}.build-branch.log`, 'utf8'), /built branch/);
  assert.equal(r.state(), before, 'the user tree, refs, worktrees and config are as before');
  assert.equal(existsSync(join(r.dir, 'out')), false);
});

test('create: progress lines per build, a spinner on a terminal; --id, --title, --version, --tag; no upstream is fine', async (t) => {
  const r = makeRepo(t);
  r.git('checkout', '-q', '-b', 'fixes', 'v1.7.0');
  r.commit('Fix it', { 'src/app.txt': 'app 1.7.0 fixed\n' });
  const zip = join(r.root, 'HF-X.zip');
  const res = await run(
    createCommand,
    [...ARGS, '--tag', 'v1.7.0', '--version', '1.7.0-GA', '--id', 'HF-X', '--title', 'Fix X', '-o', zip],
    { cwd: r.dir },
  );
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /building tag v1\.7\.0 \(\w{7}\); log: .*HF-X\.zip\.build-tag\.log/);
  assert.match(res.stdout, /✓ built branch fixes \(\w{7}\) in \d+\.\ds/);
  assert.match(res.stdout, /HF-X for 1\.7\.0-GA — 0 added, 1 modified, 0 deleted/);
  assert.match(res.stdout, /not signed/);
  const m = (await inspectArchive(zip)).manifest;
  assert.deepEqual(
    [m.id, m.title, m.release, m.entries.map((e) => e.path)],
    ['HF-X', 'Fix X', '1.7.0-GA', ['app.txt']],
  );

  const tty = await run(createCommand, [...ARGS, '--tag', 'v1.7.0', '-o', join(r.root, 'HF-Y.zip')], {
    cwd: r.dir,
    tty: true,
  });
  assert.equal(tty.code, 0, tty.stderr);
  assert.match(tty.stderr, /\r. building tag v1\.7\.0 \(\w{7}\) \d+s/);
  assert.doesNotMatch(tty.stdout, /building tag/);
});

test('a failing build is HFX_E_BUILD with its log; the worktrees are removed and nothing is written', async (t) => {
  const r = await hotfix(t);
  const before = r.state();
  const zip = join(r.root, 'HF.zip');
  const fail = `${BUILD} && if [ "$HFX_BUILD_SIDE" = branch ]; then echo "compiler says no" >&2; exit 3; fi`;
  const res = await run(
    createCommand,
    ['--build', fail, '--output', 'out', '--product', 'app', '--level', '0', '-o', zip, '--json'],
    { cwd: r.dir },
  );
  assert.equal(res.code, 1);
  assert.equal(res.json.error.code, 'HFX_E_BUILD');
  assert.match(
    res.json.error.message,
    /the build at branch hotfix\/1\.7\.1 exited with code 3; log: .*HF\.zip\.build-branch\.log/,
  );
  assert.match(res.json.error.hint, /compiler says no/);
  assert.equal(res.json.error.details.log, `${zip}.build-branch.log`);
  assert.match(readFileSync(`${zip}.build-branch.log`, 'utf8'), /compiler says no/);
  assert.equal(existsSync(zip), false);
  assert.equal(r.state(), before);

  const noOut = await run(
    createCommand,
    ['--build', 'true', '--output', 'out', '--product', 'app', '--level', '0', '-o', zip, '--json'],
    { cwd: r.dir },
  );
  assert.equal(noOut.json.error.code, 'HFX_E_BUILD');
  assert.match(noOut.json.error.message, /did not produce out\//);
  assert.equal(r.state(), before);
});

test('create refuses a dirty tree (HFX_E_DIRTY) and an unpushed branch with an upstream (HFX_E_GIT_STATE), building nothing', async (t) => {
  const r = await hotfix(t);
  const zip = join(r.root, 'HF.zip');
  writeFileSync(join(r.dir, 'src/app.txt'), 'uncommitted\n');
  let before = r.state();
  const dirty = await run(createCommand, [...ARGS, '-o', zip, '--json'], { cwd: r.dir });
  assert.equal(dirty.code, 8);
  assert.equal(dirty.json.error.code, 'HFX_E_DIRTY');
  assert.equal(r.state(), before);
  assert.equal(existsSync(`${zip}.build-tag.log`), false);

  r.git('checkout', '-q', '--', 'src/app.txt');
  r.commit('Not pushed yet', { 'src/auth/token.txt': 'changed again\n' });
  before = r.state();
  const unpushed = await run(createCommand, [...ARGS, '-o', zip, '--json'], { cwd: r.dir });
  assert.equal(unpushed.code, 8);
  assert.equal(unpushed.json.error.code, 'HFX_E_GIT_STATE');
  assert.match(
    unpushed.json.error.message,
    /1 commit\(s\) of hotfix\/1\.7\.1 are not pushed to origin\/hotfix\/1\.7\.1/,
  );
  assert.equal(r.state(), before);
  assert.equal(existsSync(`${zip}.build-tag.log`), false);
});

test('create: usage errors change nothing (no commits since the tag, --output outside, a missing key, no --build)', async (t) => {
  const r = makeRepo(t);
  await run(startCommand, ['--from', 'v1.7.0'], { cwd: r.dir });
  const before = r.state();
  const zip = join(r.root, 'HF.zip');
  for (const [argv, code, re] of [
    [[...ARGS, '-o', zip], 'HFX_E_USAGE', /hotfix\/1\.7\.1 has no commits since v1\.7\.0/],
    [
      ['--build', 'true', '--output', '../x', '--product', 'app', '--level', '0', '-o', zip],
      'HFX_E_USAGE',
      /--output must be a directory inside the repository/,
    ],
    [[...ARGS, '-o', zip, '--sign', join(r.root, 'nope.key')], 'HFX_E_NOT_FOUND', /key file .* does not exist/],
    [['--output', 'out', '--product', 'app', '--level', '0', '-o', zip], 'HFX_E_USAGE', /--build is required/],
    [
      ['--build', 'true', '--output', 'out', '--product', 'my app', '--level', '0', '-o', zip],
      'HFX_E_USAGE',
      /--product "my app" is not valid/,
    ],
  ] as const) {
    const res = await run(createCommand, [...argv, '--json'], { cwd: r.dir });
    assert.equal(res.json.error.code, code, argv.join(' '));
    assert.match(res.json.error.message, re);
  }
  assert.equal(r.state(), before);
  assert.equal(existsSync(`${zip}.build-tag.log`), false);
});
