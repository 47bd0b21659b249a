import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  applyHotfix,
  chooseChain,
  diffTrees,
  readStatus,
  revertHotfix,
  revertUpdate,
  updateHome,
  verifyHome,
} from '../src/engine/index.js';
import { isHfxError } from '../src/errors.js';
import { snapshot, world, type World } from './helpers/fixtures.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

interface Levels {
  w: World;
  /** levels[n] is the pack tree at update level n. */
  levels: string[];
  updates: string;
}

/**
 * A pack at level 0 and updates 0→1 (security), 1→2, 2→3 (security) in one directory.
 * Update 1→2 includes hotfix HF-A (which changes lib/util.jar).
 */
async function setup(t: TestContext): Promise<Levels> {
  const w = await world(t);
  const levels = [join(w.dir, 'pristine')];
  const updates = join(w.dir, 'updates');
  mkdirSync(updates);
  const changes: ((d: string) => void)[] = [
    (d) => writeFileSync(join(d, 'lib/core.jar'), 'core level 1\n'),
    (d) => {
      writeFileSync(join(d, 'lib/util.jar'), 'util fixed (HF-A) and more\n');
      mkdirSync(join(d, 'lib/plugins'));
      writeFileSync(join(d, 'lib/plugins/p.jar'), 'plugin\n');
      rmSync(join(d, 'lib/old.jar'));
    },
    (d) => {
      writeFileSync(join(d, 'lib/core.jar'), 'core level 3\n');
      rmSync(join(d, 'lib/plugins'), { recursive: true });
    },
  ];
  for (const [i, change] of changes.entries()) {
    const next = join(w.dir, `level-${i + 1}`);
    cpSync(levels[i]!, next, { recursive: true, verbatimSymlinks: true });
    change(next);
    await diffTrees({
      oldDir: levels[i]!,
      newDir: next,
      out: join(updates, `U-${i + 1}.zip`),
      product: 'demo',
      version: '1.0.0',
      level: i,
      toLevel: i + 1,
      kind: 'update',
      id: `U-${i + 1}`,
      title: `update ${i + 1}`,
      security: i !== 1,
      includes: i === 1 ? ['HF-A'] : [],
      signKey: w.key,
    });
    levels.push(next);
  }
  return { w, levels, updates };
}

test('chooseChain: furthest step, channel filter, gaps and ambiguity', () => {
  const c = (id: string, level: number, toLevel: number, security = false) => ({ id, level, toLevel, security });
  const all = [c('a', 0, 1), c('b', 1, 2, true), c('ab', 0, 2), c('c', 2, 3)];
  assert.deepEqual(
    chooseChain(all, 0, 'full').map((x) => x.id),
    ['ab', 'c'],
  );
  assert.deepEqual(
    chooseChain(all, 0, 'full', 1).map((x) => x.id),
    ['a'],
  );
  assert.deepEqual(
    chooseChain(all, 0, 'security').map((x) => x.id),
    [],
  );
  assert.deepEqual(
    chooseChain(all, 1, 'security').map((x) => x.id),
    ['b'],
  );
  assert.throws(() => chooseChain(all, 0, 'security', 2), code('HFX_E_INCOMPATIBLE'));
  assert.throws(() => chooseChain([c('x', 0, 1), c('y', 0, 1)], 0, 'full'), code('HFX_E_INCOMPATIBLE'));
  assert.throws(() => chooseChain(all, 3, 'full', 1), code('HFX_E_INCOMPATIBLE'));
  assert.throws(() => chooseChain([c('a', 0, 1), c('c', 2, 3)], 0, 'full', 3), code('HFX_E_INCOMPATIBLE'));
});

test('a chain of updates from a directory, with the included hotfix reverted for it; --revert steps back', async (t) => {
  const { w, levels, updates } = await setup(t);
  const hfA = await w.hotfix('HF-A', (d) => writeFileSync(join(d, 'lib/util.jar'), 'util fixed (HF-A)\n'));
  await applyHotfix({ home: w.home, archive: hfA });
  const dry = await updateHome({ home: w.home, from: updates, dryRun: true });
  assert.deepEqual(dry.applied, ['U-1', 'U-2', 'U-3']);
  assert.deepEqual(
    (await readStatus(w.home)).hotfixes.map((h) => h.id),
    ['HF-A'],
  );
  const r = await updateHome({ home: w.home, from: updates });
  assert.deepEqual(r.applied, ['U-1', 'U-2', 'U-3']);
  assert.deepEqual(r.reverted, ['HF-A']);
  assert.deepEqual(snapshot(w.home), snapshot(levels[3]!));
  const s = await readStatus(w.home);
  assert.equal(s.level, 3);
  assert.deepEqual(s.hotfixes, []);
  assert.ok((await verifyHome({ home: w.home })).ok);
  for (const lvl of [2, 1, 0]) {
    await revertUpdate({ home: w.home });
    assert.deepEqual(snapshot(w.home), snapshot(levels[lvl]!), `back at level ${lvl}`);
    assert.equal((await readStatus(w.home)).level, lvl);
  }
  await assert.rejects(revertUpdate({ home: w.home }), code('HFX_E_NOT_APPLIED'));
});

