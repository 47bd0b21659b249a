// The engine's pure functions tested as pure functions, without a pack on disk: planApply,
// revertSteps, chooseReverts and chooseChain. Where a law exists it is checked on random input
// with fast-check. A tree is a Map path → node; a tiny interpreter below carries out the
// transaction's steps on it with the rules the file system imposes on renames, so a plan in the
// wrong order fails here as it would on disk.
//
// This suite reaches into src/engine on purpose (planApply, chooseReverts and revertSteps are not
// part of the front door); chooseChain is, and comes through it.
//
// Reproduce a failure with the seed printed by fast-check: HFX_PURE_SEED=... HFX_PURE_RUNS=...
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sameNode, type Manifest, type ManifestEntry, type NodeState } from '../src/engine/archive/manifest.js';
import { RECORD_FORMAT, type LoadedRecord } from '../src/engine/home/record-format.js';
import { fileLine } from '../src/engine/home/baseline-line.js';
import type { InstallState } from '../src/engine/home/state.js';
import type { Step } from '../src/engine/home/tx.js';
import { chooseChain, type Candidate } from '../src/engine/index.js';
import type { Observed } from '../src/engine/ops/observe.js';
import { planApply, type ApplyPlan, type Resolution } from '../src/engine/ops/plan-apply.js';
import { chooseReverts, revertSteps } from '../src/engine/ops/revert.js';
import { HfxError } from '../src/errors.js';

const SEED = Number(process.env.HFX_PURE_SEED ?? 20260713);
const RUNS = Number(process.env.HFX_PURE_RUNS ?? 400);
const params = { seed: SEED, numRuns: RUNS };

const isCode =
  (c: string) =>
  (e: unknown): boolean =>
    e instanceof HfxError && e.code === c;

// ---------------------------------------------------------------------------------------------
// Trees

type Tree = Map<string, NodeState>;

const parentOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const isUnder = (p: string, dir: string): boolean => p.startsWith(`${dir}/`);
const STAGE = '.hfx/tx/stage';
const BACKUP = '.hfx/applied/HF/backup';
const TRASH = '.hfx/tx/trash';
const isPack = (p: string): boolean => !p.startsWith('.hfx/');

const sha = (s: string): string => s.repeat(64).slice(0, 64);
/** The nodes a path may hold: absent, two contents × two modes, a link, a directory in two modes. */
const NODES: readonly (NodeState | null)[] = [
  null,
  { type: 'file', sha256: sha('a'), size: 1, mode: '0644' },
  { type: 'file', sha256: sha('a'), size: 1, mode: '0755' },
  { type: 'file', sha256: sha('b'), size: 2, mode: '0644' },
  { type: 'symlink', target: 'elsewhere' },
  { type: 'dir', mode: '0755' },
  { type: 'dir', mode: '0700' },
];
// Three names, three levels deep: 39 paths, few enough that two random trees overlap a lot.
const NAMES = ['a', 'b', 'c'];
const UNIVERSE: string[] = [];
for (const x of NAMES) {
  UNIVERSE.push(x);
  for (const y of NAMES) {
    UNIVERSE.push(`${x}/${y}`);
    for (const z of NAMES) UNIVERSE.push(`${x}/${y}/${z}`);
  }
}
UNIVERSE.sort((p, q) => p.split('/').length - q.split('/').length);

/** A well-formed tree (every parent a directory) from one choice per path of the universe. */
function treeOf(choices: readonly number[]): Tree {
  const t: Tree = new Map();
  UNIVERSE.forEach((p, i) => {
    const parent = parentOf(p);
    if (parent !== '' && t.get(parent)?.type !== 'dir') return;
    const n = NODES[(choices[i] ?? 0) % NODES.length];
    if (n) t.set(p, n);
  });
  return t;
}

const choicesArb = fc.array(fc.nat(NODES.length - 1), { minLength: UNIVERSE.length, maxLength: UNIVERSE.length });
/** Another tree made from `base` by changing a few paths, so that most of it stays. */
const mutate = (base: readonly number[]) =>
  fc.array(fc.tuple(fc.nat(UNIVERSE.length - 1), fc.nat(NODES.length - 1)), { maxLength: 12 }).map((changes) => {
    const c = [...base];
    for (const [i, v] of changes) c[i] = v;
    return c;
  });
/** Two trees: a pack before, and after, a change. */
const pairArb = choicesArb
  .chain((a) => fc.tuple(fc.constant(a), mutate(a)))
  .map(([a, b]) => ({ before: treeOf(a), after: treeOf(b) }));

