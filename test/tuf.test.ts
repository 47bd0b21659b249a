// Distribution is The Update Framework (docs/distribution.md): tuf-js's own Updater reads a real
// server's repositories and a static export of one; hfx's client refuses each attack TUF names
// (rollback of each role, freeze, mix-and-match, a threshold not met, a rotated-out key, endless
// data) as a machine in the middle would mount it; roots rotate and clients walk the chain.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { BaseFetcher, Updater } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { Metadata, MetadataKind } from '@tufjs/models';
import { startServer } from '../src/server/serve.js';
import { keyFromPem, readKeyFile, type SigningKey } from '../src/tuf/keys.js';
import { onlineTargets, signRoot, snapshot, timestamp, type RootSpec } from '../src/tuf/metadata.js';
import { initTuf, rotateTuf } from '../src/tuf/offline.js';
import { iso, metadataVersion as compose, splitMetadataVersion as decompose } from '../src/tuf/metadata-versions.js';
import { loginCommand } from '../src/cli/commands/login/index.js';
import { hfx, runCommand } from './helpers/cli.js';
import { snapshot as packSnapshot, tmp, world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';

type TS = Awaited<ReturnType<typeof testServer>>;

/** A fetcher as tuf-js's README suggests for a repository behind authentication: its own fetch with a header. */
class TokenFetcher extends BaseFetcher {
  constructor(private readonly token: string) {
    super();
  }
  async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const res = await globalThis.fetch(url, { headers: { authorization: `Bearer ${this.token}` } });
    // tuf-js walks roots until a 404, which it must be told as such.
    if (!res.ok || !res.body) throw new DownloadHTTPError(`${url}: HTTP ${res.status}`, res.status);
    return res.body as ReadableStream<Uint8Array<ArrayBuffer>>;
  }
}

/** A machine in the middle: forwards to the server, or answers what `mode` returns for a path. */
async function proxyTo(
  target: () => string,
): Promise<{ url: string; server: Server; set(m: (path: string) => Buffer | Readable | null): void }> {
  let mode: (path: string) => Buffer | Readable | null = () => null;
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const forged = mode(req.url!.split('?')[0]!);
    if (forged instanceof Readable) {
      res.writeHead(200, { 'content-type': 'application/json' });
      forged.pipe(res);
      return;
    }
    const upstream = await fetch(target() + req.url!, {
      headers: Object.fromEntries(
        Object.entries(req.headers)
          .filter(([k]) => k !== 'host')
          .map(([k, v]) => [k, String(v)]),
      ),
    });
    const body = forged ?? Buffer.from(await upstream.arrayBuffer());
    res.writeHead(forged ? 200 : upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
      'content-length': body.length,
    });
    res.end(body);
  };
  const server = createServer((req, res) => void answer(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, set: (m) => (mode = m) };
}

