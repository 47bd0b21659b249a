// Hostile archives: each one must be refused with its own error code, and refused before
// anything is written — the pack, .hfx/ and the directories around it stay byte-identical.
// Archives are forged byte by byte (helpers/zip-forge.ts) and, unless the case is about
// signatures, signed with the installation's trusted key, so that the check under test is the
// one that has to catch them and not the signature check in front of it.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  ARCHIVE_FORMAT,
  modeString,
  payloadName,
  type FileState,
  type ManifestEntry,
} from '../src/engine/archive/manifest.js';
import {
  applyHotfix,
  type ArchiveLimits,
  DEFAULT_LIMITS,
  type Manifest,
  type NodeState,
  revertHotfix,
} from '../src/engine/index.js';
import { parsePrivateKey, signManifest, SIGNATURE_FORMAT } from '../src/engine/archive/signature.js';
import { hashFileSync } from '../src/engine/fs/hash-core.js';
import { HfxError, type ErrorCode } from '../src/errors.js';
import { BASE, snapshot, tmp, world, type Spec, type World } from './helpers/fixtures.js';
import type { Json } from './helpers/json.js';
import { fixStoredCrc, forgeZip, hfxEntries, localHeader, zipLayout, type ForgeEntry } from './helpers/zip-forge.js';

// ---------------------------------------------------------------------------------------------
// Building manifests and archives

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Payload bytes by sha256, so that an archive's payload can be found from its manifest. */
const contents = new Map<string, Buffer>();

function fileNode(content: string | Buffer, mode = '0644'): FileState {
  const b = Buffer.from(content);
  contents.set(sha(b), b);
  return { type: 'file', sha256: sha(b), size: b.length, mode };
}

const NEW_JAR = 'new library 2.0\n';
const add = (path: string, content: string | Buffer = NEW_JAR): ManifestEntry => ({
  path,
  op: 'add',
  before: null,
  after: fileNode(content),
});
const addLink = (path: string, target: string): ManifestEntry => ({
  path,
  op: 'add',
  before: null,
  after: { type: 'symlink', target },
});
const addDir = (path: string): ManifestEntry => ({
  path,
  op: 'add',
  before: null,
  after: { type: 'dir', mode: '0755' },
});

/** What is at `path` in the pack now, as a manifest node. */
function packNode(w: World, path: string): NodeState {
  const abs = join(w.home, path);
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) return { type: 'symlink', target: readlinkSync(abs) };
  if (st.isDirectory()) return { type: 'dir', mode: modeString(st.mode) };
  return { type: 'file', ...hashFileSync(abs) };
}

function modify(w: World, path: string, content: string | Buffer): ManifestEntry {
  return { path, op: 'modify', before: packNode(w, path), after: fileNode(content) };
}

function manifest(entries: ManifestEntry[], over: Partial<Manifest> = {}): Manifest {
  return {
    format: ARCHIVE_FORMAT,
    kind: 'hotfix',
    id: 'HF-HOSTILE',
    title: 'hostile',
    description: '',
    severity: 'S2',
    incident: null,
    customer: null,
    product: 'demo',
    release: '1.0.0',
    level: 0,
    toLevel: null,
    security: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    requires: [],
    supersedes: [],
    includes: [],
    source: null,
    entries,
    ...over,
  };
}

/** A well-formed hotfix for BASE: one file added, one modified. Each case breaks one thing in it. */
const good = (w: World): Manifest =>
  manifest([add('lib/new.jar'), modify(w, 'conf/server.toml', '[server]\nport = 8443\n')]);

const keyOf = (w: World): KeyObject => parsePrivateKey(readFileSync(w.key, 'utf8'), w.key);
const untrustedKey = (): KeyObject => generateKeyPairSync('ed25519').privateKey;
const sigFile = (m: unknown, ...keys: KeyObject[]) => ({
  format: SIGNATURE_FORMAT,
  signatures: keys.map((k) => signManifest(m, k)),
});

/** The payload a manifest names, from the bytes its file nodes were made of. */
function payloadOf(m: Manifest): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const e of m.entries) {
    if (payloadName(e) === null || e.after?.type !== 'file') continue;
    const b = contents.get(e.after.sha256);
    if (b) out[e.path] = b;
  }
  return out;
}

interface Forge {
  /** An object (signed) or raw bytes (written as they are). */
  manifest: unknown;
  /** The signature file: by the world's trusted key (default), none, or this content. */
  sig?: unknown;
  /** Payload by manifest path; default: what the manifest names. */
  payload?: Record<string, Buffer>;
  /** Edits the ZIP entries before they are written: [0] manifest, [1] signature, then payload. */
  edit?: (entries: ForgeEntry[]) => void;
  /** Edits the finished ZIP bytes. */
  patch?: (zip: Buffer) => Buffer;
}

function signatureOf(w: World, f: Forge): unknown {
  if (f.sig === 'none') return null;
  if (f.sig !== undefined && f.sig !== 'trusted') return f.sig;
  return Buffer.isBuffer(f.manifest) ? null : sigFile(f.manifest, keyOf(w)); // raw bytes are for parser cases: unsigned
}

