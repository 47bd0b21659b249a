import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { abortApply, applyHotfix, readStatus, revertHotfix, verifyHome } from '../src/engine/index.js';
import { HfxError, isHfxError } from '../src/errors.js';
import { snapshot, world, type World } from './helpers/fixtures.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

/** A hotfix exercising every kind of change: content, mode, add, delete, link, new and removed dirs. */
async function bigFix(w: World, id = 'HF-1') {
  return w.hotfix(id, (d) => {
    writeFileSync(join(d, 'lib/core.jar'), 'core 1.0.1\n'.repeat(100));
    chmodSync(join(d, 'bin/server.sh'), 0o700);
    rmSync(join(d, 'lib/old.jar'));
    mkdirSync(join(d, 'lib/ext/deep'), { recursive: true });
    writeFileSync(join(d, 'lib/ext/deep/new.jar'), 'new\n');
    rmSync(join(d, 'docs/current'));
    symlinkSync('../conf/server.toml', join(d, 'docs/current'));
    rmSync(join(d, 'docs'), { recursive: true });
  });
}

test('apply makes the pack equal to the new tree, revert restores it byte for byte', async (t) => {
  const w = await world(t);
  const before = snapshot(w.home);
  const zip = await bigFix(w);
  const r = await applyHotfix({ home: w.home, archive: zip });
  assert.equal(r.id, 'HF-1');
  const after = snapshot(w.home);
  assert.notDeepEqual(after, before);
  assert.equal(after['bin/server.sh']?.split(' ')[1], '700');
  assert.ok(after['lib/ext/deep/new.jar']);
  assert.equal(after.docs, undefined);
  assert.equal(after['lib/old.jar'], undefined);
  assert.ok((await verifyHome({ home: w.home })).ok);
  const s = await readStatus(w.home);
  assert.deepEqual(
    s.hotfixes.map((h) => h.id),
    ['HF-1'],
  );
  assert.equal(s.pending, null);
  await revertHotfix({ home: w.home });
  assert.deepEqual(snapshot(w.home), before);
  assert.ok((await verifyHome({ home: w.home })).ok);
  assert.deepEqual((await readStatus(w.home)).hotfixes, []);
  assert.equal(existsSync(join(w.home, '.hfx/applied/HF-1')), false);
  assert.equal(existsSync(join(w.home, '.hfx/tx')), false);
});

test('dry runs change nothing at all, .hfx included', async (t) => {
  const w = await world(t);
  const zip = await bigFix(w);
  const full = snapshot(w.home, { includeState: true });
  const r = await applyHotfix({ home: w.home, archive: zip, dryRun: true });
  assert.equal(r.dryRun, true);
  assert.ok(r.changes.length >= 5);
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
  await applyHotfix({ home: w.home, archive: zip });
  const applied = snapshot(w.home, { includeState: true });
  const rv = await revertHotfix({ home: w.home, dryRun: true });
  assert.deepEqual(rv.reverted, ['HF-1']);
  assert.deepEqual(snapshot(w.home, { includeState: true }), applied);
});

test('apply costs what the hotfix touches: a FIFO elsewhere in the pack is never opened', async (t) => {
  const w = await world(t);
  const zip = await w.hotfix('HF-1', (d) => writeFileSync(join(d, 'conf/server.toml'), 'port = 1\n'));
  // Reading a FIFO with no writer blocks forever: a whole-pack scan would hang this test.
  execFileSync('mkfifo', [join(w.home, 'lib/pipe')]);
  await applyHotfix({ home: w.home, archive: zip });
  await revertHotfix({ home: w.home });
  rmSync(join(w.home, 'lib/pipe'));
});