test('--level stops the chain; a single archive works; the security channel takes only security updates', async (t) => {
  const { w, levels, updates } = await setup(t);
  await updateHome({ home: w.home, from: updates, level: 1, channel: 'security' });
  assert.deepEqual(snapshot(w.home), snapshot(levels[1]!));
  assert.equal((await readStatus(w.home)).channel, 'security');
  // On the security channel U-2 (not security) is not taken, so nothing moves...
  const none = await updateHome({ home: w.home, from: updates });
  assert.deepEqual(none.applied, []);
  // ...and asking for level 3 names the gap.
  await assert.rejects(updateHome({ home: w.home, from: updates, level: 3 }), code('HFX_E_INCOMPATIBLE'));
  await updateHome({ home: w.home, archive: join(updates, 'U-2.zip'), channel: 'full' });
  assert.deepEqual(snapshot(w.home), snapshot(levels[2]!));
  await assert.rejects(updateHome({ home: w.home, archive: join(updates, 'U-1.zip') }), code('HFX_E_INCOMPATIBLE'));
});

test('an applied hotfix the update does not include stops it, and nothing changes', async (t) => {
  const { w, updates } = await setup(t);
  const hfB = await w.hotfix('HF-B', (d) => writeFileSync(join(d, 'conf/server.toml'), 'b\n'));
  await applyHotfix({ home: w.home, archive: hfB });
  const full = snapshot(w.home, { includeState: true });
  await assert.rejects(
    updateHome({ home: w.home, from: updates }),
    (e: unknown) =>
      isHfxError(e, 'HFX_E_NOT_INCLUDED') &&
      (e.details as { notIncluded: string[] }).notIncluded[0] === 'HF-B' &&
      (e.hint ?? '').includes('hfx revert HF-B'),
  );
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
});

test('locally changed files stop the update with a conflict; a failure mid-chain rolls back everything', async (t) => {
  const { w, updates } = await setup(t);
  const hfA = await w.hotfix('HF-A', (d) => writeFileSync(join(d, 'lib/util.jar'), 'util fixed (HF-A)\n'));
  await applyHotfix({ home: w.home, archive: hfA });
  writeFileSync(join(w.home, 'lib/core.jar'), 'local edit\n');
  let full = snapshot(w.home, { includeState: true });
  await assert.rejects(updateHome({ home: w.home, from: updates }), code('HFX_E_CONFLICT'));
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
  writeFileSync(join(w.home, 'lib/core.jar'), 'core 1.0\n'.repeat(100));
  full = snapshot(w.home, { includeState: true });
  for (const at of [1, 3, 6]) {
    process.env.HFX_FAULT = `fail-after-step:${at}`;
    try {
      await assert.rejects(updateHome({ home: w.home, from: updates }), code('HFX_E_IO'));
    } finally {
      delete process.env.HFX_FAULT;
    }
    assert.deepEqual(snapshot(w.home, { includeState: true }), full, `after a failure at step ${at}`);
  }
});

test('a hotfix made for an earlier level applies when its files are untouched by the update, else is refused', async (t) => {
  const { w, updates } = await setup(t);
  const onConf = await w.hotfix('HF-C', (d) => writeFileSync(join(d, 'conf/server.toml'), 'c\n'));
  const onCore = await w.hotfix('HF-D', (d) => writeFileSync(join(d, 'lib/core.jar'), 'd\n'));
  await updateHome({ home: w.home, archive: join(updates, 'U-1.zip') });
  const full = snapshot(w.home, { includeState: true });
  await assert.rejects(applyHotfix({ home: w.home, archive: onCore }), code('HFX_E_INCOMPATIBLE'));
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
  const r = await applyHotfix({ home: w.home, archive: onConf });
  assert.deepEqual(r.crossLevel, { madeFor: 0, installed: 1 });
  await revertHotfix({ home: w.home });
  assert.deepEqual(snapshot(w.home, { includeState: true }).length, full.length);
  // A hotfix for a later level needs that update first.
  const later = await w.hotfix('HF-E', (d) => writeFileSync(join(d, 'conf/server.toml'), 'e\n'), { level: 5 });
  await assert.rejects(applyHotfix({ home: w.home, archive: later }), code('HFX_E_INCOMPATIBLE'));
});