function forge(t: TestContext, w: World, f: Forge): string {
  const payload = f.payload ?? (Buffer.isBuffer(f.manifest) ? {} : payloadOf(f.manifest as Manifest));
  const entries = hfxEntries(f.manifest, signatureOf(w, f), payload);
  f.edit?.(entries);
  let zip = forgeZip(entries);
  if (f.patch) zip = f.patch(zip);
  const file = join(tmp(t), 'hostile.zip');
  writeFileSync(file, zip);
  return file;
}

/** The ZIP entry named `name` (to edit in place). */
function entry(entries: ForgeEntry[], name: string): ForgeEntry {
  const e = entries.find((x) => x.name === name);
  assert.ok(e, `no entry ${name}`);
  return e;
}

// ---------------------------------------------------------------------------------------------
// The check every case ends with

interface Refuse {
  limits?: Partial<ArchiveLimits>;
  allowUnsigned?: boolean;
  /** Directories outside the world that a write could have reached. */
  outside?: string[];
}

/**
 * Applies `archive`, expects `code`, and expects nothing at all to have changed: the pack with
 * .hfx/, everything next to it (where `..` escapes land) and any `outside` directory.
 */
async function refused(w: World, archive: string, code: ErrorCode, opts: Refuse = {}): Promise<void> {
  const watched = [w.home, w.dir, ...(opts.outside ?? [])];
  const before = watched.map((d) => snapshot(d, { includeState: true }));
  await assert.rejects(
    applyHotfix({
      home: w.home,
      archive,
      allowUnsigned: opts.allowUnsigned ?? false,
      limits: { ...DEFAULT_LIMITS, ...opts.limits },
    }),
    (e: unknown) => {
      assert.ok(e instanceof HfxError, `expected an HfxError, got ${String(e)}`);
      assert.equal(e.code, code, `wrong error code; the message was: ${e.message}`);
      return true;
    },
  );
  // Said explicitly for readable failures; the snapshots below cover it too.
  for (const leftover of ['tx', 'journal.json', 'lock', 'conflict', 'applied/HF-HOSTILE']) {
    assert.ok(!existsSync(join(w.home, '.hfx', leftover)), `.hfx/${leftover} was left behind`);
  }
  watched.forEach((d, i) => assert.deepEqual(snapshot(d, { includeState: true }), before[i], `${d} changed`));
}

// ---------------------------------------------------------------------------------------------
// Control: the forging machinery makes archives hfx accepts, so a refusal below is the case's doing.

test('control: an archive forged by these helpers applies and reverts', async (t) => {
  const w = await world(t);
  const pristine = snapshot(w.home);
  await applyHotfix({ home: w.home, archive: forge(t, w, { manifest: good(w) }) });
  assert.equal(readFileSync(join(w.home, 'lib/new.jar'), 'utf8'), NEW_JAR);
  await revertHotfix({ home: w.home, id: 'HF-HOSTILE' });
  assert.deepEqual(snapshot(w.home), pristine);
});

// ---------------------------------------------------------------------------------------------
// ZIP entry names that escape the pack or are not portable. The extra entry is checked while
// the central directory is read, before the manifest is even looked at.

const hostileEntryNames: [string, string | Buffer][] = [
  ['dot-dot under payload/', 'payload/../x'],
  ['dot-dot deeper', 'payload/lib/../../x'],
  ['bare dot-dot', '../x'],
  ['absolute', '/etc/x'],
  ['absolute under payload/', 'payload//etc/x'],
  ['backslashes', 'payload\\..\\x'],
  ['a backslash after payload/', 'payload/..\\x'],
  ['drive letter', 'C:/x'],
  ['drive letter under payload/', 'payload/C:/x'],
  ['a directory entry', 'payload/lib/'],
  ['.hfx/', 'payload/.hfx/state.json'],
  ['.HFX/ in other case', 'payload/.HFX/trust/evil.json'],
  ['NUL', 'payload/a\u0000b'],
  ['newline', 'payload/a\nb'],
  ['ESC (terminal escape)', 'payload/a\u001b[31mb'],
  ['DEL', 'payload/a\u007fb'],
  ['C1 control CSI (U+009B)', 'payload/a\u009bb'],
  ['NFD (not NFC)', 'payload/cafe\u0301.txt'],
  ['a segment over 255 bytes', `payload/${'a'.repeat(256)}`],
  ['bytes that are not UTF-8', Buffer.concat([Buffer.from('payload/'), Buffer.from([0xff, 0xfe])])],
  [
    'an overlong UTF-8 "/" (C0 AF) hiding a dot-dot',
    Buffer.concat([Buffer.from('payload/..'), Buffer.from([0xc0, 0xaf]), Buffer.from('x')]),
  ],
];

for (const [what, name] of hostileEntryNames) {
  test(`zip entry name: ${what}`, async (t) => {
    const w = await world(t);
    const archive = forge(t, w, { manifest: good(w), edit: (es) => es.push({ name, data: Buffer.from('pwned\n') }) });
    await refused(w, archive, 'HFX_E_UNSAFE_PATH');
  });
}

// ---------------------------------------------------------------------------------------------
// The same escapes as manifest paths. No payload is given: the manifest must fail on its own
// (with a payload the entry-name check above would catch it first).