test('refusals: already applied, missing requirement, wrong product, level and kind; nothing changes', async (t) => {
  const w = await world(t);
  const a = await w.hotfix('HF-A', (d) => writeFileSync(join(d, 'conf/server.toml'), 'a\n'));
  const b = await w.hotfix('HF-B', (d) => writeFileSync(join(d, 'lib/util.jar'), 'b\n'), { requires: ['HF-A'] });
  const other = await w.hotfix('HF-P', (d) => writeFileSync(join(d, 'lib/util.jar'), 'p\n'), { product: 'other' });
  const lvl = await w.hotfix('HF-L', (d) => writeFileSync(join(d, 'lib/util.jar'), 'l\n'), { level: 3 });
  const upd = await w.hotfix('U-1', (d) => writeFileSync(join(d, 'lib/util.jar'), 'u\n'), {
    kind: 'update',
    toLevel: 1,
  });
  const full = snapshot(w.home, { includeState: true });
  await assert.rejects(applyHotfix({ home: w.home, archive: b }), code('HFX_E_REQUIRES'));
  await assert.rejects(applyHotfix({ home: w.home, archive: other }), code('HFX_E_INCOMPATIBLE'));
  await assert.rejects(applyHotfix({ home: w.home, archive: lvl }), code('HFX_E_INCOMPATIBLE'));
  await assert.rejects(applyHotfix({ home: w.home, archive: upd }), code('HFX_E_INCOMPATIBLE'));
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
  await applyHotfix({ home: w.home, archive: a });
  const applied = snapshot(w.home, { includeState: true });
  await assert.rejects(applyHotfix({ home: w.home, archive: a }), code('HFX_E_ALREADY_APPLIED'));
  assert.deepEqual(snapshot(w.home, { includeState: true }), applied);
  await applyHotfix({ home: w.home, archive: b });
  assert.deepEqual(
    (await readStatus(w.home)).hotfixes.map((h) => h.id),
    ['HF-A', 'HF-B'],
  );
});

test('unsigned and untrusted archives are refused unless --allow-unsigned', async (t) => {
  const w = await world(t, undefined, { trust: false });
  const zip = await w.hotfix('HF-1', (d) => writeFileSync(join(d, 'conf/server.toml'), 'x\n'));
  const unsigned = await w.hotfix('HF-2', (d) => writeFileSync(join(d, 'lib/util.jar'), 'y\n'), { signKey: undefined });
  const full = snapshot(w.home, { includeState: true });
  await assert.rejects(applyHotfix({ home: w.home, archive: zip }), code('HFX_E_UNTRUSTED'));
  await assert.rejects(applyHotfix({ home: w.home, archive: unsigned }), code('HFX_E_UNSIGNED'));
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
  const r = await applyHotfix({ home: w.home, archive: unsigned, allowUnsigned: true });
  assert.equal(r.keyid, null);
  const r2 = await applyHotfix({ home: w.home, archive: zip, allowUnsigned: true });
  assert.equal(r2.keyid, null);
});

test('revert of a named hotfix: refused when a later one touches its files, allowed when not; --all', async (t) => {
  const w = await world(t);
  const before = snapshot(w.home);
  const a = await w.hotfix('HF-A', (d) => writeFileSync(join(d, 'lib/core.jar'), 'a\n'));
  await applyHotfix({ home: w.home, archive: a });
  const afterA = snapshot(w.home);
  const b = await w.hotfix('HF-B', (d) => writeFileSync(join(d, 'lib/core.jar'), 'b\n'), { from: w.home });
  const c = await w.hotfix('HF-C', (d) => writeFileSync(join(d, 'conf/server.toml'), 'c\n'), { from: w.home });
  await applyHotfix({ home: w.home, archive: b });
  await applyHotfix({ home: w.home, archive: c });
  const full = snapshot(w.home, { includeState: true });
  await assert.rejects(
    revertHotfix({ home: w.home, id: 'HF-A' }),
    (e: unknown) => isHfxError(e, 'HFX_E_REVERT_BLOCKED') && e.message.includes('HF-B'),
  );
  await assert.rejects(revertHotfix({ home: w.home, id: 'HF-X' }), code('HFX_E_NOT_APPLIED'));
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
  await revertHotfix({ home: w.home, id: 'HF-B' }); // HF-C is later but touches other files
  assert.deepEqual(
    (await readStatus(w.home)).hotfixes.map((h) => h.id),
    ['HF-A', 'HF-C'],
  );
  assert.equal(readFileSync(join(w.home, 'lib/core.jar'), 'utf8'), 'a\n');
  await revertHotfix({ home: w.home, id: 'HF-C' });
  assert.deepEqual(snapshot(w.home), afterA);
  await applyHotfix({ home: w.home, archive: b });
  await applyHotfix({ home: w.home, archive: c });
  const r = await revertHotfix({ home: w.home, all: true });
  assert.deepEqual(r.reverted, ['HF-C', 'HF-B', 'HF-A']);
  assert.deepEqual(snapshot(w.home), before);
  await assert.rejects(revertHotfix({ home: w.home }), code('HFX_E_NOT_APPLIED'));
});

