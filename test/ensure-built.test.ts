// `npm start` builds first only when it must (scripts/ensure-built.js): no build, or sources newer
// than the last whole build. Run on a copy of the script in a throwaway project whose "build"
// only leaves a mark, through the real npm.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tmp } from './helpers/fixtures.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/ensure-built.js', import.meta.url));

function project(t: Parameters<typeof tmp>[0], build: string): string {
  const root = tmp(t);
  mkdirSync(join(root, 'scripts'));
  copyFileSync(SCRIPT, join(root, 'scripts/ensure-built.js'));
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ name: 'x', private: true, type: 'module', scripts: { build } }),
  );
  for (const d of ['src', 'web']) {
    mkdirSync(join(root, d));
    writeFileSync(join(root, d, 'a.ts'), 'x');
  }
  return root;
}

const run = (root: string) =>
  spawnSync(process.execPath, [join(root, 'scripts/ensure-built.js')], { cwd: root, encoding: 'utf8' });
/** What a whole build leaves: both outputs, and the stamp written last. */
function built(root: string, at: Date) {
  mkdirSync(join(root, 'dist/web'), { recursive: true });
  mkdirSync(join(root, 'dist/src/cli'), { recursive: true });
  writeFileSync(join(root, 'dist/web/index.html'), '');
  writeFileSync(join(root, 'dist/src/cli/main.js'), '');
  writeFileSync(join(root, 'dist/.build-stamp'), '');
  utimesSync(join(root, 'dist/.build-stamp'), at, at);
}
const MARK = `node -e "require('node:fs').writeFileSync('built-mark', '')"`;

test('no build yet: it builds', (t) => {
  const root = project(t, MARK);
  const r = run(root);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /no build yet, building/);
  assert.ok(existsSync(join(root, 'built-mark')));
});

test('a build newer than every source: it starts at once, building nothing', (t) => {
  const root = project(t, MARK);
  built(root, new Date(Date.now() + 60_000));
  const r = run(root);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(existsSync(join(root, 'built-mark')), false);
});

test('a source changed after the build (server, dashboard or lock file): it builds', (t) => {
  for (const changed of ['src/a.ts', 'web/a.ts', 'package-lock.json']) {
    const root = project(t, MARK);
    built(root, new Date(Date.now() - 60_000));
    const old = new Date(Date.now() - 120_000);
    for (const p of ['src/a.ts', 'web/a.ts', 'src', 'web']) utimesSync(join(root, p), old, old);
    assert.equal(run(root).stderr, '', 'up to date before the change');
    writeFileSync(join(root, changed), 'changed');
    const r = run(root);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /sources changed since the last build/, changed);
    assert.ok(existsSync(join(root, 'built-mark')), changed);
  }
});

test('half a build (an output missing) counts as none; a failed build fails the start', (t) => {
  const root = project(t, 'node -e "process.exit(3)"');
  built(root, new Date(Date.now() + 60_000));
  rmSync(join(root, 'dist/web/index.html'));
  const r = run(root);
  assert.match(r.stderr, /no build yet/);
  assert.notEqual(r.status, 0);
});

test('--stamp writes the stamp that marks a whole build', (t) => {
  const root = project(t, MARK);
  mkdirSync(join(root, 'dist'));
  const r = spawnSync(process.execPath, [join(root, 'scripts/ensure-built.js'), '--stamp'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0);
  assert.ok(existsSync(join(root, 'dist/.build-stamp')));
});