const hostileManifestPaths: [string, string][] = [
  ['dot-dot', '../x'],
  ['dot-dot deeper', 'lib/../../x'],
  ['absolute', '/etc/x'],
  ['backslash', '..\\x'],
  ['backslashes inside', 'lib\\..\\..\\x'],
  ['drive letter', 'C:/x'],
  ['drive-relative', 'c:x'],
  ['dot segment', './x'],
  ['inner dot segment', 'lib/./x'],
  ['empty segment', 'lib//x'],
  ['trailing slash', 'lib/x/'],
  ['empty', ''],
  ['.hfx itself', '.hfx'],
  ['inside .hfx/', '.hfx/state.json'],
  ['inside .HFX/ in other case', '.HFX/trust/evil.json'],
  ['NUL', 'a\u0000b'],
  ['tab', 'a\tb'],
  ['ESC (terminal escape)', 'a\u001b[2Jb'],
  ['DEL', 'a\u007f'],
  ['C1 control NEL (U+0085)', 'a\u0085b'],
  ['NFD (not NFC)', 'cafe\u0301'],
  ['a segment over 255 bytes', 'é'.repeat(128)],
];

for (const [what, path] of hostileManifestPaths) {
  test(`manifest path: ${what}`, async (t) => {
    const w = await world(t);
    await refused(w, forge(t, w, { manifest: manifest([add(path)]), payload: {} }), 'HFX_E_UNSAFE_PATH');
  });
}

// ---------------------------------------------------------------------------------------------
// ZIP entries that are not regular files (Unix st_mode in the external attributes).

const entryTypes: [string, number][] = [
  ['a symbolic link', 0o120777],
  ['a directory', 0o040755],
  ['a FIFO', 0o010644],
  ['a character device', 0o020644],
  ['a block device', 0o060644],
  ['a socket', 0o140644],
];

for (const [what, mode] of entryTypes) {
  test(`zip entry type: ${what}`, async (t) => {
    const w = await world(t);
    // A link's data is its target: the classic "write through the link" attack.
    const archive = forge(t, w, {
      manifest: good(w),
      edit: (es) => Object.assign(entry(es, 'payload/lib/new.jar'), { mode, data: Buffer.from('../../../etc/passwd') }),
    });
    await refused(w, archive, 'HFX_E_UNSAFE_PATH');
  });
}

// ---------------------------------------------------------------------------------------------
// Symlinks described in the manifest must stay inside the pack and out of .hfx/.

const hostileLinks: [string, ManifestEntry[], Spec?][] = [
  ['target ../../etc', [addLink('evil', '../../etc')]],
  ['target ..', [addLink('evil', '..')]],
  ['target escaping from a subdirectory', [addLink('lib/evil', '../../x')]],
  ['absolute target', [addLink('evil', '/etc/passwd')]],
  ['drive-letter target', [addLink('evil', 'C:/Windows')]],
  ['target with backslashes', [addLink('evil', 'lib\\..\\..\\x')]],
  ['target with NUL', [addLink('evil', 'a\u0000b')]],
  ['target inside .hfx/', [addLink('evil', '.hfx/trust')]],
  ['target reaching .HFX/ through lib/..', [addLink('evil', 'lib/../.HFX')]],
  // Lexically inside the pack, but d/up is a link to the root, so d/up/.. is the pack's parent.
  [
    'target escaping through a link the same hotfix adds',
    [addDir('d'), addLink('d/up', '..'), addLink('x', 'd/up/../outside')],
  ],
  [
    'target escaping through a link already in the pack',
    [addLink('x', 'docs/up/../outside')],
    { ...BASE, 'docs/up': { symlink: '..' } },
  ],
];

for (const [what, entries, spec] of hostileLinks) {
  test(`manifest symlink: ${what}`, async (t) => {
    const w = await world(t, spec);
    await refused(w, forge(t, w, { manifest: manifest(entries) }), 'HFX_E_UNSAFE_PATH');
  });
}

// ---------------------------------------------------------------------------------------------
// Paths through a symlinked directory already in the pack: a write there lands elsewhere.

test('pack link lib2 -> lib: adding lib2/x.jar is refused', async (t) => {
  const w = await world(t, { ...BASE, lib2: { symlink: 'lib' } });
  await refused(w, forge(t, w, { manifest: manifest([add('lib2/x.jar')]) }), 'HFX_E_UNSAFE_PATH');
});

test('pack link lib2 -> lib: modifying lib2/core.jar is refused', async (t) => {
  const w = await world(t, { ...BASE, lib2: { symlink: 'lib' } });
  await refused(
    w,
    forge(t, w, { manifest: manifest([modify(w, 'lib2/core.jar', 'evil core\n')]) }),
    'HFX_E_UNSAFE_PATH',
  );
});

test('pack link lib2 -> lib: deleting lib2/old.jar is refused', async (t) => {
  const w = await world(t, { ...BASE, lib2: { symlink: 'lib' } });
  const del: ManifestEntry = { path: 'lib2/old.jar', op: 'delete', before: packNode(w, 'lib2/old.jar'), after: null };
  await refused(w, forge(t, w, { manifest: manifest([del]) }), 'HFX_E_UNSAFE_PATH');
});