/** The manifest entries of the change from `a` to `b`, as `hfx diff` makes them. */
function diffOf(a: Tree, b: Tree): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const p of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const before = a.get(p) ?? null;
    const after = b.get(p) ?? null;
    if (sameNode(before, after)) continue;
    out.push({ path: p, op: before === null ? 'add' : after === null ? 'delete' : 'modify', before, after });
  }
  return out;
}

/** What observe() would see at `paths` of a pack holding `t`. */
function observed(t: Tree, paths: readonly string[]): Map<string, Observed> {
  const out = new Map<string, Observed>();
  for (const p of paths) {
    const node = t.get(p) ?? null;
    const parent = parentOf(p);
    const o: Observed = { node, parentIsDir: parent === '' || t.get(parent)?.type === 'dir' };
    if (node?.type === 'dir')
      o.children = [...t.keys()].filter((q) => parentOf(q) === p).map((q) => q.slice(p.length + 1));
    out.set(p, o);
  }
  return out;
}

const packOf = (t: Tree): Tree => new Map([...t].filter(([p]) => isPack(p)));
const sorted = (t: Tree): [string, NodeState][] => [...t].sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0));

// ---------------------------------------------------------------------------------------------
// The interpreter: a transaction's steps carried out on a tree, as home/tx.ts carries them out on
// disk, with rename(2)'s rules asserted: the source exists, the destination does not, a new
// name's parent is a directory, and a directory moves with everything in it.

function rename(t: Tree, from: string, to: string): void {
  const node = t.get(from);
  assert.ok(node, `rename: ${from} does not exist`);
  assert.ok(!t.has(to), `rename: ${to} exists already`);
  const parent = parentOf(to);
  if (isPack(to) && parent !== '')
    assert.equal(t.get(parent)?.type, 'dir', `rename: ${to} goes into ${parent}, which is not a directory`);
  const moved = [...t].filter(([p]) => p === from || isUnder(p, from));
  for (const [p] of moved) t.delete(p);
  for (const [p, n] of moved) t.set(to + p.slice(from.length), n);
}

function run(t: Tree, steps: readonly Step[]): void {
  for (const s of steps) {
    if (s.kind === 'chmod') {
      const cur = t.get(s.target);
      assert.ok(cur && cur.type !== 'symlink', `chmod: ${s.target} is not a file or directory`);
      assert.equal(cur.mode, s.from, `chmod: ${s.target} has mode ${cur.mode}, the step expects ${s.from}`);
      t.set(s.target, { ...cur, mode: s.to });
      continue;
    }
    if (s.save !== null) rename(t, s.target, s.save);
    else assert.ok(!t.has(s.target), `move: ${s.target} exists and nothing saves it`);
    if (s.source !== null) rename(t, s.source, s.target);
  }
}

/** The steps stageArchive makes of a plan, with each new node staged where its step takes it from. */
function stage(t: Tree, plan: ApplyPlan): Step[] {
  return plan.steps.map((p, n): Step => {
    const i = n + 1;
    if (p.kind === 'chmod') return { kind: 'chmod', target: p.path, from: p.from, to: p.to };
    if (p.put !== null) t.set(`${STAGE}/${i}`, p.put);
    return {
      kind: 'move',
      target: p.path,
      source: p.put === null ? null : `${STAGE}/${i}`,
      save: p.takeAway ? `${BACKUP}/${i}` : null,
    };
  });
}

function manifestOf(entries: ManifestEntry[]): Manifest {
  return {
    format: 'hfx-archive/1',
    kind: 'hotfix',
    id: 'HF',
    title: 'HF',
    description: '',
    severity: 'S3',
    incident: null,
    customer: null,
    product: 'p',
    release: '1',
    level: 0,
    toLevel: null,
    security: false,
    createdAt: '2026-01-01T00:00:00Z',
    requires: [],
    supersedes: [],
    includes: [],
    source: null,
    entries,
  };
}

const recordOf = (entries: ManifestEntry[], plan: ApplyPlan, steps: Step[]): LoadedRecord => ({
  record: {
    format: RECORD_FORMAT,
    manifest: null,
    signatures: null,
    untouched: plan.untouched,
    resolved: plan.resolved,
    steps,
  },
  manifest: manifestOf(entries),
});

// ---------------------------------------------------------------------------------------------
// planApply and revertSteps

