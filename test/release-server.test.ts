// Release manifests on the server (docs/releases.md, "On the server"): the routes on every store,
// and `hfx release publish --server` / `hfx release push` end to end.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeReleaseCommand } from '../src/cli/commands/release/index.js';
import { serializeRelease, type ReleaseManifest } from '../src/release/schema.js';
import { hfx, runCommand } from './helpers/cli.js';
import { snapshot, tmp } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';
import { releaseManifest } from './helpers/release.js';

const PRODUCT = 'acme-platform';

function manifest(version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const tag = version.replace(/\+/g, '-');
  return releaseManifest(version, {
    name: PRODUCT,
    released_at: '2026-01-01T00:00:00.000+01:00',
    // Not in name order: the server keeps the order of the file.
    images: {
      worker: `registry.example.com:5000/team/worker:${tag}`,
      api: `registry.example.com:5000/team/api:${tag}`,
    },
    ...extra,
  });
}

const draft = (version: string, extra: Record<string, unknown> = {}) =>
  manifest(version, { status: 'draft', published_at: undefined, ...extra });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

for (const store of STORES)
  describe(`release manifests on the server (${store})`, () => {
    let s: Awaited<ReturnType<typeof testServer>>;
    const tok: Record<string, string> = {};
    const passwords = {
      viewer: 'viewer-password-1',
      developer: 'developer-password-1',
      'release-manager': 'release-password-1',
    };
    const cleanups: (() => void)[] = [];
    const t0 = { after: (fn: () => void) => cleanups.push(fn) };

    const ok = async (method: string, path: string, token: string | null, body?: unknown) => {
      const r = await api(s.url, method, path, token, body);
      assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const post = (m: unknown, token = tok['release-manager']!, product = PRODUCT) =>
      api(s.url, 'POST', `/v1/products/${product}/manifests`, token, m);
    /** Everything an upload could change: the manifests, the products and their releases, the audit log. */
    const serverState = async () => ({
      manifests: await Promise.all(
        ((await ok('GET', `/v1/products/${PRODUCT}/manifests`, tok.admin!)).manifests as { version: string }[]).map(
          async (x) =>
            (await ok('GET', `/v1/products/${PRODUCT}/manifests/${encodeURIComponent(x.version)}`, tok.admin!))
              .manifest,
        ),
      ),
      products: (await ok('GET', '/v1/products', tok.admin!)).products.map((p: { created_at?: unknown }) => ({ ...p })),
      audit: (await ok('GET', '/v1/audit?limit=1000', tok.admin!)).entries.length,
    });
    type Answer = Awaited<ReturnType<typeof api>>;
    const refused = async (r: Answer, status: number, code: string, before: unknown, msg?: RegExp) => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error.code, code);
      if (msg) assert.match(r.body.error.message, msg);
      assert.deepEqual(await serverState(), before, 'nothing changed on the server');
    };

    before(async () => {
      s = await testServer({ store });
      tok.admin = (await ok('POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).token;
      for (const [role, password] of Object.entries(passwords)) {
        await ok('POST', '/v1/users', tok.admin!, { username: role, password, role });
        tok[role] = (await ok('POST', '/v1/login', null, { username: role, password })).token;
      }
      await ok('POST', '/v1/products', tok['release-manager']!, { name: PRODUCT });
      await ok('POST', '/v1/products', tok['release-manager']!, { name: 'other-product' });
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('upload: 201, stored as sent (fields and images in file order), its release registered, audited', async () => {
      const m = manifest('1.7.0');
      const r = await post(m);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(r.body, { product: PRODUCT, version: '1.7.0', existed: false, manifest: m });
      const got = await ok('GET', `/v1/products/${PRODUCT}/manifests/1.7.0`, tok.viewer!);
      assert.equal(
        JSON.stringify(got.manifest, null, 2) + '\n',
        serializeRelease(m as ReleaseManifest),
        'the same text as the file',
      );
      const products = (await ok('GET', '/v1/products', tok.viewer!)).products;
      assert.deepEqual(products.find((p: { name: string }) => p.name === PRODUCT).releases, ['1.7.0']);
      const audit = (await ok('GET', '/v1/audit?object_type=release-manifest', tok.admin!)).entries;
      assert.deepEqual(
        audit.map((e: { actor: string; action: string; object_id: string }) => [e.actor, e.action, e.object_id]),
        [['release-manager', 'upload', `${PRODUCT}@1.7.0`]],
      );
    });

    test('the same release again: 200 existed, also with another published_at (a retried publish); nothing changes', async () => {
      await post(manifest('1.7.5'));
      const before = await serverState();
      const again = await post(manifest('1.7.5'));
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { product: PRODUCT, version: '1.7.5', existed: true, manifest: manifest('1.7.5') });
      // Fields in another order are the same content (canonical form).
      const reordered = Object.fromEntries(Object.entries(manifest('1.7.5')).reverse());
      assert.equal((await post(reordered, tok.admin)).status, 200);
      const later = await post(manifest('1.7.5', { published_at: '2026-02-02T10:00:00.000Z' }));
      assert.equal(later.status, 200);
      assert.equal(later.body.existed, true);
      assert.equal(later.body.manifest.published_at, '2026-01-02T00:00:00.000Z', 'the first publication is kept');
      assert.deepEqual(await serverState(), before);
    });

    test('the same version with other content: 409 HFX_E_RELEASE_EXISTS, the first one kept', async () => {
      await post(manifest('1.7.6'));
      const before = await serverState();
      await refused(
        await post(manifest('1.7.6', { notes: 'something else' })),
        409,
        'HFX_E_RELEASE_EXISTS',
        before,
        /already on the server with other content/,
      );
      await refused(
        await post(manifest('1.7.6', { images: { api: 'registry.example.com:5000/team/api:other' } })),
        409,
        'HFX_E_RELEASE_EXISTS',
        before,
      );
    });

    test('a draft is refused with HFX_E_MANIFEST (publish it first); nothing stored', async () => {
      const before = await serverState();
      await refused(await post(draft('1.8.0')), 422, 'HFX_E_MANIFEST', before, /draft/);
      assert.match((await post(draft('1.8.0'))).body.error.hint, /hfx release publish 1\.8\.0 --server/);
      assert.equal((await api(s.url, 'GET', `/v1/products/${PRODUCT}/manifests/1.8.0`, tok.viewer!)).status, 404);
    });

    test('invalid manifests are refused with HFX_E_MANIFEST naming the field; nothing stored', async () => {
      const before = await serverState();
      const cases: [Record<string, unknown>, RegExp][] = [
        [manifest('1.8.1', { extra: true }), /extra/],
        [manifest('1.8.1', { commit: undefined }), /commit/],
        [manifest('1.8.1', { images: { ui: 'nginx:1.25' } }), /images\.ui: .*docker\.io\/library\/nginx:1\.25/],
        [manifest('1.8.1', { version: '1.8' }), /version/],
        [manifest('1.8.1', { published_at: undefined }), /published_at/],
        [manifest('1.8.1', { base: '1.7.0' }), /hotfixes/],
        [manifest('1.8.1', { channels: ['stable', 'stable'] }), /channels/],
      ];
      for (const [m, field] of cases) await refused(await post(m), 422, 'HFX_E_MANIFEST', before, field);
      // Not an object at all: the body schema refuses it.
      await refused(await post(['not', 'a', 'manifest']), 400, 'HFX_E_USAGE', before);
      await refused(await post(manifest('1.8.1', { notes: 'a\u0000b' })), 400, 'HFX_E_USAGE', before, /NUL/);
    });

    test('the manifest must be of the product in the path; an unknown product is 404 and not created', async () => {
      const before = await serverState();
      await refused(
        await post(manifest('1.8.2'), tok['release-manager'], 'other-product'),
        400,
        'HFX_E_USAGE',
        before,
        /of acme-platform, not of product other-product/,
      );
      await refused(
        await post(manifest('1.8.2', { name: 'nobody' }), tok['release-manager'], 'nobody'),
        404,
        'HFX_E_NOT_FOUND',
        before,
        /no product nobody/,
      );
      await refused(await post(manifest('1.8.2'), tok['release-manager'], '..%2Fetc'), 400, 'HFX_E_USAGE', before);
    });

    test('roles: viewers and developers may read but not upload; no login is 401', async () => {
      await post(manifest('1.7.7'));
      const before = await serverState();
      for (const role of ['viewer', 'developer'])
        await refused(await post(manifest('1.8.3'), tok[role]), 403, 'HFX_E_FORBIDDEN', before, /release-manager/);
      await refused(await post(manifest('1.8.3'), null as unknown as string), 401, 'HFX_E_AUTH', before);
      for (const path of [
        `/v1/products/${PRODUCT}/manifests`,
        `/v1/products/${PRODUCT}/manifests/1.7.7`,
        `/v1/products/${PRODUCT}/manifests-diff?from=1.7.7&to=1.7.7`,
      ]) {
        assert.equal((await api(s.url, 'GET', path, tok.viewer!)).status, 200, path);
        assert.equal((await api(s.url, 'GET', path, null)).body.error.code, 'HFX_E_AUTH', path);
      }
    });

    test('list: every manifest summary, in semver order', async () => {
      for (const v of ['1.10.0', '1.7.1', '1.7.1-rc.1', '1.9.0', '1.7.1+build.2'])
        await ok(
          'POST',
          `/v1/products/${PRODUCT}/manifests`,
          tok['release-manager']!,
          manifest(v, v === '1.7.1' ? { base: '1.7.0', hotfixes: ['HF-1'] } : {}),
        );
      const l = await ok('GET', `/v1/products/${PRODUCT}/manifests`, tok.viewer!);
      assert.equal(l.product, PRODUCT);
      const versions = l.manifests.map((x: { version: string }) => x.version);
      assert.deepEqual(
        versions.filter((v: string) =>
          ['1.7.0', '1.7.1-rc.1', '1.7.1', '1.7.1+build.2', '1.9.0', '1.10.0'].includes(v),
        ),
        ['1.7.0', '1.7.1-rc.1', '1.7.1', '1.7.1+build.2', '1.9.0', '1.10.0'],
      );
      const row = l.manifests.find((x: { version: string }) => x.version === '1.7.1');
      const { uploaded_at, ...rest } = row;
      assert.ok(!Number.isNaN(Date.parse(uploaded_at)));
      assert.deepEqual(rest, {
        version: '1.7.1',
        status: 'published',
        released_at: '2026-01-01T00:00:00.000+01:00',
        published_at: '2026-01-02T00:00:00.000Z',
        base: '1.7.0',
        hotfixes: ['HF-1'],
        channels: ['stable'],
        notes: 'release 1.7.1',
        commit: 'c'.repeat(40),
        uploaded_by: 'release-manager',
      });
      assert.equal(l.manifests.find((x: { version: string }) => x.version === '1.9.0').base, null);
      assert.deepEqual((await ok('GET', '/v1/products/other-product/manifests', tok.viewer!)).manifests, []);
    });

    test('diff: exactly what `hfx release diff A B --json` prints (without ok), from the same function', async (t) => {
      const a = manifest('2.0.0', { channels: ['stable', 'beta'], components: { schema: '41', cli: '2.0' } });
      const b = manifest('2.0.1', {
        base: '2.0.0',
        hotfixes: ['HF-2.0.0-0001'],
        notes: 'Fix token expiry\nand more',
        commit: 'd'.repeat(40),
        channels: ['stable', 'lts'],
        images: { worker: 'registry.example.com:5000/team/worker:2.0.0', ui: 'docker.io/library/nginx:1.25' },
        components: { schema: '42' },
      });
      await ok('POST', `/v1/products/${PRODUCT}/manifests`, tok['release-manager']!, a);
      await ok('POST', `/v1/products/${PRODUCT}/manifests`, tok['release-manager']!, b);
      const cwd = tmp(t, 'hfx-release-diff-');
      mkdirSync(join(cwd, 'releases'));
      writeFileSync(join(cwd, 'releases', '2.0.0.json'), serializeRelease(a as ReleaseManifest));
      writeFileSync(join(cwd, 'releases', '2.0.1.json'), serializeRelease(b as ReleaseManifest));
      for (const [x, y] of [
        ['2.0.0', '2.0.1'],
        ['2.0.1', '2.0.0'],
        ['2.0.0', '2.0.0'],
      ] as const) {
        const cli = await hfx(['release', 'diff', x, y, '--json'], { cwd });
        assert.equal(cli.code, 0, cli.stdout);
        const server = await ok('GET', `/v1/products/${PRODUCT}/manifests-diff?from=${x}&to=${y}`, tok.viewer!);
        assert.deepEqual({ ok: true, ...server }, cli.json);
      }
      assert.equal(
        (await ok('GET', `/v1/products/${PRODUCT}/manifests-diff?from=2.0.0&to=2.0.1`, tok.viewer!)).same,
        false,
      );
      // Build metadata has a + that a query string must escape.
      assert.equal(
        (
          await ok(
            'GET',
            `/v1/products/${PRODUCT}/manifests-diff?from=1.7.1&to=${encodeURIComponent('1.7.1+build.2')}`,
            tok.viewer!,
          )
        ).to,
        '1.7.1+build.2',
      );
    });

    test('404s and bad parameters', async () => {
      const cases: [string, number, string][] = [
        [`/v1/products/${PRODUCT}/manifests/9.9.9`, 404, 'HFX_E_NOT_FOUND'],
        ['/v1/products/nobody/manifests', 404, 'HFX_E_NOT_FOUND'],
        ['/v1/products/nobody/manifests/1.7.0', 404, 'HFX_E_NOT_FOUND'],
        ['/v1/products/other-product/manifests/1.7.0', 404, 'HFX_E_NOT_FOUND'],
        [`/v1/products/${PRODUCT}/manifests-diff?from=1.7.0&to=9.9.9`, 404, 'HFX_E_NOT_FOUND'],
        [`/v1/products/${PRODUCT}/manifests-diff?from=9.9.9&to=1.7.0`, 404, 'HFX_E_NOT_FOUND'],
        ['/v1/products/nobody/manifests-diff?from=1.7.0&to=1.7.0', 404, 'HFX_E_NOT_FOUND'],
        [`/v1/products/${PRODUCT}/manifests/latest`, 400, 'HFX_E_USAGE'],
        [`/v1/products/${PRODUCT}/manifests-diff?from=1.7.0`, 400, 'HFX_E_USAGE'],
        [`/v1/products/${PRODUCT}/manifests-diff?from=1.7.0&to=..%2F1`, 400, 'HFX_E_USAGE'],
        [`/v1/products/${PRODUCT}/manifests-diff?from=1.7.0&to=1.7.0&x=1`, 400, 'HFX_E_USAGE'],
      ];
      for (const [path, status, code] of cases) {
        const r = await api(s.url, 'GET', path, tok.viewer!);
        assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, code, path);
      }
    });

    describe('hfx release publish --server and hfx release push', () => {
      let cwd = '';
      let dir = '';
      let env: NodeJS.ProcessEnv = {};
      const file = (v: string) => join(dir, `${v}.json`);
      const write = (v: string, m: Record<string, unknown>) =>
        writeFileSync(file(v), serializeRelease(m as ReleaseManifest));
      const release = (args: string[], now = '2026-03-04T05:06:07.000Z', e = env) =>
        runCommand(makeReleaseCommand({ now: () => new Date(now) }), args, { cwd, env: e });
      /** A failed command: its code, the release files byte for byte, and the server as they were. */
      const failsAndChangesNothing = async (args: string[], code: string, e = env) => {
        const files = snapshot(dir);
        const server = await serverState();
        const r = await release(args, undefined, e);
        assert.equal(r.error?.code, code, `${args.join(' ')}: ${r.stderr}`);
        assert.deepEqual(snapshot(dir), files, 'the release files are unchanged');
        assert.deepEqual(await serverState(), server, 'nothing changed on the server');
        return r;
      };

      before(async () => {
        cwd = tmp(t0, 'hfx-release-server-');
        dir = join(cwd, 'releases');
        mkdirSync(dir);
        env = { HFX_CONFIG_DIR: join(cwd, 'config'), HFX_PASSWORD: passwords['release-manager'], NO_COLOR: '1' };
        const login = await hfx(['login', s.url, '--user', 'release-manager'], { cwd, env });
        assert.equal(login.code, 0, login.stderr);
      });

      test('publish --server: on the server first, then in the file; the same published_at in both', async () => {
        write('3.0.0', draft('3.0.0'));
        const r = await release(['publish', '3.0.0', '--server', '--json']);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual(r.json.targets, [`hfx-server ${s.url}`]);
        const onDisk = JSON.parse(readFileSync(file('3.0.0'), 'utf8'));
        assert.equal(onDisk.status, 'published');
        assert.equal(onDisk.published_at, '2026-03-04T05:06:07.000Z');
        assert.deepEqual((await ok('GET', `/v1/products/${PRODUCT}/manifests/3.0.0`, tok.viewer!)).manifest, onDisk);
        const h = await release(['publish', '3.0.0', '--server']);
        assert.equal(h.error?.code, 'HFX_E_ALREADY_PUBLISHED');
      });

      test('a publish retried after the server stored it (a lost answer) succeeds, with a later published_at', async () => {
        write('3.0.1', draft('3.0.1'));
        await ok('POST', `/v1/products/${PRODUCT}/manifests`, tok['release-manager']!, {
          ...draft('3.0.1'),
          status: 'published',
          published_at: '2026-03-01T00:00:00.000Z',
        });
        const r = await release(['publish', '3.0.1', '--server', '--json']);
        assert.equal(r.code, 0, r.stdout);
        assert.equal(JSON.parse(readFileSync(file('3.0.1'), 'utf8')).status, 'published');
      });

      test('a server that refuses or cannot be reached leaves the draft as it was, byte for byte', async () => {
        write('3.1.0', draft('3.1.0', { name: 'not-on-the-server' }));
        await failsAndChangesNothing(['publish', '3.1.0', '--server'], 'HFX_E_NOT_FOUND');
        // The server has 3.0.5 with other notes.
        await ok('POST', `/v1/products/${PRODUCT}/manifests`, tok['release-manager']!, manifest('3.0.5'));
        write('3.0.5', draft('3.0.5', { notes: 'changed since' }));
        const conflict = await failsAndChangesNothing(
          ['publish', '3.0.5', '--server', '--json'],
          'HFX_E_RELEASE_EXISTS',
        );
        assert.equal(conflict.code, 8);
        assert.match(conflict.json.error.message, /already on the server with other content/);
        write('3.2.0', draft('3.2.0'));
        const port = await closedPort();
        const config = JSON.parse(readFileSync(join(cwd, 'config', 'config.json'), 'utf8'));
        const downEnv = { ...env, HFX_CONFIG_DIR: join(cwd, 'config-down') };
        mkdirSync(join(cwd, 'config-down'));
        const url = `http://127.0.0.1:${port}`;
        writeFileSync(
          join(cwd, 'config-down', 'config.json'),
          JSON.stringify({ current: url, servers: { [url]: { ...config.servers[s.url], url } } }),
        );
        await failsAndChangesNothing(['publish', '3.2.0', '--server'], 'HFX_E_NETWORK', downEnv);
        await failsAndChangesNothing(['publish', '3.2.0', '--server'], 'HFX_E_AUTH', {
          ...env,
          HFX_CONFIG_DIR: join(cwd, 'nowhere'),
        });
        // A viewer's login: the server refuses.
        const viewerEnv = { ...env, HFX_CONFIG_DIR: join(cwd, 'config-viewer'), HFX_PASSWORD: passwords.viewer };
        assert.equal((await hfx(['login', s.url, '--user', 'viewer'], { cwd, env: viewerEnv })).code, 0);
        await failsAndChangesNothing(['publish', '3.2.0', '--server'], 'HFX_E_FORBIDDEN', viewerEnv);
        await failsAndChangesNothing(['list', '--server'], 'HFX_E_USAGE');
      });

      test('push: an already published file to the server; the same again is no change; a draft is refused', async () => {
        write('3.3.0', manifest('3.3.0'));
        const first = await release(['push', '3.3.0', '--json']);
        assert.equal(first.code, 0, first.stdout);
        assert.equal(first.json.existed, false);
        assert.equal(first.json.server, s.url);
        assert.deepEqual(first.json.release, manifest('3.3.0'));
        const files = snapshot(dir);
        const server = await serverState();
        const again = await release(['push', '3.3.0']);
        assert.equal(again.code, 0);
        assert.match(again.stdout, /release acme-platform 3\.3\.0 was already on http/);
        assert.deepEqual(snapshot(dir), files);
        assert.deepEqual(await serverState(), server);
        write('3.4.0', draft('3.4.0'));
        const d = await failsAndChangesNothing(['push', '3.4.0'], 'HFX_E_MANIFEST');
        assert.match(d.error!.message, /draft/);
        await failsAndChangesNothing(['push', '3.9.9'], 'HFX_E_NOT_FOUND');
        await failsAndChangesNothing(['push'], 'HFX_E_USAGE');
      });

      test('--help shows the server subcommands', async () => {
        const h = await hfx(['release', '--help'], { cwd, env });
        assert.match(h.stdout, /hfx release publish V \[--server\]/);
        assert.match(h.stdout, /hfx release push V/);
        assert.match(h.stdout, /\$ hfx release publish 1\.7\.1 --server/);
      });
    });
  });