test('pack link lib2 -> an absolute directory outside: adding lib2/x.jar and lib2/sub/y.jar writes nothing there', async (t) => {
  const outside = tmp(t, 'hfx-outside-');
  writeFileSync(join(outside, 'keep'), 'untouched\n');
  const w = await world(t, { ...BASE, lib2: { symlink: outside } });
  const m = manifest([add('lib2/x.jar'), addDir('lib2/sub'), add('lib2/sub/y.jar', 'y\n')]);
  await refused(w, forge(t, w, { manifest: m }), 'HFX_E_UNSAFE_PATH', { outside: [outside] });
});

test('a directory the hotfix turns into a link cannot hold its other entries', async (t) => {
  const w = await world(t);
  const lib: ManifestEntry = {
    path: 'lib',
    op: 'modify',
    before: packNode(w, 'lib'),
    after: { type: 'symlink', target: 'conf' },
  };
  await refused(w, forge(t, w, { manifest: manifest([lib, add('lib/x.jar')]) }), 'HFX_E_MANIFEST');
});

// ---------------------------------------------------------------------------------------------
// Duplicates and twins: names that overwrite each other, or two readers that could each pick
// a different copy.

test('duplicate payload entry (second copy differs)', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, {
    manifest: good(w),
    edit: (es) => es.push({ name: 'payload/lib/new.jar', data: Buffer.from('evil twin\n') }),
  });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

