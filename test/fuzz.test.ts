// Property: whatever bytes an archive holds, apply either refuses it with an HfxError and leaves
// the installation byte-identical (.hfx/ included), or — when the damage missed everything that
// matters — applies exactly what the intact archive applies. Mutants come from one small signed
// hotfix, with extra weight on the central directory and the manifest, where the parsing is.
//
// Reproduce a failure with the seed printed at the start (HFX_FUZZ_SEED=...); fast-check also
// prints the shrunk counterexample and its path.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspect, isDeepStrictEqual } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { applyHotfix, revertHotfix } from '../src/engine/index.js';
import { HfxError, type ErrorCode } from '../src/errors.js';
import { snapshot, tmp, world } from './helpers/fixtures.js';
import { fixStoredCrc, forgeZip, zipLayout, type ZipLayout } from './helpers/zip-forge.js';

const SEED = Number(process.env.HFX_FUZZ_SEED ?? 20260101);
const RUNS = Number(process.env.HFX_FUZZ_RUNS ?? 2000);
const ID = 'HF-FUZZ';

/**
 * The ways a bad archive may be refused. Anything else is a bug even though it is an HfxError:
 * HFX_E_INTERNAL is how hfx wraps a TypeError, HFX_E_IO/STATE/RECOVERY mean it got as far as
 * touching the installation, and HFX_E_CONFLICT would need a manifest nobody signed.
 */
const REFUSALS = new Set<ErrorCode>([
  'HFX_E_ARCHIVE',
  'HFX_E_MANIFEST',
  'HFX_E_INTEGRITY',
  'HFX_E_SIGNATURE',
  'HFX_E_UNSIGNED',
  'HFX_E_UNTRUSTED',
  'HFX_E_UNSAFE_PATH',
  'HFX_E_TOO_LARGE',
]);

// ---------------------------------------------------------------------------------------------
// Mutations

type Region = 'any' | 'central' | 'manifest' | 'signature' | 'local';
/**
 * Header fields worth setting to odd values: where, offset in the record, width in bytes. Local
 * header fields other than the lengths are left out: readers take them from the central
 * directory, so changing them only adds mutants that apply (slowly, with fsyncs) and test nothing new.
 */
const FIELDS = {
  madeBy: ['central', 4, 2],
  flags: ['central', 8, 2],
  method: ['central', 10, 2],
  crc: ['central', 16, 4],
  compressedSize: ['central', 20, 4],
  size: ['central', 24, 4],
  nameLength: ['central', 28, 2],
  extraLength: ['central', 30, 2],
  commentLength: ['central', 32, 2],
  attributes: ['central', 38, 4],
  localOffset: ['central', 42, 4],
  localNameLength: ['local', 26, 2],
  localExtraLength: ['local', 28, 2],
  entryCount: ['eocd', 10, 2],
  cdSize: ['eocd', 12, 4],
  cdOffset: ['eocd', 16, 4],
  zipCommentLength: ['eocd', 20, 2],
} as const satisfies Record<string, readonly ['central' | 'local' | 'eocd', number, 2 | 4]>;
type Field = keyof typeof FIELDS;

type Mutation =
  | { op: 'flip'; region: Region; pos: number; bit: number }
  | { op: 'overwrite'; region: Region; pos: number; bytes: Uint8Array }
  | { op: 'insert'; region: Region; pos: number; bytes: Uint8Array }
  | { op: 'delete'; region: Region; pos: number; len: number }
  | { op: 'truncate'; pos: number }
  | { op: 'field'; record: number; field: Field; value: { set: number } | { add: number } };

interface Case {
  base: 'deflated' | 'stored';
  mutations: Mutation[];
  /** Recompute the CRC of stored entries afterwards, so that damage gets past the CRC check to the JSON, schema and hash checks. */
  fixCrc: boolean;
}

const region = fc.constantFrom<Region>('any', 'central', 'central', 'manifest', 'manifest', 'signature', 'local');
const bytes = fc.uint8Array({ minLength: 1, maxLength: 16 });
// Values that break size and offset arithmetic, plus Unix file types (symlink, FIFO, dir) for the attributes.
const odd = fc.oneof(
  fc.constantFrom(
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0xffff,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0xa1ff0000,
    0x11a40000,
    0x41ed0000,
  ),
  fc.nat({ max: 0xffffffff }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('flip' as const), region, pos: fc.nat(), bit: fc.nat(7) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('overwrite' as const), region, pos: fc.nat(), bytes }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('insert' as const), region, pos: fc.nat(), bytes }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('delete' as const),
      region,
      pos: fc.nat(),
      len: fc.integer({ min: 1, max: 64 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('truncate' as const), pos: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('field' as const),
      record: fc.nat(),
      field: fc.constantFrom(...(Object.keys(FIELDS) as Field[])),
      value: fc.oneof(
        fc.record({ set: odd }),
        fc.record({ add: fc.integer({ min: -64, max: 64 }).filter((n) => n !== 0) }),
      ),
    }),
    weight: 4,
  },
);
const cases: fc.Arbitrary<Case> = fc.record({
  base: fc.constantFrom('deflated' as const, 'stored' as const),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
  fixCrc: fc.boolean(),
});

