// Bodies are paid for by the authorized (docs/security.md): a caller without a valid token, or
// below the route's role, is answered from the headers before a byte of body is read; a length
// over the limit is 413 at once; an upload's publisher signature is checked right after its
// manifest, before any per-entry work, its manifest and entry count are bounded, and one token
// has at most a few uploads in flight; slow clients are cut off by header, body and idle timeouts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MANIFEST_NAME, SIGNATURE_NAME } from '../src/engine/archive/manifest.js';
import { DEFAULT_LIMITS } from '../src/server/limits.js';
import { tmp, world } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { rawExchange } from './helpers/raw-http.js';
import { api, STORES, testServer } from './helpers/server.js';
import { forgeZip } from './helpers/zip-forge.js';

type Server = Awaited<ReturnType<typeof testServer>>;
const GiB = 1024 ** 3;

const head = (method: string, path: string, headers: Record<string, string | number>) =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

/** The uploads held in the blob store's temp directory (partial bodies on disk). */
const partials = (s: Server) => readdirSync(join(s.dir, 'blobs', 'tmp'));

for (const store of STORES)
  describe(`request bodies on ${store}`, () => {
    let s: Server;
    const tok = { admin: '', viewer: '', dev: '', dev2: '' };
    const cleanups: (() => void)[] = [];
    let signed: Buffer;
    let foreignSigned: Buffer;

    before(async () => {
      s = await testServer({
        store,
        limits: { uploadManifestBytes: 64 * 1024, uploadEntries: 50, uploadsPerToken: 2 },
      });
      tok.admin = (
        await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })
      ).body.token;
      for (const [u, role] of [
        ['viewer', 'viewer'],
        ['dev', 'developer'],
        ['dev2', 'developer'],
      ] as const) {
        assert.equal(
          (await api(s.url, 'POST', '/v1/users', tok.admin, { username: u, password: `${u}-password-long`, role }))
            .status,
          201,
        );
        tok[u] = (
          await api(s.url, 'POST', '/v1/login', null, { username: u, password: `${u}-password-long` })
        ).body.token;
      }
      const w = await world(suite);
      assert.equal(
        (
          await api(s.url, 'POST', '/v1/publisher-keys', tok.admin, {
            name: 'vendor',
            publicKey: readFileSync(w.pub, 'utf8'),
          })
        ).status,
        201,
      );
      signed = readFileSync(await w.hotfix('HF-BODY-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed\n')));
      // An archive signed by a key the server does not trust.
      const other = await world(suite);
      foreignSigned = readFileSync(
        await other.hotfix('HF-FOREIGN-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'other\n')),
      );
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('no token, a bad token, or a role too low: answered from the headers, with no body sent, and the connection closed', async () => {
      const cases: [string, string, Record<string, string>, number, string][] = [
        ['POST', '/v1/archives', { 'content-type': 'application/zip' }, 401, 'HFX_E_AUTH'],
        [
          'POST',
          '/v1/archives',
          { 'content-type': 'application/zip', authorization: `Bearer hfx_${'x'.repeat(43)}` },
          401,
          'HFX_E_AUTH',
        ],
        [
          'POST',
          '/v1/archives',
          { 'content-type': 'application/zip', authorization: `Bearer ${tok.viewer}` },
          403,
          'HFX_E_FORBIDDEN',
        ],
        [
          'POST',
          '/v1/customers',
          { 'content-type': 'application/json', authorization: `Bearer ${tok.dev}` },
          403,
          'HFX_E_FORBIDDEN',
        ],
        ['POST', '/v1/cases', { 'content-type': 'application/json' }, 401, 'HFX_E_AUTH'],
        [
          'POST',
          '/v1/installations/report',
          { 'content-type': 'application/json', authorization: `Bearer ${tok.viewer}` },
          403,
          'HFX_E_FORBIDDEN',
        ],
      ];
      for (const [method, path, headers, status, code] of cases) {
        // 10 GiB announced, none sent: only an answer from the headers can come back.
        const x = rawExchange(s.port, head(method, path, { ...headers, 'content-length': 10 * GiB }));
        const a = await x.answer;
        assert.equal(a.status, status, `${method} ${path}: ${a.body}`);
        assert.equal(a.json?.error?.code, code);
        assert.equal(a.headers.connection, 'close', 'the rest of the body is not read');
        assert.ok((await x.closed) < 5000);
      }
      assert.deepEqual(partials(s), [], 'no upload was begun on disk');
    });

    test('an upload announced over --max-upload is 413 at once, before its body', async () => {
      const x = rawExchange(
        s.port,
        head('POST', '/v1/archives', {
          'content-type': 'application/zip',
          authorization: `Bearer ${tok.dev}`,
          'content-length': 5 * 1024 * GiB,
        }),
      );
      const a = await x.answer;
      assert.equal(a.status, 413);
      assert.equal(a.json.error.code, 'HFX_E_TOO_LARGE');
      assert.match(a.json.error.hint, /hfx serve --max-upload/);
      assert.equal(a.headers.connection, 'close');
      // A JSON route's own limit (1 MiB) likewise.
      const j = rawExchange(
        s.port,
        head('POST', '/v1/customers', {
          'content-type': 'application/json',
          authorization: `Bearer ${tok.admin}`,
          'content-length': 2 * 1024 * 1024,
        }),
      );
      assert.equal((await j.answer).status, 413);
      assert.deepEqual(partials(s), []);
    });

    const suite = { after: (fn: () => void) => cleanups.push(fn) };
    test('the publisher signature is checked right after the manifest: an unsigned or foreign archive is refused for that, before its entries are looked at', async () => {
      const pick = (zip: Buffer, name: string) => {
        const f = join(tmp(suite), 'a.zip');
        writeFileSync(f, zip);
        return execFileSync('unzip', ['-p', f, name]);
      };
      // Manifest (and signature) without the payload entries the manifest names: reading the
      // entries would fail with HFX_E_ARCHIVE; the signature check comes first.
      const unsigned = forgeZip([{ name: MANIFEST_NAME, data: pick(signed, MANIFEST_NAME) }]);
      const foreign = forgeZip([
        { name: MANIFEST_NAME, data: pick(foreignSigned, MANIFEST_NAME) },
        { name: SIGNATURE_NAME, data: pick(foreignSigned, SIGNATURE_NAME) },
      ]);
      const u = await api(s.url, 'POST', '/v1/archives', tok.dev, new Uint8Array(unsigned));
      assert.deepEqual([u.status, u.body.error.code], [422, 'HFX_E_UNSIGNED']);
      const f = await api(s.url, 'POST', '/v1/archives', tok.dev, new Uint8Array(foreign));
      assert.deepEqual([f.status, f.body.error.code], [422, 'HFX_E_UNTRUSTED'], JSON.stringify(f.body));
      // With the signature trusted, the same missing entries are what is wrong.
      const trusted = forgeZip([
        { name: MANIFEST_NAME, data: pick(signed, MANIFEST_NAME) },
        { name: SIGNATURE_NAME, data: pick(signed, SIGNATURE_NAME) },
      ]);
      const t = await api(s.url, 'POST', '/v1/archives', tok.dev, new Uint8Array(trusted));
      assert.deepEqual([t.status, t.body.error.code], [422, 'HFX_E_ARCHIVE'], JSON.stringify(t.body));
      assert.deepEqual((await api(s.url, 'GET', '/v1/archives', tok.admin)).body.archives, []);
    });

    test('uploads bound the manifest size and the number of entries', async () => {
      const big = forgeZip([
        { name: MANIFEST_NAME, data: Buffer.from(JSON.stringify({ pad: 'x'.repeat(70 * 1024) })) },
      ]);
      const m = await api(s.url, 'POST', '/v1/archives', tok.dev, new Uint8Array(big));
      assert.deepEqual([m.status, m.body.error.code], [422, 'HFX_E_MANIFEST']);
      assert.match(m.body.error.message, /limit is 65536/);
      const many = forgeZip(Array.from({ length: 51 }, (_, i) => ({ name: `payload/f${i}`, data: Buffer.from('x') })));
      const e = await api(s.url, 'POST', '/v1/archives', tok.dev, new Uint8Array(many));
      assert.deepEqual([e.status, e.body.error.code], [413, 'HFX_E_TOO_LARGE']);
      assert.match(e.body.error.message, /51 entries; the limit is 50/);
      assert.deepEqual(partials(s), []);
    });

    test('one token has at most its limit of uploads in flight (2 here); the next waits (429, Retry-After), another token does not', async () => {
      const slow = () =>
        rawExchange(
          s.port,
          head('POST', '/v1/archives', {
            'content-type': 'application/zip',
            authorization: `Bearer ${tok.dev}`,
            'content-length': signed.length,
          }) + signed.subarray(0, 100).toString('latin1'),
        );
      const a = slow();
      const b = slow();
      await new Promise((r) => setTimeout(r, 300));
      const third = await api(s.url, 'POST', '/v1/archives', tok.dev, new Uint8Array(signed));
      assert.deepEqual([third.status, third.body.error.code], [429, 'HFX_E_RATE_LIMITED']);
      assert.equal(third.headers.get('retry-after'), '5');
      const other = await api(s.url, 'POST', '/v1/archives', tok.dev2, new Uint8Array(signed));
      assert.equal(other.status, 201, JSON.stringify(other.body));
      // One of the two gives up: its place is free again.
      a.socket.destroy();
      await a.closed;
      await new Promise((r) => setTimeout(r, 100));
      const again = await api(s.url, 'POST', '/v1/archives', tok.dev, new Uint8Array(signed));
      assert.equal(again.status, 200, JSON.stringify(again.body));
      b.socket.destroy();
    });
  });