test('duplicate manifest entry (signed one first, another after it)', async (t) => {
  const w = await world(t);
  const other = manifest([add('lib/other.jar')]);
  const archive = forge(t, w, {
    manifest: good(w),
    edit: (es) => es.push({ name: 'hfx-manifest.json', data: Buffer.from(JSON.stringify(other)) }),
  });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

test('duplicate signature entry', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, { manifest: good(w), edit: (es) => es.push({ ...es[1]!, name: 'hfx-signature.json' }) });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

test('manifest names the same path twice', async (t) => {
  const w = await world(t);
  await refused(w, forge(t, w, { manifest: manifest([add('lib/x.jar'), add('lib/x.jar')]) }), 'HFX_E_UNSAFE_PATH');
});

test('manifest paths differing only by case (A.txt / a.txt)', async (t) => {
  const w = await world(t);
  await refused(
    w,
    forge(t, w, { manifest: manifest([add('lib/A.txt', 'A\n'), add('lib/a.txt', 'a\n')]) }),
    'HFX_E_UNSAFE_PATH',
  );
});

test('manifest paths differing only by Unicode normalisation (NFC é / NFD e+U+0301)', async (t) => {
  const w = await world(t);
  // No payload: the manifest alone must be refused (the payload's NFD name would be caught first).
  await refused(
    w,
    forge(t, w, {
      manifest: manifest([add('lib/caf\u00e9.txt', 'nfc\n'), add('lib/cafe\u0301.txt', 'nfd\n')]),
      payload: {},
    }),
    'HFX_E_UNSAFE_PATH',
  );
});

test('payload case twin the manifest does not name (payload/lib/NEW.jar next to payload/lib/new.jar)', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, {
    manifest: good(w),
    edit: (es) => es.push({ name: 'payload/lib/NEW.jar', data: Buffer.from('twin\n') }),
  });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

// ---------------------------------------------------------------------------------------------
// Zip bombs and size lies.

test('bomb: entry inflates to more than the size both ZIP and manifest declare', async (t) => {
  const w = await world(t);
  const real = Buffer.alloc(1 << 20, 0x41);
  const m = manifest([{ path: 'lib/new.jar', op: 'add', before: null, after: { ...fileNode(real), size: 100 } }]);
  const archive = forge(t, w, {
    manifest: m,
    payload: { 'lib/new.jar': real },
    edit: (es) => Object.assign(entry(es, 'payload/lib/new.jar'), { deflate: true, size: 100 }),
  });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

test('bomb: entry inflates to less than the size both ZIP and manifest declare', async (t) => {
  const w = await world(t);
  const real = Buffer.from(NEW_JAR);
  const m = manifest([
    { path: 'lib/new.jar', op: 'add', before: null, after: { ...fileNode(real), size: real.length + 10 } },
  ]);
  const archive = forge(t, w, {
    manifest: m,
    edit: (es) => Object.assign(entry(es, 'payload/lib/new.jar'), { deflate: true, size: real.length + 10 }),
  });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

test('bomb: ZIP size differs from the manifest size', async (t) => {
  const w = await world(t);
  // 1000 declared from ~20 deflated bytes: under the ratio limit, so the size check is what fails.
  const archive = forge(t, w, {
    manifest: good(w),
    edit: (es) => Object.assign(entry(es, 'payload/lib/new.jar'), { deflate: true, size: 1000 }),
  });
  await refused(w, archive, 'HFX_E_INTEGRITY');
});

test('bomb: an entry claims a 4 GiB size from a few bytes (ratio over the default limit)', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, {
    manifest: good(w),
    edit: (es) => Object.assign(entry(es, 'payload/lib/new.jar'), { deflate: true, size: 0xfffffff0 }),
  });
  await refused(w, archive, 'HFX_E_TOO_LARGE');
});

test('bomb: the manifest entry claims a huge ratio', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, {
    manifest: good(w),
    edit: (es) => Object.assign(es[0]!, { deflate: true, size: 0xfffffff0 }),
  });
  await refused(w, archive, 'HFX_E_TOO_LARGE');
});

test('bomb: a real 1 MiB of zeros deflated (~1000:1) over limits.maxRatio 100', async (t) => {
  const w = await world(t);
  const zeros = Buffer.alloc(1 << 20);
  const m = manifest([add('lib/zeros.bin', zeros)]);
  const archive = forge(t, w, {
    manifest: m,
    edit: (es) => Object.assign(entry(es, 'payload/lib/zeros.bin'), { deflate: true }),
  });
  await refused(w, archive, 'HFX_E_TOO_LARGE', { limits: { maxRatio: 100 } });
});

test('bomb: a manifest that inflates past the size it declares', async (t) => {
  const w = await world(t);
  // Declared 200 bytes (under maxManifestBytes), really ~900: the reader must not trust the header.
  const archive = forge(t, w, { manifest: good(w), edit: (es) => Object.assign(es[0]!, { deflate: true, size: 200 }) });
  await refused(w, archive, 'HFX_E_ARCHIVE', { limits: { maxManifestBytes: 512 } });
});

test('bomb: two entries overlap (both central records point at the same local header)', async (t) => {
  const w = await world(t);
  const m = manifest([add('lib/a.jar', 'shared\n'), add('lib/b.jar', 'shared\n')]);
  const archive = forge(t, w, {
    manifest: m,
    edit: (es) => {
      const a = es.findIndex((e) => e.name === 'payload/lib/a.jar');
      entry(es, 'payload/lib/b.jar').at = (offsets) => offsets[a]!;
    },
  });
  await refused(w, archive, 'HFX_E_TOO_LARGE');
});

test("bomb: two entries overlap, the second local header hidden in the first one's extra field", async (t) => {
  // The "extra-field quoting" of non-recursive zip bombs (Fifield 2019): B's local header sits in
  // A's local extra field, placed so that B's data is exactly A's data. Central records are in
  // order and each starts past the previous one's name and data, so only a check that reads the
  // local headers (extra field included) sees the overlap.
  const w = await world(t);
  const data = Buffer.from('shared\n');
  const m = manifest([add('lib/a.jar', data), add('lib/b.jar', data)]);
  const archive = forge(t, w, {
    manifest: m,
    edit: (es) => {
      const a = es.findIndex((e) => e.name === 'payload/lib/a.jar');
      const b = entry(es, 'payload/lib/b.jar');
      const aName = Buffer.byteLength(es[a]!.name);
      const pad = Buffer.alloc(data.length); // B's header must start past A's name + data as the central directory sees them
      es[a]!.localExtra = Buffer.concat([pad, localHeader({ name: b.name, data })]);
      b.at = (offsets) => offsets[a]! + 30 + aName + pad.length;
    },
  });
  await refused(w, archive, 'HFX_E_TOO_LARGE');
});

test('bomb: payload total over limits.maxTotalBytes', async (t) => {
  const w = await world(t);
  const m = manifest([add('lib/a.jar', 'a'.repeat(16)), add('lib/b.jar', 'b'.repeat(16))]);
  await refused(w, forge(t, w, { manifest: m }), 'HFX_E_TOO_LARGE', { limits: { maxTotalBytes: 20 } });
});

test('bomb: more entries than limits.maxEntries', async (t) => {
  const w = await world(t);
  await refused(w, forge(t, w, { manifest: good(w) }), 'HFX_E_TOO_LARGE', { limits: { maxEntries: 3 } });
});

// ---------------------------------------------------------------------------------------------
// Truncated and damaged ZIPs.

for (const [what, cut] of [
  ['empty file', () => 0],
  ['1 byte', () => 1],
  ['inside the first local header', () => 17],
  ['inside the manifest data', () => 100],
  ['half way', (z: Buffer) => z.length >> 1],
  ['at the central directory', (z: Buffer) => zipLayout(z)!.cdStart],
  ['inside the central directory', (z: Buffer) => zipLayout(z)!.cdStart + 50],
  ['inside the end record', (z: Buffer) => z.length - 10],
  ['last byte missing', (z: Buffer) => z.length - 1],
] as [string, (z: Buffer) => number][]) {
  test(`truncated: ${what}`, async (t) => {
    const w = await world(t);
    await refused(w, forge(t, w, { manifest: good(w), patch: (z) => z.subarray(0, cut(z)) }), 'HFX_E_ARCHIVE');
  });
}

test('damaged: bytes cut from the middle, end record kept', async (t) => {
  const w = await world(t);
  await refused(
    w,
    forge(t, w, { manifest: good(w), patch: (z) => Buffer.concat([z.subarray(0, 40), z.subarray(140)]) }),
    'HFX_E_ARCHIVE',
  );
});

test('damaged: junk after the end record', async (t) => {
  const w = await world(t);
  await refused(
    w,
    forge(t, w, { manifest: good(w), patch: (z) => Buffer.concat([z, Buffer.from('trailing junk')]) }),
    'HFX_E_ARCHIVE',
  );
});

test('damaged: unsupported compression method (bzip2)', async (t) => {
  const w = await world(t);
  await refused(
    w,
    forge(t, w, { manifest: good(w), edit: (es) => Object.assign(entry(es, 'payload/lib/new.jar'), { method: 12 }) }),
    'HFX_E_ARCHIVE',
  );
});

test('damaged: entry flagged as encrypted', async (t) => {
  const w = await world(t);
  // Deflated, since a stored encrypted entry already fails yauzl's size check (12 header bytes).
  await refused(
    w,
    forge(t, w, {
      manifest: good(w),
      edit: (es) => Object.assign(entry(es, 'payload/lib/new.jar'), { deflate: true, flags: 0x0801 }),
    }),
    'HFX_E_ARCHIVE',
  );
});

// ---------------------------------------------------------------------------------------------
// CRC and hash mismatches. With a wrong CRC the ZIP is damaged (HFX_E_ARCHIVE); with a right CRC
// over wrong bytes only the manifest's sha256 can tell (HFX_E_INTEGRITY).

/** The central record and data range of `name` in a finished ZIP. */
function rec(z: Buffer, name: string) {
  const r = zipLayout(z)?.records.find((x) => x.name === name);
  assert.ok(r, `no ${name} in the forged ZIP`);
  return r;
}

/** XORs one byte of `z` with `mask`; returns `z`. */
function flip(z: Buffer, at: number, mask: number): Buffer {
  z.writeUInt8(z.readUInt8(at) ^ mask, at);
  return z;
}

test('CRC: flipped in the central directory for a payload', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, { manifest: good(w), patch: (z) => flip(z, rec(z, 'payload/lib/new.jar').at + 16, 1) });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

test('CRC: flipped in the central directory for the manifest', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, { manifest: good(w), patch: (z) => flip(z, rec(z, 'hfx-manifest.json').at + 16, 1) });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

test('CRC: a byte flipped inside stored payload data, CRC left as it was', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, {
    manifest: good(w),
    patch: (z) => flip(z, rec(z, 'payload/lib/new.jar').dataStart + 3, 0x20),
  });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

test('CRC: a byte flipped inside stored payload data, CRC recomputed (only the sha256 differs)', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, {
    manifest: good(w),
    patch: (z) => {
      const r = rec(z, 'payload/lib/new.jar');
      flip(z, r.dataStart + 3, 0x20);
      fixStoredCrc(z, r);
      return z;
    },
  });
  await refused(w, archive, 'HFX_E_INTEGRITY');
});