/** A thrown value for a failure message: an error's stack, anything else as util.inspect shows it. */
function shown(e: unknown): string {
  return e instanceof Error ? (e.stack ?? String(e)) : inspect(e);
}

/** [start, end) of a region in the intact archive; `pos` picks the record for 'local'. */
function range(zip: Buffer, l: ZipLayout, r: Region, pos: number): [number, number] {
  const named = (n: string) => l.records.find((x) => x.name === n)!;
  switch (r) {
    case 'any':
      return [0, zip.length];
    case 'central':
      return [l.cdStart, zip.length];
    case 'manifest':
      return [named('hfx-manifest.json').dataStart, named('hfx-manifest.json').dataEnd];
    case 'signature':
      return [named('hfx-signature.json').dataStart, named('hfx-signature.json').dataEnd];
    case 'local': {
      const x = l.records[pos % l.records.length]!;
      return [x.local, x.dataStart];
    }
  }
}

/** Applies the mutations in order. Positions come from the intact layout, clamped to what is left. */
function mutate(zip: Buffer, l: ZipLayout, c: Case): Buffer {
  let b = Buffer.from(zip);
  const at = (r: Region, pos: number): number => {
    const [s, e] = range(zip, l, r, pos);
    return Math.min(s + (pos % Math.max(1, e - s)), b.length);
  };
  for (const m of c.mutations) {
    switch (m.op) {
      case 'flip': {
        const i = at(m.region, m.pos);
        if (i < b.length) b[i] = b[i]! ^ (1 << m.bit);
        break;
      }
      case 'overwrite': {
        const i = at(m.region, m.pos);
        b.set(m.bytes.subarray(0, Math.max(0, b.length - i)), i);
        break;
      }
      case 'insert': {
        const i = at(m.region, m.pos);
        b = Buffer.concat([b.subarray(0, i), m.bytes, b.subarray(i)]);
        break;
      }
      case 'delete': {
        const i = at(m.region, m.pos);
        b = Buffer.concat([b.subarray(0, i), b.subarray(i + m.len)]);
        break;
      }
      case 'truncate':
        b = b.subarray(0, m.pos % (b.length + 1));
        break;
      case 'field': {
        const [where, off, width] = FIELDS[m.field];
        const r = l.records[m.record % l.records.length]!;
        const i = (where === 'central' ? r.at : where === 'local' ? r.local : l.eocd) + off;
        if (i + width > b.length) break;
        const old = width === 2 ? b.readUInt16LE(i) : b.readUInt32LE(i);
        const max = width === 2 ? 0xffff : 0xffffffff;
        const v = 'set' in m.value ? m.value.set : old + m.value.add;
        const value = ((v % (max + 1)) + (max + 1)) % (max + 1);
        if (width === 2) b.writeUInt16LE(value, i);
        else b.writeUInt32LE(value, i);
        break;
      }
    }
  }
  if (c.fixCrc) {
    const now = zipLayout(b);
    for (const r of now?.records ?? []) if (r.method === 0) fixStoredCrc(b, r);
  }
  return b;
}

/** The same archive with every entry stored, so that mutations land in plain manifest JSON. */
function storedCopy(zip: Buffer, l: ZipLayout): Buffer {
  return forgeZip(
    l.records.map((r) => {
      const raw = zip.subarray(r.dataStart, r.dataEnd);
      return { name: r.name, data: r.method === 8 ? inflateRawSync(raw) : raw };
    }),
  );
}

// ---------------------------------------------------------------------------------------------