test('revert refuses when a file was changed after the apply, and changes nothing', async (t) => {
  const w = await world(t);
  const zip = await bigFix(w);
  await applyHotfix({ home: w.home, archive: zip });
  writeFileSync(join(w.home, 'lib/ext/deep/new.jar'), 'edited by hand\n');
  const full = snapshot(w.home, { includeState: true });
  await assert.rejects(
    revertHotfix({ home: w.home }),
    (e: unknown) =>
      isHfxError(e, 'HFX_E_MODIFIED') &&
      (e.details as { modified: { path: string }[] }).modified[0]!.path === 'lib/ext/deep/new.jar',
  );
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
});

test('a file already holding the new content is left alone and kept on revert', async (t) => {
  const w = await world(t);
  const zip = await w.hotfix('HF-1', (d) => {
    writeFileSync(join(d, 'lib/core.jar'), 'fixed\n');
    writeFileSync(join(d, 'lib/util.jar'), 'util 2\n');
  });
  writeFileSync(join(w.home, 'lib/core.jar'), 'fixed\n'); // someone copied the fix in by hand
  const pre = snapshot(w.home);
  const r = await applyHotfix({ home: w.home, archive: zip });
  assert.deepEqual(r.untouched, ['lib/core.jar']);
  assert.ok((await verifyHome({ home: w.home })).ok);
  await revertHotfix({ home: w.home });
  assert.deepEqual(snapshot(w.home), pre);
});

test('an in-process failure mid-transaction rolls back to the tree before', async (t) => {
  const w = await world(t);
  const zip = await bigFix(w);
  const full = snapshot(w.home, { includeState: true });
  process.env.HFX_FAULT = 'fail-after-step:3';
  try {
    await assert.rejects(applyHotfix({ home: w.home, archive: zip }), code('HFX_E_IO'));
  } finally {
    delete process.env.HFX_FAULT;
  }
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
});

test('conflicts: nothing applied, both versions kept; --continue with .final, then revert restores the local edit', async (t) => {
  const w = await world(t);
  const zip = await bigFix(w);
  writeFileSync(join(w.home, 'lib/core.jar'), 'my local patch\n');
  chmodSync(join(w.home, 'bin/server.sh'), 0o750);
  const pack = snapshot(w.home);
  const err = await applyHotfix({ home: w.home, archive: zip }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof HfxError, String(err));
  assert.equal(err.code, 'HFX_E_CONFLICT');
  const { conflicts } = err.details as { conflicts: { path: string }[] };
  assert.deepEqual(conflicts.map((c) => c.path).sort(), ['bin/server.sh', 'lib/core.jar']);
  assert.deepEqual(snapshot(w.home), pack, 'the pack itself is untouched');
  const area = join(w.home, '.hfx/conflict/files');
  assert.equal(readFileSync(join(area, 'lib/core.jar.mine'), 'utf8'), 'my local patch\n');
  assert.equal(readFileSync(join(area, 'lib/core.jar.new'), 'utf8'), 'core 1.0.1\n'.repeat(100));
  const s = await readStatus(w.home);
  assert.equal(s.pending?.kind, 'conflict');
  // Another apply is refused while the conflict is pending.
  await assert.rejects(applyHotfix({ home: w.home, archive: zip }), code('HFX_E_CONFLICT_PENDING'));
  // Continuing without resolving every file is refused, and still changes nothing.
  writeFileSync(join(area, 'lib/core.jar.final'), 'merged\n');
  await assert.rejects(
    applyHotfix({ home: w.home, continue: true }),
    (e: unknown) =>
      isHfxError(e, 'HFX_E_CONFLICT_UNRESOLVED') && (e.details as { conflicts: unknown[] }).conflicts.length === 1,
  );
  assert.deepEqual(snapshot(w.home), pack);
  // The mode-only conflict is resolved by taking the hotfix's version.
  const r = await applyHotfix({ home: w.home, continue: true, use: 'new' });
  assert.deepEqual(r.resolved, ['lib/core.jar']);
  assert.equal(readFileSync(join(w.home, 'lib/core.jar'), 'utf8'), 'merged\n');
  assert.equal(snapshot(w.home)['bin/server.sh']?.split(' ')[1], '700');
  assert.equal(existsSync(join(w.home, '.hfx/conflict')), false);
  assert.ok((await verifyHome({ home: w.home })).ok, 'verify expects the resolved content');
  await revertHotfix({ home: w.home });
  assert.deepEqual(snapshot(w.home), pack, 'revert brings back the local edits');
});