test('CRC: a byte flipped inside deflated payload data', async (t) => {
  const w = await world(t);
  const archive = forge(t, w, {
    manifest: good(w),
    edit: (es) => Object.assign(entry(es, 'payload/lib/new.jar'), { deflate: true }),
    patch: (z) => flip(z, rec(z, 'payload/lib/new.jar').dataStart + 2, 0x55),
  });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

test('not deflate data in a deflated payload, while opening files is slow: refused, not a crash', async (t) => {
  // extract() opens the ZIP stream and only then awaits opening the staging file. A zlib error
  // in between is emitted on a stream nobody listens to yet: an uncaught exception that kills
  // the process, leaving .hfx/lock, .hfx/tx/ and .hfx/applied/<id>/ behind. A slow open, as
  // under a busy libuv thread pool, makes that window certain instead of a matter of luck.
  const fsp = createRequire(import.meta.url)('node:fs/promises') as { open: (...a: unknown[]) => Promise<unknown> };
  const open = fsp.open;
  fsp.open = async (...a) => {
    await new Promise((r) => setTimeout(r, 50));
    return open(...a);
  };
  syncBuiltinESMExports();
  t.after(() => {
    fsp.open = open;
    syncBuiltinESMExports();
  });
  const w = await world(t);
  // Method 8 over bytes that were never deflated: "n" (0x6e) starts a block of the invalid type 3.
  const archive = forge(t, w, {
    manifest: good(w),
    edit: (es) => Object.assign(entry(es, 'payload/lib/new.jar'), { method: 8 }),
  });
  await refused(w, archive, 'HFX_E_ARCHIVE');
});

// ---------------------------------------------------------------------------------------------
// Payload and manifest must match one to one, byte for byte.

test('payload does not match its sha256 (same size, valid CRC)', async (t) => {
  const w = await world(t);
  const m = good(w);
  await refused(
    w,
    forge(t, w, { manifest: m, payload: { ...payloadOf(m), 'lib/new.jar': Buffer.from(NEW_JAR.toUpperCase()) } }),
    'HFX_E_INTEGRITY',
  );
});

test('the last of several payloads is wrong: what was staged and backed up is cleaned away', async (t) => {
  const w = await world(t);
  const m = manifest([
    modify(w, 'conf/server.toml', 'port = 1\n'),
    modify(w, 'lib/core.jar', 'core 2\n'),
    add('lib/zz.jar', 'zz\n'),
  ]);
  await refused(
    w,
    forge(t, w, { manifest: m, payload: { ...payloadOf(m), 'lib/zz.jar': Buffer.from('ZZ\n') } }),
    'HFX_E_INTEGRITY',
  );
});

test('the first of many payloads is wrong while the others are still being staged: nothing is left', async (t) => {
  // Files are staged several at a time: the refusal of one must leave nothing of the others,
  // whether they were staged before it or were still in flight.
  const w = await world(t);
  const big = (i: number) => randomBytes(3 << 20).fill(i, 0, 1);
  const m = manifest(Array.from({ length: 12 }, (_, i) => add(`lib/big-${String(i).padStart(2, '0')}.jar`, big(i))));
  const first = m.entries[0]!.path;
  const wrong = Buffer.from(payloadOf(m)[first]!);
  wrong[wrong.length - 1]! ^= 1;
  await refused(w, forge(t, w, { manifest: m, payload: { ...payloadOf(m), [first]: wrong } }), 'HFX_E_INTEGRITY');
});

test('a payload the manifest does not name', async (t) => {
  const w = await world(t);
  const m = good(w);
  await refused(
    w,
    forge(t, w, { manifest: m, payload: { ...payloadOf(m), 'lib/extra.jar': Buffer.from('extra\n') } }),
    'HFX_E_ARCHIVE',
  );
});

test('an entry outside payload/ that is neither manifest nor signature', async (t) => {
  const w = await world(t);
  await refused(
    w,
    forge(t, w, { manifest: good(w), edit: (es) => es.push({ name: 'README.txt', data: Buffer.from('hi\n') }) }),
    'HFX_E_ARCHIVE',
  );
});

test('a manifest entry with no payload', async (t) => {
  const w = await world(t);
  await refused(w, forge(t, w, { manifest: good(w), payload: {} }), 'HFX_E_ARCHIVE');
});

test('a payload for a mode-only change (which carries none)', async (t) => {
  const w = await world(t);
  const before = packNode(w, 'bin/server.sh');
  assert.equal(before.type, 'file');
  const chmod: ManifestEntry = { path: 'bin/server.sh', op: 'modify', before, after: { ...before, mode: '0700' } };
  await refused(
    w,
    forge(t, w, {
      manifest: manifest([chmod]),
      payload: { 'bin/server.sh': readFileSync(join(w.home, 'bin/server.sh')) },
    }),
    'HFX_E_ARCHIVE',
  );
});

test('a payload for a symlink entry', async (t) => {
  const w = await world(t);
  await refused(
    w,
    forge(t, w, {
      manifest: manifest([addLink('docs/latest', 'README')]),
      payload: { 'docs/latest': Buffer.from('README') },
    }),
    'HFX_E_ARCHIVE',
  );
});

// ---------------------------------------------------------------------------------------------
// Invalid manifests. Object manifests are signed, so only the schema can refuse them.

/** `good` with one change made to its JSON object. */
function goodWith(w: World, change: (m: Json) => void): Manifest {
  const m: Json = structuredClone(good(w));
  change(m);
  return m;
}

test('manifest missing', async (t) => {
  const w = await world(t);
  const m = good(w);
  await refused(w, forge(t, w, { manifest: m, edit: (es) => es.shift() }), 'HFX_E_MANIFEST');
});

const rawManifests: [string, string | ((w: World) => string)][] = [
  ['not JSON', '{"format": "hfx-archive/1", '],
  ['JSON with a byte-order mark', (w) => '\ufeff' + JSON.stringify(good(w))],
  ['JSON null', 'null'],
  ['a JSON array', '[]'],
  ['a JSON string', '"hfx-archive/1"'],
  ['a level of 1e400 (Infinity once parsed)', (w) => JSON.stringify(good(w)).replace('"level":0', '"level":1e400')],
  ['nested 100 000 arrays deep', '{"format":"hfx-archive/1","x":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'],
];

for (const [what, text] of rawManifests) {
  test(`manifest: ${what}`, async (t) => {
    const w = await world(t);
    const bytes = Buffer.from(typeof text === 'string' ? text : text(w));
    await refused(w, forge(t, w, { manifest: bytes }), 'HFX_E_MANIFEST');
  });
}

const badSchemas: [string, (m: Json) => void][] = [
  ['wrong format', (m) => (m.format = 'hfx-archive/2')],
  ['a field missing', (m) => delete m.title],
  ['an extra top-level field', (m) => (m.postInstall = 'rm -rf /')],
  ['an extra field in an entry', (m) => (m.entries[0].exec = true)],
  ['an extra field in a node', (m) => (m.entries[0].after.setuid = true)],
  [
    'an own "__proto__" field',
    (m) => Object.defineProperty(m, '__proto__', { value: { polluted: true }, enumerable: true }),
  ],
  ['op add with a before', (m) => (m.entries[0].before = m.entries[0].after)],
  ['op modify that changes nothing', (m) => (m.entries[1].after = m.entries[1].before)],
  ['negative size', (m) => (m.entries[0].after.size = -1)],
  ['fractional size', (m) => (m.entries[0].after.size = 1.5)],
  ['upper-case sha256', (m) => (m.entries[0].after.sha256 = m.entries[0].after.sha256.toUpperCase())],
  ['mode that is not octal', (m) => (m.entries[0].after.mode = '0999')],
  ['createdAt not a date', (m) => (m.createdAt = 'yesterday')],
  ['a hotfix with a toLevel', (m) => (m.toLevel = 1)],
  ['id with a slash', (m) => (m.id = '../HF')],
  [
    'a file that is also the parent of another entry',
    (m) => m.entries.push({ path: 'lib/new.jar/x', op: 'add', before: null, after: { type: 'dir', mode: '0755' } }),
  ],
];

for (const [what, change] of badSchemas) {
  test(`manifest schema: ${what}`, async (t) => {
    const w = await world(t);
    await refused(w, forge(t, w, { manifest: goodWith(w, change) }), 'HFX_E_MANIFEST');
  });
}

test('manifest over limits.maxManifestBytes', async (t) => {
  const w = await world(t);
  const m = goodWith(w, (x) => (x.description = 'x'.repeat(4096)));
  await refused(w, forge(t, w, { manifest: m }), 'HFX_E_MANIFEST', { limits: { maxManifestBytes: 2048 } });
});

// ---------------------------------------------------------------------------------------------
// Signatures and trust.

test('unsigned (no signature file)', async (t) => {
  const w = await world(t);
  await refused(w, forge(t, w, { manifest: good(w), sig: 'none' }), 'HFX_E_UNSIGNED');
});

test('unsigned (a signature file with no signatures)', async (t) => {
  const w = await world(t);
  await refused(
    w,
    forge(t, w, { manifest: good(w), sig: { format: SIGNATURE_FORMAT, signatures: [] } }),
    'HFX_E_UNSIGNED',
  );
});

test('signed by a key the installation does not trust', async (t) => {
  const w = await world(t);
  const m = good(w);
  await refused(w, forge(t, w, { manifest: m, sig: sigFile(m, untrustedKey()) }), 'HFX_E_UNTRUSTED');
});

test('a valid signature by the trusted key, over another manifest', async (t) => {
  const w = await world(t);
  const m = good(w);
  const other = manifest([add('lib/harmless.jar', 'harmless\n')]);
  await refused(w, forge(t, w, { manifest: m, sig: sigFile(other, keyOf(w)) }), 'HFX_E_SIGNATURE');
});

test("manifest edited after signing (payload hash swapped for the attacker's file)", async (t) => {
  const w = await world(t);
  const m = good(w);
  const sig = sigFile(m, keyOf(w));
  const evil = goodWith(w, (x) => (x.entries[0].after = fileNode('evil\n')));
  await refused(w, forge(t, w, { manifest: evil, sig }), 'HFX_E_SIGNATURE');
});

test('a good signature next to a bad one by the same trusted key', async (t) => {
  const w = await world(t);
  const m = good(w);
  const goodSig = signManifest(m, keyOf(w));
  const badSig = signManifest(manifest([add('lib/other.jar')]), keyOf(w));
  await refused(
    w,
    forge(t, w, { manifest: m, sig: { format: SIGNATURE_FORMAT, signatures: [goodSig, badSig] } }),
    'HFX_E_SIGNATURE',
  );
});

test('a bad signature is refused even with allowUnsigned', async (t) => {
  const w = await world(t);
  const m = good(w);
  await refused(
    w,
    forge(t, w, { manifest: m, sig: sigFile(manifest([add('lib/other.jar')]), keyOf(w)) }),
    'HFX_E_SIGNATURE',
    { allowUnsigned: true },
  );
});

test('signature of the wrong length', async (t) => {
  const w = await world(t);
  const m = good(w);
  const s = signManifest(m, keyOf(w));
  await refused(
    w,
    forge(t, w, { manifest: m, sig: { format: SIGNATURE_FORMAT, signatures: [{ ...s, sig: s.sig.slice(0, 40) }] } }),
    'HFX_E_SIGNATURE',
  );
});

test('signature file not JSON', async (t) => {
  const w = await world(t);
  await refused(w, forge(t, w, { manifest: good(w), sig: Buffer.from('{"format":') }), 'HFX_E_SIGNATURE');
});

test('signature file of another format', async (t) => {
  const w = await world(t);
  const m = good(w);
  await refused(w, forge(t, w, { manifest: m, sig: { ...sigFile(m, keyOf(w)), format: 'pgp' } }), 'HFX_E_SIGNATURE');
});

test('signature file over limits.maxSignatureBytes', async (t) => {
  const w = await world(t);
  await refused(w, forge(t, w, { manifest: good(w) }), 'HFX_E_SIGNATURE', { limits: { maxSignatureBytes: 64 } });
});

// ---------------------------------------------------------------------------------------------
// Signed and well-formed, but for another installation.

for (const [what, over] of [
  ['another product', { product: 'other' }],
  ['another release', { release: '2.0.0' }],
  ['another update level', { level: 1 }],
  ['an update archive, not a hotfix', { kind: 'update', toLevel: 1 }],
] as [string, Partial<Manifest>][]) {
  test(`incompatible: ${what}`, async (t) => {
    const w = await world(t);
    await refused(w, forge(t, w, { manifest: manifest(good(w).entries, over) }), 'HFX_E_INCOMPATIBLE');
  });
}