test('planApply: a plan of the change from A to B, run on A, gives B; its revert gives A back', () => {
  fc.assert(
    fc.property(pairArb, ({ before, after }) => {
      const entries = diffOf(before, after);
      const paths = new Set(entries.map((e) => e.path));
      const plan = planApply(entries, observed(before, [...paths]));
      assert.deepEqual(plan.conflicts, []);
      assert.deepEqual(plan.untouched, []);
      // Nothing outside the manifest is touched.
      for (const s of plan.steps) assert.ok(paths.has(s.path), `${s.path} is not in the manifest`);

      const t = new Map(before);
      const steps = stage(t, plan);
      run(t, steps);
      assert.deepEqual(sorted(packOf(t)), sorted(after));
      assert.ok(![...t.keys()].some((p) => p.startsWith(`${STAGE}/`)), 'every staged node was moved into place');

      run(t, revertSteps([recordOf(entries, plan, steps)], TRASH));
      assert.deepEqual(sorted(packOf(t)), sorted(before));
      assert.ok(![...t.keys()].some((p) => p.startsWith(`${BACKUP}/`)), 'every backup was put back');
      // What the apply had put in place is in the trash: one entry per node put.
      const putCount = plan.steps.filter((s) => s.kind === 'move' && s.put !== null).length;
      assert.equal([...t.keys()].filter((p) => parentOf(p) === TRASH).length, putCount);
    }),
    params,
  );
});

test('planApply: on a pack that already holds B, nothing to do and every path untouched', () => {
  fc.assert(
    fc.property(pairArb, ({ before, after }) => {
      const entries = diffOf(before, after);
      const plan = planApply(
        entries,
        observed(
          after,
          entries.map((e) => e.path),
        ),
      );
      assert.deepEqual(plan.steps, []);
      assert.deepEqual(plan.conflicts, []);
      assert.deepEqual([...plan.untouched].sort(), entries.map((e) => e.path).sort());
    }),
    params,
  );
});

test('planApply: a path changed locally, to neither before nor after, is a conflict; no other is', () => {
  const arb = choicesArb.chain((a) => fc.tuple(fc.constant(a), mutate(a), mutate(a)));
  fc.assert(
    fc.property(arb, ([a, b, c]) => {
      const before = treeOf(a);
      const entries = diffOf(before, treeOf(b));
      const local = treeOf(c);
      let plan: ApplyPlan;
      try {
        plan = planApply(
          entries,
          observed(
            local,
            entries.map((e) => e.path),
          ),
        );
      } catch (e) {
        // A new path whose directory the local changes removed: refused as a different layout.
        assert.ok(isCode('HFX_E_INCOMPATIBLE')(e), String(e));
        return;
      }
      const drifted = entries
        .filter((e) => !sameNode(local.get(e.path) ?? null, e.before) && !sameNode(local.get(e.path) ?? null, e.after))
        .map((e) => e.path);
      const contentConflicts = plan.conflicts.filter((x) => x.reason !== 'not-empty');
      assert.deepEqual(contentConflicts.map((x) => x.path).sort(), drifted.sort());
      for (const x of contentConflicts) {
        const found = local.get(x.path) ?? null;
        assert.deepEqual(x.found, found);
        assert.equal(x.reason, found === null ? 'missing' : x.expected === null ? 'exists' : 'modified');
      }
      // A directory the change removes is refused while it still holds something the plan leaves there.
      for (const x of plan.conflicts.filter((y) => y.reason === 'not-empty'))
        assert.equal(local.get(x.path)?.type, 'dir');
      // Untouched: exactly the paths that already hold the new content.
      assert.deepEqual(
        [...plan.untouched].sort(),
        entries
          .filter((e) => sameNode(local.get(e.path) ?? null, e.after))
          .map((e) => e.path)
          .sort(),
      );
      if (plan.conflicts.length > 0) return;
      // Without conflicts the plan runs, and leaves every path of the manifest as the hotfix has it and every other as it was.
      const want = new Map(local);
      for (const e of entries) {
        if (e.after === null) want.delete(e.path);
        else want.set(e.path, e.after);
      }
      const t = new Map(local);
      run(t, stage(t, plan));
      assert.deepEqual(sorted(packOf(t)), sorted(want));
    }),
    params,
  );
});