test('conflicts: --use mine keeps local files; --abort forgets the attempt', async (t) => {
  const w = await world(t);
  const zip = await w.hotfix('HF-1', (d) => {
    writeFileSync(join(d, 'lib/core.jar'), 'fixed\n');
    writeFileSync(join(d, 'lib/util.jar'), 'util 2\n');
  });
  writeFileSync(join(w.home, 'lib/core.jar'), 'local\n');
  await assert.rejects(applyHotfix({ home: w.home, archive: zip }), code('HFX_E_CONFLICT'));
  assert.deepEqual(await abortApply({ home: w.home }), { aborted: 'HF-1' });
  assert.equal((await readStatus(w.home)).pending, null);
  await assert.rejects(applyHotfix({ home: w.home, continue: true }), code('HFX_E_USAGE'));
  await assert.rejects(applyHotfix({ home: w.home, archive: zip }), code('HFX_E_CONFLICT'));
  await applyHotfix({ home: w.home, continue: true, use: 'mine' });
  assert.equal(readFileSync(join(w.home, 'lib/core.jar'), 'utf8'), 'local\n');
  assert.equal(readFileSync(join(w.home, 'lib/util.jar'), 'utf8'), 'util 2\n');
  assert.ok((await verifyHome({ home: w.home })).ok);
});

test('verify reports modified, missing and unexpected files', async (t) => {
  const w = await world(t);
  writeFileSync(join(w.home, 'lib/core.jar'), 'tampered\n');
  rmSync(join(w.home, 'lib/util.jar'));
  writeFileSync(join(w.home, 'lib/extra.jar'), 'x');
  chmodSync(join(w.home, 'conf/server.toml'), 0o600);
  const r = await verifyHome({ home: w.home });
  assert.equal(r.ok, false);
  assert.deepEqual(r.modified.map((d) => d.path).sort(), ['conf/server.toml', 'lib/core.jar']);
  assert.deepEqual(
    r.missing.map((d) => d.path),
    ['lib/util.jar'],
  );
  assert.deepEqual(
    r.unexpected.map((d) => d.path),
    ['lib/extra.jar'],
  );
});

test('an unprivileged user applies a hotfix whose new file denies reading (mode 0200)', async (t) => {
  // Staged files are fsync'd through the descriptor that wrote them: reopened by path, a mode
  // without read permission would refuse anyone but root. Run as `nobody` when the tests are root.
  if (process.getuid?.() !== 0) {
    t.diagnostic('not root: cannot switch to an unprivileged user here');
    return;
  }
  const w = await world(t);
  const hf = await w.hotfix('HF-WO', (d) => {
    writeFileSync(join(d, 'conf/drop-box'), 'write only\n');
    chmodSync(join(d, 'conf/drop-box'), 0o200);
  });
  execFileSync('chown', ['-R', '65534:65534', w.dir]);
  chmodSync(w.dir, 0o755);
  const bin = new URL('../../bin/hfx.js', import.meta.url).pathname;
  const out = execFileSync(process.execPath, [bin, 'apply', hf, '--home', w.home, '--json'], {
    uid: 65534,
    gid: 65534,
    env: { PATH: process.env.PATH, HOME: w.dir, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  assert.equal(JSON.parse(out).id, 'HF-WO');
  assert.equal(statSync(join(w.home, 'conf/drop-box')).mode & 0o777, 0o200);
  assert.equal(statSync(join(w.home, 'conf/drop-box')).uid, 65534);
  assert.deepEqual(
    (await readStatus(w.home)).hotfixes.map((h: { id: string }) => h.id),
    ['HF-WO'],
  );
});