describe('slow clients', () => {
  let s: Server;
  let admin = '';
  before(async () => {
    s = await testServer({
      limits: { headersTimeoutMs: 600, bodyTimeoutMs: 600, idleTimeoutMs: 1500, minUploadRate: 1024 * 1024 },
    });
    admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body.token;
  });
  after(async () => maybe(s)?.dispose());

  test('headers that trickle in (slowloris) are cut off: 408 HFX_E_TIMEOUT, connection closed', async () => {
    const x = rawExchange(s.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => x.socket.write('X-Drip: 1\r\n'), 100);
    try {
      const a = await x.answer;
      assert.equal(a.status, 408, a.body);
      assert.equal(a.json.error.code, 'HFX_E_TIMEOUT');
      const ms = await x.closed;
      assert.ok(ms >= 600 && ms < 3000, `closed after ${ms} ms`);
    } finally {
      clearInterval(drip);
    }
  });

  test('a body that stops coming is cut off at its deadline: 408 HFX_E_TIMEOUT, nothing recorded', async () => {
    const x = rawExchange(
      s.port,
      head('POST', '/v1/customers', {
        'content-type': 'application/json',
        authorization: `Bearer ${admin}`,
        'content-length': 40,
      }) + '{"id":"slow","na',
    );
    const a = await x.answer;
    assert.equal(a.status, 408, a.body);
    assert.equal(a.json.error.code, 'HFX_E_TIMEOUT');
    assert.ok(a.ms >= 600 && a.ms < 3000, `answered after ${a.ms} ms`);
    await x.closed;
    assert.deepEqual((await api(s.url, 'GET', '/v1/customers', admin)).body.customers, []);
  });

  test('an upload gets the body deadline plus its length at the minimum rate, then is cut off and leaves no partial file', async () => {
    // 2 MiB at 1 MiB/s: 0.6 s + 2 s. A byte every 200 ms keeps the connection from idling.
    const x = rawExchange(
      s.port,
      head('POST', '/v1/archives', {
        'content-type': 'application/zip',
        authorization: `Bearer ${admin}`,
        'content-length': 2 * 1024 * 1024,
      }) + 'PK\x03\x04',
    );
    const drip = setInterval(() => x.socket.write('x'), 200);
    const a = await x.answer;
    clearInterval(drip);
    assert.equal(a.status, 408, a.body);
    assert.ok(a.ms >= 2600 && a.ms < 6000, `answered after ${a.ms} ms`);
    await x.closed;
    for (let i = 0; i < 50 && partials(s).length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(partials(s), []);
  });

  test('a connection with nothing to say is closed after the idle timeout', async () => {
    const x = rawExchange(s.port, '');
    const ms = await x.closed;
    assert.ok(ms >= 600 && ms < 4000, `closed after ${ms} ms`);
  });

  test('the defaults are the documented ones', () => {
    assert.deepEqual(
      [
        DEFAULT_LIMITS.headersTimeoutMs,
        DEFAULT_LIMITS.bodyTimeoutMs,
        DEFAULT_LIMITS.idleTimeoutMs,
        DEFAULT_LIMITS.shutdownGraceMs,
        DEFAULT_LIMITS.uploadsPerToken,
      ],
      [20_000, 30_000, 60_000, 10_000, 4],
    );
    const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
    for (const phrase of ['20 s', '30 s', '60 s', '10 s', '64 KiB/s', '4 uploads', '64 MiB', '500,000 entries'])
      assert.ok(doc.includes(phrase), `docs/security.md names ${phrase}`);
  });
});