/** A plain file server, as any mirror would be (no token, no hfx). */
async function fileServer(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const file = join(dir, decodeURIComponent(req.url!.split('?')[0]!));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
/** What these tests read of a trusted TUF document: its version, meta (timestamp, snapshot) and roles (root). */
interface TrustedSigned {
  version: number;
  meta: Record<string, { version: number }>;
  roles: Record<string, { keyids: string[] }>;
}
const trusted = (home: string, role: string): { signed: TrustedSigned } =>
  json(readFileSync(join(home, '.hfx', 'tuf', 'metadata', `${role}.json`)));

for (const store of STORES)
  describe(`TUF repositories on ${store}`, () => {
    let s: TS;
    let w: World;
    let admin = '';
    const tok: Record<string, string> = {};
    const cleanups: (() => void)[] = [];
    const suite = { after: (fn: () => void) => cleanups.push(fn) };
    let acmeZip: Buffer;
    let online: SigningKey;
    let vendorEnv: NodeJS.ProcessEnv;

    const push = async (id: string, customer?: string) => {
      const zip = await w.hotfix(
        id,
        (d) => writeFileSync(join(d, 'docs/README'), `${id}\n`),
        customer ? { customer } : {},
      );
      const r = await api(s.url, 'POST', '/v1/archives', admin, new Uint8Array(readFileSync(zip)));
      assert.ok(r.status === 201, JSON.stringify(r.body));
      return readFileSync(zip);
    };

    before(async () => {
      s = await testServer({ store });
      admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
        .token;
      for (const c of ['acme', 'globex']) {
        await api(s.url, 'POST', '/v1/customers', admin, { id: c, name: c });
        tok[c] = (await api(s.url, 'POST', `/v1/customers/${c}/tokens`, admin, { name: 'prod' })).body.token;
      }
      w = await world(suite);
      await api(s.url, 'POST', '/v1/publisher-keys', admin, { name: 'vendor', publicKey: readFileSync(w.pub, 'utf8') });
      acmeZip = await push('HF-ACME-1', 'acme');
      await push('HF-ALL-1');
      await push('HF-GLOBEX-1', 'globex');
      online = readKeyFile(join(s.tufDir, 'server', 'online.key'), 'online key');
      vendorEnv = { HFX_CONFIG_DIR: join(w.dir, 'vendor-cfg'), HFX_PASSWORD: s.adminPassword, NO_COLOR: '1' };
      assert.equal((await hfx(['login', s.url, '--user', 'admin'], { env: vendorEnv })).code, 0);
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test("tuf-js's Updater, used as its README shows, refreshes and downloads a customer's target, byte-identical", async () => {
      const dir = tmp(suite);
      mkdirSync(join(dir, 'metadata'));
      mkdirSync(join(dir, 'targets'));
      copyFileSync(s.rootFile, join(dir, 'metadata', 'root.json'));
      const updater = new Updater({
        metadataBaseUrl: `${s.url}/v1/tuf/acme/metadata`,
        metadataDir: join(dir, 'metadata'),
        targetBaseUrl: `${s.url}/v1/tuf/acme/targets`,
        targetDir: join(dir, 'targets'),
        fetcher: new TokenFetcher(tok.acme!),
      });
      await updater.refresh();
      const info = await updater.getTargetInfo('HF-ACME-1.zip');
      assert.ok(info, 'acme is offered its own hotfix');
      const file = await updater.downloadTarget(info, join(dir, 'targets', 'HF-ACME-1.zip'));
      assert.deepEqual(readFileSync(file), acmeZip);
      assert.equal((info.custom.hfx as { kind: string; product: string }).kind, 'hotfix');
      assert.equal(
        await updater.getTargetInfo('HF-GLOBEX-1.zip'),
        undefined,
        "another customer's hotfix is not in acme's repository",
      );
      assert.ok(await updater.getTargetInfo('HF-ALL-1.zip'));
    });

    test("a customer asking for another customer's repository, or its files, gets the answer for a repository that does not exist", async () => {
      for (const path of [
        'metadata/timestamp.json',
        'metadata/1.root.json',
        `targets/${'0'.repeat(64)}.HF-GLOBEX-1.zip`,
      ]) {
        const theirs = await api(s.url, 'GET', `/v1/tuf/globex/${path}`, tok.acme!);
        const none = await api(s.url, 'GET', `/v1/tuf/nobody/${path}`, tok.acme!);
        assert.equal(theirs.status, 404, path);
        assert.deepEqual(
          JSON.stringify(theirs.body).replace('globex', 'X'),
          JSON.stringify(none.body).replace('nobody', 'X'),
          path,
        );
      }
      // The vendor reads any; a customer its own.
      assert.equal((await api(s.url, 'GET', '/v1/tuf/globex/metadata/timestamp.json', admin)).status, 200);
      assert.equal((await api(s.url, 'GET', '/v1/tuf/acme/metadata/timestamp.json', tok.acme!)).status, 200);
    });

    test('a static export, served by a plain file server, is read by tuf-js with no token; hfx links a site to it as a file:// mirror', async () => {
      const dir = join(tmp(suite), 'acme-mirror');
      const r = await hfx(['tuf', 'export', '--customer', 'acme', dir, '--json'], { env: vendorEnv });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.json.targets, 2);
      const fs = await fileServer(dir);
      cleanups.push(() => fs.server.close());
      const mdir = tmp(suite);
      copyFileSync(s.rootFile, join(mdir, 'root.json'));
      const updater = new Updater({
        metadataBaseUrl: `${fs.url}/metadata`,
        metadataDir: mdir,
        targetBaseUrl: `${fs.url}/targets`,
        targetDir: mdir,
      });
      await updater.refresh();
      const info = await updater.getTargetInfo('HF-ACME-1.zip');
      assert.deepEqual(readFileSync(await updater.downloadTarget(info!, join(mdir, 'a.zip'))), acmeZip);
      // A site without a connection: the mirror on a disk, the installation linked to it.
      const site = await world(suite);
      await hfx(['trust', 'add', w.pub, '--home', site.home]);
      const env = { HFX_CONFIG_DIR: join(site.dir, 'cfg'), NO_COLOR: '1' };
      const l = await hfx(['login', `file://${dir}`, '--home', site.home, '--root', s.rootFile], { env });
      assert.equal(l.code, 0, l.stderr);
      const c = await hfx(['check', '--home', site.home, '--json'], { env });
      assert.deepEqual(c.json.hotfixes.map((h: { id: string }) => h.id).sort(), ['HF-ACME-1', 'HF-ALL-1']);
      const a = await hfx(['apply', 'HF-ACME-1', '--server', '--home', site.home, '--json'], { env });
      assert.equal(a.code, 0, a.stdout);
      assert.equal(
        (await hfx(['state', '--report', '--home', site.home, '--json'], { env })).json.error.code,
        'HFX_E_USAGE',
        'a mirror has no server to report to',
      );
    });

    test("without --root, on a terminal, hfx login shows the root's key ids and trusts it only when told yes; elsewhere it refuses", async () => {
      const rootKeyid = json(readFileSync(s.rootFile)).signed.roles.root.keyids[0] as string;
      const answer = (text: string) => Object.assign(new PassThrough(), { isTTY: true }).end(text);
      for (const [reply, ok] of [
        ['n\n', false],
        ['yes\n', true],
      ] as const) {
        const site = await world(suite);
        const env = { HFX_CONFIG_DIR: join(site.dir, 'cfg'), HFX_TOKEN: tok.acme!, NO_COLOR: '1' };
        const r = await runCommand(loginCommand, [s.url, '--home', site.home], {
          env,
          stdin: answer(reply),
          tty: true,
        });
        assert.match(r.stderr, new RegExp(`TUF root 1, signed by 1 of these keys:\\n  ${rootKeyid}`));
        assert.equal(r.code === 0, ok, r.stderr);
        assert.equal(existsSync(join(site.home, '.hfx', 'server.json')), ok, 'linked only when trusted');
        if (!ok) assert.equal(r.error?.code, 'HFX_E_AUTH');
      }
      // Not a terminal, no --root: refused with what to do, nothing linked.
      const site = await world(suite);
      const r = await hfx(['login', s.url, '--home', site.home, '--json'], {
        env: { HFX_CONFIG_DIR: join(site.dir, 'cfg'), HFX_TOKEN: tok.acme!, NO_COLOR: '1' },
      });
      assert.equal(r.json.error.code, 'HFX_E_USAGE');
      assert.match(r.json.error.message, /--root FILE/);
      assert.equal(existsSync(join(site.home, '.hfx', 'server.json')), false);
    });

    describe('attacks by a machine in the middle, refused by hfx', () => {
      let mitm: Awaited<ReturnType<typeof proxyTo>>;
      let home: string;
      let env: NodeJS.ProcessEnv;
      const check = async () => (await hfx(['check', '--home', home, '--json'], { env })).json;
      /** A new link, trusting the genuine metadata of now: each attack starts from what an honest check leaves. */
      const fresh = async () => {
        mitm.set(() => null);
        assert.equal(
          (await hfx(['login', mitm.url, '--token', tok.acme!, '--home', home, '--root', s.rootFile], { env })).code,
          0,
        );
        assert.equal((await check()).ok, true);
      };

      before(async () => {
        mitm = await proxyTo(() => s.url);
        const site = await world(suite);
        home = site.home;
        env = { HFX_CONFIG_DIR: join(site.dir, 'cfg'), NO_COLOR: '1' };
        await hfx(['trust', 'add', w.pub, '--home', home]);
        assert.equal(
          (await hfx(['login', mitm.url, '--token', tok.acme!, '--home', home, '--root', s.rootFile], { env })).code,
          0,
        );
      });
      after(() => mitm.server.close());

      /** Metadata the attacker signs with the online key (standing for a stolen timestamp key). */
      const forgeTimestamp = (version: number, snapshotVersion: number, expires = iso(Date.now() / 1000 + 86400)) =>
        Buffer.from(JSON.stringify(timestamp(version, expires, snapshotVersion, online)));

      test('rollback of timestamp: a genuine older timestamp replayed after a newer one is refused', async () => {
        const headers = { authorization: `Bearer ${tok.acme!}` };
        const res = await fetch(`${s.url}/v1/tuf/acme/metadata/timestamp.json`, { headers });
        const old = Buffer.from(await res.arrayBuffer());
        await push('HF-ACME-2', 'acme');
        assert.equal((await check()).ok, true, 'sees the newer one');
        mitm.set((p) => (p.endsWith('/timestamp.json') ? old : null));
        assert.equal((await check()).error.code, 'HFX_E_ROLLBACK');
        mitm.set(() => null);
        assert.equal((await check()).ok, true);
      });

      test('rollback of snapshot: a timestamp naming an older snapshot than the trusted one is refused', async () => {
        await fresh();
        const ts = trusted(home, 'timestamp').signed;
        const snap = trusted(home, 'snapshot').signed.version;
        mitm.set((p) => (p.endsWith('/timestamp.json') ? forgeTimestamp(ts.version + 1, snap - 1) : null));
        assert.equal((await check()).error.code, 'HFX_E_ROLLBACK');
        mitm.set(() => null);
      });

      test('rollback of targets: a snapshot naming an older online role than the trusted one is refused', async () => {
        await fresh();
        const ts = trusted(home, 'timestamp').signed;
        const snap = trusted(home, 'snapshot').signed;
        const v = snap.version + 1;
        const { hi } = decompose(snap.version);
        const expires = iso((hi + 2) * 302400);
        const targetsVersion = snap.meta['targets.json']!.version;
        const olderOnline = snap.meta['online.json']!.version - 1;
        const forged = Buffer.from(JSON.stringify(snapshot(v, expires, targetsVersion, olderOnline, online)));
        mitm.set((p) =>
          p.endsWith('/timestamp.json')
            ? forgeTimestamp(ts.version + 1, v)
            : p.endsWith(`/${v}.snapshot.json`)
              ? forged
              : null,
        );
        const r = await check();
        assert.equal(r.error.code, 'HFX_E_ROLLBACK', JSON.stringify(r.error));
        mitm.set(() => null);
      });

      test('freeze: an expired timestamp is refused, even when genuinely signed', async () => {
        await fresh();
        const ts = trusted(home, 'timestamp').signed;
        const snap = ts.meta['snapshot.json']!.version;
        mitm.set((p) =>
          p.endsWith('/timestamp.json') ? forgeTimestamp(ts.version + 1, snap, iso(Date.now() / 1000 - 60)) : null,
        );
        const r = await check();
        assert.equal(r.error.code, 'HFX_E_EXPIRED', JSON.stringify(r.error));
        mitm.set(() => null);
      });

      test('mix-and-match: the online role of another version than the snapshot names is refused', async () => {
        await fresh();
        const before = trusted(home, 'online');
        const oldOnline = Buffer.from(JSON.stringify(before));
        await push('HF-ACME-3', 'acme');
        mitm.set((p) => (p.endsWith('.online.json') ? oldOnline : null));
        const r = await check();
        assert.equal(r.error.code, 'HFX_E_METADATA', JSON.stringify(r));
        assert.match(r.error.message, /does not match snapshot version/);
        mitm.set(() => null);
        assert.ok((await check()).hotfixes.some((h: { id: string }) => h.id === 'HF-ACME-3'));
      });

      test('arbitrary key: metadata signed by a key the root does not name is refused', async () => {
        await fresh();
        const ts = trusted(home, 'timestamp').signed;
        const snap = trusted(home, 'snapshot').signed.version;
        const other = keyFromPem(
          (await import('node:crypto'))
            .generateKeyPairSync('ed25519')
            .privateKey.export({ format: 'pem', type: 'pkcs8' })
            .toString(),
          'other',
        );
        mitm.set((p) =>
          p.endsWith('/timestamp.json')
            ? Buffer.from(JSON.stringify(timestamp(ts.version + 1, iso(Date.now() / 1000 + 3600), snap, other)))
            : null,
        );
        assert.equal((await check()).error.code, 'HFX_E_METADATA');
        mitm.set(() => null);
      });

      test('endless data: a timestamp that never ends is cut off, nothing used', async () => {
        await fresh();
        mitm.set((p) =>
          p.endsWith('/timestamp.json')
            ? Readable.from(
                (function* () {
                  for (;;) yield Buffer.alloc(64 * 1024, 0x20);
                })(),
              )
            : null,
        );
        const t0 = Date.now();
        assert.equal((await check()).error.code, 'HFX_E_INTEGRITY');
        assert.ok(Date.now() - t0 < 10_000);
        mitm.set(() => null);
      });

      test('wrong content: an archive other than the signed one (size or bytes) is refused, the pack untouched', async () => {
        await fresh();
        const pack = packSnapshot(home, { includeState: false });
        mitm.set((p) => (p.includes('/targets/') ? Buffer.concat([acmeZip, Buffer.alloc(10)]) : null));
        assert.equal(
          (await hfx(['apply', 'HF-ACME-1', '--server', '--home', home, '--json'], { env })).json.error.code,
          'HFX_E_INTEGRITY',
        );
        const flipped = Buffer.from(acmeZip);
        flipped[flipped.length >> 1] = flipped[flipped.length >> 1]! ^ 0xff;
        mitm.set((p) => (p.includes('/targets/') ? flipped : null));
        assert.equal(
          (await hfx(['apply', 'HF-ACME-1', '--server', '--home', home, '--json'], { env })).json.error.code,
          'HFX_E_INTEGRITY',
        );
        assert.deepEqual(packSnapshot(home, { includeState: false }), pack);
        mitm.set(() => null);
        assert.equal((await hfx(['apply', 'HF-ACME-1', '--server', '--home', home], { env })).code, 0);
      });
    });
  });

describe('TUF keys: thresholds and rotation', () => {
  const cleanups: (() => void)[] = [];
  const suite = { after: (fn: () => void) => cleanups.push(fn) };
  after(() => cleanups.forEach((c) => c()));

  /** A server on its own data directory with the keys in `tuf`, restartable; an installation of customer acme linked to it. */
  async function setup(keys: number, threshold: number) {
    const dir = tmp(suite);
    const tuf = initTuf(join(dir, 'tuf'), { keys, threshold });
    const start = () =>
      startServer({ dataDir: join(dir, 'data'), adminPassword: 'tuf-admin-password', port: 0, tufKeys: tuf.serverDir });
    let s = await start();
    const admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: 'tuf-admin-password' }))
      .body.token;
    await api(s.url, 'POST', '/v1/customers', admin, { id: 'acme', name: 'ACME' });
    const token = (await api(s.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'prod' })).body.token as string;
    const w = await world(suite);
    const mitm = await proxyTo(() => s.url);
    cleanups.push(() => mitm.server.close());
    const env = { HFX_CONFIG_DIR: join(w.dir, 'cfg'), NO_COLOR: '1' };
    assert.equal(
      (await hfx(['login', mitm.url, '--token', token, '--home', w.home, '--root', tuf.rootFile], { env })).code,
      0,
    );
    return {
      tuf,
      w,
      env,
      mitm,
      restart: async () => {
        await s.close();
        s = await start();
      },
      close: () => s.close(),
      check: async () => (await hfx(['check', '--home', w.home, '--json'], { env })).json,
    };
  }

  test('a root signed by fewer keys than the threshold is refused', async () => {
    const x = await setup(3, 2);
    try {
      const one = readKeyFile(join(x.tuf.dir, 'offline', 'root-1.key'), 'root key');
      const r1 = json(readFileSync(x.tuf.rootFile)).signed;
      const ids = r1.roles.root.keyids as string[];
      const spec: RootSpec = {
        version: 2,
        expires: r1.expires,
        root: { keys: ids.map((id) => ({ keyid: id, json: r1.keys[id] })), threshold: 2 },
        targets: {
          keys: r1.roles.targets.keyids.map((id: string) => ({ keyid: id, json: r1.keys[id] })),
          threshold: 1,
        },
        online: { keyid: r1.roles.timestamp.keyids[0], json: r1.keys[r1.roles.timestamp.keyids[0]] },
      };
      const halfSigned = Buffer.from(JSON.stringify(signRoot(spec, [one])));
      x.mitm.set((p) => (p.endsWith('/2.root.json') ? halfSigned : null));
      const r = await x.check();
      assert.equal(r.error.code, 'HFX_E_METADATA', JSON.stringify(r));
      assert.equal(trusted(x.w.home, 'root').signed.version, 1, 'the trusted root stays');
      // Signed by two of the three, the same root is walked to.
      const twoSigned = Buffer.from(
        JSON.stringify(signRoot(spec, [one, readKeyFile(join(x.tuf.dir, 'offline', 'root-2.key'), 'root key')])),
      );
      x.mitm.set((p) => (p.endsWith('/2.root.json') ? twoSigned : null));
      assert.equal((await x.check()).ok, true);
      assert.equal(trusted(x.w.home, 'root').signed.version, 2);
    } finally {
      await x.close();
    }
  });

  test('roots rotate 1 → 3 (a new root key, then a new online key); the client walks the chain, and the rotated-out online key is refused', async () => {
    const x = await setup(1, 1);
    try {
      assert.equal((await x.check()).ok, true);
      const oldOnline = readKeyFile(join(x.tuf.serverDir, 'online.key'), 'online key');
      const r2 = rotateTuf(x.tuf.dir, { addRootKeys: 1, threshold: 2 });
      const r3 = rotateTuf(x.tuf.dir, { newOnlineKey: true });
      assert.deepEqual([r2.rootVersion, r3.rootVersion], [2, 3]);
      assert.notEqual(r3.onlineKeyid, oldOnline.keyid);
      await x.restart();
      const c = await x.check();
      assert.equal(c.ok, true, JSON.stringify(c));
      const root = trusted(x.w.home, 'root').signed;
      assert.equal(root.version, 3);
      assert.deepEqual(root.roles.timestamp!.keyids, [r3.onlineKeyid]);
      // A timestamp signed by the old online key, however new its version, is refused now.
      const ts = trusted(x.w.home, 'timestamp').signed;
      const snapshotVersion = ts.meta['snapshot.json']!.version;
      const inAnHour = iso(Date.now() / 1000 + 3600);
      const stale = Buffer.from(JSON.stringify(timestamp(ts.version + 1, inAnHour, snapshotVersion, oldOnline)));
      x.mitm.set((p) => (p.endsWith('/timestamp.json') ? stale : null));
      assert.equal((await x.check()).error.code, 'HFX_E_METADATA');
      x.mitm.set(() => null);
      assert.equal((await x.check()).ok, true);
    } finally {
      await x.close();
    }
  });

  test('hfx tuf init and rotate from the CLI: thresholds checked, offline and server halves apart, keys 0600', async (t) => {
    const dir = join(tmp(t), 'vendor');
    assert.equal((await hfx(['tuf', 'init', '--out', dir, '--keys', '2', '--threshold', '3'])).code, 2);
    const r = await hfx(['tuf', 'init', '--out', dir, '--keys', '3', '--threshold', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.root.threshold, 2);
    for (const f of ['offline/root-1.key', 'offline/root-3.key', 'offline/targets.key', 'server/online.key'])
      assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    assert.ok(!existsSync(join(dir, 'server', 'root-1.key')), 'no offline key among what the server gets');
    assert.equal((await hfx(['tuf', 'init', '--out', dir])).code, 2, 'never over existing keys');
    // Two of three root keys present are enough to sign the next root; one is not.
    const away = join(tmp(t), 'safe');
    mkdirSync(away);
    cpSync(join(dir, 'offline', 'root-2.key'), join(away, 'root-2.key'));
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'offline', 'root-2.key'));
    rmSync(join(dir, 'offline', 'root-3.key'));
    const short = await hfx(['tuf', 'rotate', '--dir', dir, '--json']);
    assert.equal(short.json.error.code, 'HFX_E_SIGNATURE');
    cpSync(join(away, 'root-2.key'), join(dir, 'offline', 'root-2.key'));
    const ok = await hfx(['tuf', 'rotate', '--dir', dir, '--new-online-key', '--json']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(ok.json.rootVersion, 2);
    const r2 = Metadata.fromJSON(MetadataKind.Root, json(readFileSync(join(dir, 'server', '2.root.json'))));
    Metadata.fromJSON(MetadataKind.Root, json(readFileSync(join(dir, 'server', '1.root.json')))).verifyDelegate(
      'root',
      r2,
    );
  });

  test('without --tuf-keys: the embedded store makes development keys once and says so; PostgreSQL refuses to start', async (t) => {
    const dir = tmp(t);
    const told: boolean[] = [];
    const s = await startServer({
      dataDir: dir,
      adminPassword: 'dev-admin-password',
      port: 0,
      onDevelopmentKeys: (_d, made) => told.push(made),
    });
    await s.close();
    const again = await startServer({
      dataDir: dir,
      adminPassword: 'dev-admin-password',
      port: 0,
      onDevelopmentKeys: (_d, made) => told.push(made),
    });
    await again.close();
    assert.deepEqual(told, [true, false]);
    assert.ok(existsSync(join(dir, 'tuf', 'server', '1.root.json')));
    await assert.rejects(
      startServer({ dataDir: tmp(t), databaseUrl: 'postgres://nobody@127.0.0.1:1/none', port: 0 }),
      (e: Error & { code?: string }) => e.code === 'HFX_E_USAGE' || /tuf-keys|ECONNREFUSED/.test(e.message),
    );
  });
});

test('online versions are computed, so every process signs the same bytes for the same inputs', (t) => {
  const pem =
    (globalThis as unknown as { __k?: string }).__k ??
    readFileSync(join(initTuf(join(tmp(t), 't'), { keys: 1, threshold: 1 }).serverDir, 'online.key'), 'utf8');
  const k = keyFromPem(pem, 'k');
  const a = JSON.stringify(onlineTargets(compose(5800, 7), iso(1e9), [], k));
  const b = JSON.stringify(onlineTargets(compose(5800, 7), iso(1e9), [], k));
  assert.equal(a, b);
  assert.deepEqual(decompose(compose(5800, 7)), { hi: 5800, s: 7 });
});