test("planApply: resolutions keep the user's version (mine) or put the hotfix's (new) over a conflict", () => {
  const file = (c: string, mode = '0644'): NodeState => ({ type: 'file', sha256: sha(c), size: c.length, mode });
  const entries: ManifestEntry[] = [
    { path: 'x', op: 'modify', before: file('a'), after: file('b') },
    { path: 'y', op: 'modify', before: file('a'), after: file('b') },
  ];
  const local: Tree = new Map([
    ['x', file('c')],
    ['y', file('c')],
  ]);
  const seen = observed(local, ['x', 'y']);
  const plain = planApply(entries, seen);
  assert.deepEqual(
    plain.conflicts.map((c) => [c.path, c.reason]),
    [
      ['x', 'modified'],
      ['y', 'modified'],
    ],
  );
  assert.deepEqual(plain.steps, []);

  const resolutions = new Map<string, Resolution>([
    ['x', 'mine'],
    ['y', 'new'],
  ]);
  const plan = planApply(entries, seen, resolutions);
  assert.deepEqual(plan.conflicts, []);
  assert.deepEqual(plan.untouched, ['x']);
  assert.deepEqual(plan.resolved, { x: file('c') });
  assert.deepEqual(plan.steps, [{ kind: 'move', path: 'y', takeAway: true, put: file('b'), from: 'payload' }]);

  const final = planApply(
    entries,
    seen,
    new Map<string, Resolution>([
      ['x', { final: file('d') }],
      ['y', { final: file('b') }],
    ]),
  );
  assert.deepEqual(
    final.resolved,
    { x: file('d') },
    'a final equal to the hotfix version is no resolution to remember',
  );
  assert.deepEqual(
    final.steps.map((s) => s.kind === 'move' && [s.path, s.from]),
    [
      ['x', 'final'],
      ['y', 'final'],
    ],
  );
});

test('planApply: removals deepest first, then replacements, additions shallowest first, mode changes last', () => {
  const dir = (mode = '0755'): NodeState => ({ type: 'dir', mode });
  const file = (c: string, mode = '0644'): NodeState => ({ type: 'file', sha256: sha(c), size: c.length, mode });
  const before: Tree = new Map<string, NodeState>([
    ['old', dir()],
    ['old/sub', dir()],
    ['old/sub/f', file('a')],
    ['keep', dir()],
    ['keep/f', file('a')],
    ['m', file('a')],
  ]);
  const after: Tree = new Map<string, NodeState>([
    ['keep', dir('0700')],
    ['keep/f', file('b')],
    ['new', dir()],
    ['new/sub', dir()],
    ['new/sub/f', file('a')],
    ['m', file('a', '0755')],
  ]);
  const entries = diffOf(before, after);
  const plan = planApply(
    entries,
    observed(
      before,
      entries.map((e) => e.path),
    ),
  );
  assert.deepEqual(
    plan.steps.map(
      (s) => `${s.kind === 'chmod' ? 'chmod' : s.put === null ? 'remove' : s.takeAway ? 'replace' : 'add'} ${s.path}`,
    ),
    [
      'remove old/sub/f',
      'remove old/sub',
      'remove old',
      'replace keep/f',
      'add new',
      'add new/sub',
      'add new/sub/f',
      'chmod keep',
      'chmod m',
    ],
  );
});

test("planApply: a directory to remove that still holds a file of the user's is a conflict", () => {
  const dir: NodeState = { type: 'dir', mode: '0755' };
  const file: NodeState = { type: 'file', sha256: sha('a'), size: 1, mode: '0644' };
  const entries: ManifestEntry[] = [
    { path: 'd', op: 'delete', before: dir, after: null },
    { path: 'd/f', op: 'delete', before: file, after: null },
  ];
  const clean = planApply(
    entries,
    observed(
      new Map<string, NodeState>([
        ['d', dir],
        ['d/f', file],
      ]),
      ['d', 'd/f'],
    ),
  );
  assert.deepEqual(clean.conflicts, []);
  const mine = planApply(
    entries,
    observed(
      new Map<string, NodeState>([
        ['d', dir],
        ['d/f', file],
        ['d/mine', file],
      ]),
      ['d', 'd/f'],
    ),
  );
  assert.deepEqual(
    mine.conflicts.map((c) => [c.path, c.reason]),
    [['d', 'not-empty']],
  );
});

test('planApply: a new path whose directory is not there refuses the plan; a path not observed is a bug', () => {
  const file: NodeState = { type: 'file', sha256: sha('a'), size: 1, mode: '0644' };
  const entries: ManifestEntry[] = [{ path: 'gone/f', op: 'add', before: null, after: file }];
  assert.throws(() => planApply(entries, observed(new Map(), ['gone/f'])), isCode('HFX_E_INCOMPATIBLE'));
  assert.throws(() => planApply(entries, new Map()), isCode('HFX_E_INTERNAL'));
});