test(`fuzz: ${RUNS} mutated archives are refused cleanly or applied exactly`, async (t) => {
  t.diagnostic(`fast-check seed ${SEED} (HFX_FUZZ_SEED=${SEED} reproduces, HFX_FUZZ_RUNS sets the count)`);
  const w = await world(t);
  const home = w.home;
  // One change of every kind, small enough that a mutant is quick to check.
  const deflated = readFileSync(
    await w.hotfix(ID, (d) => {
      writeFileSync(join(d, 'lib/core.jar'), 'core 1.1\n'.repeat(100));
      writeFileSync(join(d, 'lib/new.jar'), 'new library\n');
      rmSync(join(d, 'lib/old.jar'));
      writeFileSync(join(d, 'conf/server.toml'), '[server]\nport = 8443\n');
      chmodSync(join(d, 'bin/server.sh'), 0o700);
      mkdirSync(join(d, 'plugins'));
      writeFileSync(join(d, 'plugins/extra.txt'), 'plugin\n'.repeat(20));
      symlinkSync('README', join(d, 'docs/latest'));
    }),
  );
  const deflatedLayout = zipLayout(deflated);
  assert.ok(deflatedLayout, 'zipLayout reads the archive yazl wrote');
  const stored = storedCopy(deflated, deflatedLayout);
  const bases = {
    deflated: { zip: deflated, layout: deflatedLayout },
    stored: { zip: stored, layout: zipLayout(stored)! },
  };

  // The installation as it starts every case, and a copy to put it back from.
  const dir = tmp(t, 'hfx-fuzz-');
  const clean = join(dir, 'clean');
  cpSync(home, clean, { recursive: true, verbatimSymlinks: true });
  const cleanState = snapshot(home, { includeState: true });
  const restore = (): void => {
    rmSync(home, { recursive: true, force: true });
    cpSync(clean, home, { recursive: true, verbatimSymlinks: true });
  };
  restore();
  assert.deepEqual(snapshot(home, { includeState: true }), cleanState, 'restore() gives back the same bytes and modes');

  // What the intact archives do: both apply to the same tree, and revert back to the pristine one.
  const pristine = snapshot(home);
  const file = join(dir, 'mutant.zip');
  let after: Record<string, string> | undefined;
  for (const b of Object.values(bases)) {
    writeFileSync(file, b.zip);
    await applyHotfix({ home, archive: file });
    after ??= snapshot(home);
    assert.deepEqual(snapshot(home), after);
    await revertHotfix({ home, id: ID });
    assert.deepEqual(snapshot(home), pristine);
    restore();
  }

  // An error that escapes as an uncaught exception would crash the hfx process. Catch it here so
  // that it fails the case at hand (with a counterexample) instead of the whole file.
  let escaped: unknown = null;
  process.setUncaughtExceptionCaptureCallback((e) => (escaped ??= e));
  t.after(() => process.setUncaughtExceptionCaptureCallback(null));
  const noEscape = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r)); // stream errors are re-emitted on the next turn
    const e = escaped;
    escaped = null;
    if (e !== null) {
      throw new Error(`an error escaped apply as an uncaught exception (it would crash hfx): ${shown(e)}`);
    }
  };

  let applied = 0;
  const refusedBy = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(cases, async (c) => {
      const base = bases[c.base];
      writeFileSync(file, mutate(base.zip, base.layout, c));
      let ok = false;
      try {
        try {
          await applyHotfix({ home, archive: file });
          ok = true;
        } catch (e) {
          if (!(e instanceof HfxError)) throw new Error(`apply threw a non-HfxError: ${shown(e)}`);
          if (!REFUSALS.has(e.code)) {
            throw new Error(`apply failed with ${e.code}, which no damaged archive should cause: ${shown(e)}`);
          }
          refusedBy.set(e.code, (refusedBy.get(e.code) ?? 0) + 1);
        }
        await noEscape();
        if (!ok) {
          assert.deepEqual(
            snapshot(home, { includeState: true }),
            cleanState,
            'a refused archive changed the installation',
          );
          return;
        }
        applied++;
        assert.deepEqual(snapshot(home), after, 'a damaged archive applied something else than the intact one');
        await revertHotfix({ home, id: ID });
        assert.deepEqual(snapshot(home), pristine, 'revert after a damaged-but-accepted archive');
      } finally {
        // Every case, shrinking ones included, starts from the same bytes (revert bumps state.json's tx).
        if (ok || !isDeepStrictEqual(snapshot(home, { includeState: true }), cleanState)) restore();
      }
    }),
    { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
  );
  t.diagnostic(
    `${applied} mutants applied (damage that missed everything signed); refused: ${JSON.stringify(Object.fromEntries(refusedBy))}`,
  );
  // The property is only worth something if the mutants reach the checks behind the ZIP reader.
  for (const code of ['HFX_E_ARCHIVE', 'HFX_E_MANIFEST', 'HFX_E_SIGNATURE', 'HFX_E_TOO_LARGE'] as const) {
    assert.ok((refusedBy.get(code) ?? 0) > 0, `no mutant was refused with ${code}: the mutations are too weak`);
  }
});