test("revertSteps: each record's steps backwards, records in the order given, one trash slot per node put", () => {
  const f: NodeState = { type: 'file', sha256: sha('a'), size: 1, mode: '0644' };
  const rec = (id: string, steps: Step[]): LoadedRecord => ({
    record: { format: RECORD_FORMAT, manifest: null, signatures: null, untouched: [], resolved: {}, steps },
    manifest: manifestOf([{ path: id, op: 'add', before: null, after: f }]),
  });
  const newer = rec('n', [
    { kind: 'move', target: 'x', source: 's/1', save: 'b/1' },
    { kind: 'chmod', target: 'd', from: '0755', to: '0700' },
  ]);
  const older = rec('o', [
    { kind: 'move', target: 'y', source: 's/1', save: null },
    { kind: 'move', target: 'z', source: null, save: 'b/2' },
  ]);
  assert.deepEqual(revertSteps([newer, older], 'T'), [
    { kind: 'chmod', target: 'd', from: '0700', to: '0755' },
    { kind: 'move', target: 'x', source: 'b/1', save: 'T/0' },
    { kind: 'move', target: 'z', source: 'b/2', save: null },
    { kind: 'move', target: 'y', source: null, save: 'T/1' },
  ]);
});

// ---------------------------------------------------------------------------------------------
// chooseReverts

function stateWith(ids: readonly string[]): InstallState {
  return {
    format: 'hfx-state/1',
    product: 'p',
    version: '1',
    level: 0,
    channel: 'full',
    initializedAt: '2026-01-01T00:00:00Z',
    tx: ids.length,
    hotfixes: ids.map((id) => ({
      id,
      title: id,
      severity: 'S3',
      appliedAt: '2026-01-01T00:00:00Z',
      digest: sha('d'),
      keyid: null,
      customer: null,
    })),
    updates: [],
  };
}

const overlaps = (p: string, q: string): boolean => p === q || isUnder(p, q) || isUnder(q, p);

test('chooseReverts: the last by default, all newest first, or one that no later hotfix overlaps', () => {
  const pathArb = fc.constantFrom(...UNIVERSE.slice(0, 15));
  const arb = fc
    .array(fc.uniqueArray(pathArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 })
    .chain((touch) => fc.tuple(fc.constant(touch), fc.nat(touch.length - 1)));
  fc.assert(
    fc.property(arb, ([touch, pick]) => {
      const ids = touch.map((_, i) => `HF-${i}`);
      const state = stateWith(ids);
      const touched = (id: string): ReadonlySet<string> => new Set(touch[ids.indexOf(id)]);
      assert.deepEqual(chooseReverts(state, touched), [ids[ids.length - 1]]);
      assert.deepEqual(chooseReverts(state, touched, undefined, true), [...ids].reverse());
      const id = ids[pick] ?? assert.fail('no id');
      const mine = touch[pick] ?? [];
      const blocker = ids
        .slice(pick + 1)
        .find((later) => [...touched(later)].some((p) => mine.some((q) => overlaps(p, q))));
      if (blocker === undefined) {
        assert.deepEqual(chooseReverts(state, touched, id), [id]);
      } else {
        assert.throws(
          () => chooseReverts(state, touched, id),
          (e: unknown) => {
            assert.ok(isCode('HFX_E_REVERT_BLOCKED')(e), String(e));
            assert.equal(((e as HfxError).details as { blockedBy?: unknown }).blockedBy, blocker);
            return true;
          },
        );
      }
    }),
    params,
  );
});

test('chooseReverts: nothing applied, or not that one, is refused', () => {
  const none = (): ReadonlySet<string> => new Set();
  assert.throws(() => chooseReverts(stateWith([]), none), isCode('HFX_E_NOT_APPLIED'));
  assert.throws(() => chooseReverts(stateWith([]), none, undefined, true), isCode('HFX_E_NOT_APPLIED'));
  assert.throws(() => chooseReverts(stateWith(['A']), none, 'B'), isCode('HFX_E_NOT_APPLIED'));
  // A sibling whose name starts like the path is no overlap; a child is.
  const touch = new Map([
    ['A', new Set(['lib/a'])],
    ['B', new Set(['lib/ab'])],
    ['C', new Set(['lib/a/x'])],
  ]);
  const touched = (id: string): ReadonlySet<string> => touch.get(id) ?? new Set();
  assert.deepEqual(chooseReverts(stateWith(['A', 'B']), touched, 'A'), ['A']);
  assert.throws(() => chooseReverts(stateWith(['A', 'B', 'C']), touched, 'A'), isCode('HFX_E_REVERT_BLOCKED'));
});

// ---------------------------------------------------------------------------------------------
// chooseChain

const candidatesArb = fc
  .array(fc.record({ level: fc.nat(6), step: fc.integer({ min: 1, max: 3 }), security: fc.boolean() }), {
    maxLength: 10,
  })
  .map((xs) =>
    xs.map((x, i): Candidate => ({ id: `U-${i}`, level: x.level, toLevel: x.level + x.step, security: x.security })),
  );

test('chooseChain: a chain from the installed level, each step from where the last ended, as far as it goes', () => {
  const arb = fc.tuple(
    candidatesArb,
    fc.nat(6),
    fc.constantFrom('full' as const, 'security' as const),
    fc.option(fc.nat(10), { nil: undefined }),
  );
  fc.assert(
    fc.property(arb, ([cands, level, channel, target]) => {
      let chain: Candidate[];
      try {
        chain = chooseChain(cands, level, channel, target);
      } catch (e) {
        assert.ok(isCode('HFX_E_INCOMPATIBLE')(e), String(e));
        return;
      }
      const usable = cands.filter((c) => channel === 'full' || c.security);
      let cur = level;
      for (const c of chain) {
        assert.ok(usable.includes(c), `${c.id} is not a usable candidate`);
        assert.equal(c.level, cur, `${c.id} starts at ${c.level}, the chain is at ${cur}`);
        if (target !== undefined) assert.ok(c.toLevel <= target, `${c.id} passes the target`);
        // Furthest first: no usable update from the same level goes further without passing the target.
        const further = usable.filter(
          (o) => o.level === cur && o.toLevel > c.toLevel && (target === undefined || o.toLevel <= target),
        );
        assert.deepEqual(further, []);
        cur = c.toLevel;
      }
      if (target !== undefined) assert.equal(cur, Math.max(level, target), 'the chain reaches the target');
      else
        assert.deepEqual(
          usable.filter((o) => o.level === cur),
          [],
          'the chain stops only where no update starts',
        );
    }),
    params,
  );
});

test('chooseChain: a target below the level, a gap before the target, or two archives for one step are refused', () => {
  const c = (id: string, level: number, toLevel: number, security = false): Candidate => ({
    id,
    level,
    toLevel,
    security,
  });
  assert.deepEqual(chooseChain([], 3, 'full'), []);
  assert.deepEqual(chooseChain([c('a', 0, 1)], 0, 'full', 0), []);
  assert.throws(() => chooseChain([c('a', 0, 1)], 2, 'full', 1), isCode('HFX_E_INCOMPATIBLE'));
  assert.throws(() => chooseChain([c('a', 0, 1), c('c', 2, 3)], 0, 'full', 3), isCode('HFX_E_INCOMPATIBLE'));
  assert.throws(() => chooseChain([c('x', 0, 2), c('y', 0, 2)], 0, 'full'), isCode('HFX_E_INCOMPATIBLE'));
  // The same archive offered twice is one step, not an ambiguity.
  assert.deepEqual(
    chooseChain([c('x', 0, 2), c('x', 0, 2)], 0, 'full').map((x) => x.id),
    ['x'],
  );
  // The security channel skips what is not a security update, even when it goes further.
  assert.deepEqual(
    chooseChain([c('big', 0, 3), c('sec', 0, 1, true), c('sec2', 1, 2, true)], 0, 'security').map((x) => x.id),
    ['sec', 'sec2'],
  );
  // What the candidates carry comes back with them.
  const [first] = chooseChain([{ ...c('a', 0, 1), archive: 'a.zip' }], 0, 'full');
  assert.equal(first?.archive, 'a.zip');
});

test("fileLine: a file's baseline line is JSON.stringify's, byte for byte, whatever the path", () => {
  const line = (p: string) => fileLine(p, '0644', 12, 'ab'.repeat(32));
  const json = (p: string) => JSON.stringify([p, 'f', '0644', 12, 'ab'.repeat(32)]);
  // The paths the hand-built form must not take: quotes, backslashes, controls, DEL, U+2028, lone surrogates.
  for (const p of ['a"b', 'a\\b', 'a\nb', 'a\u0000b', 'a\u007fb', 'a\u2028b', 'a\ud800b', 'é/ü', 'lib/x y.jar', ''])
    assert.equal(line(p), json(p), p);
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (p) => line(p) === json(p)),
    params,
  );
});
