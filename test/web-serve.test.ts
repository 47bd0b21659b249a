import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'node:http';
import Fastify, { type FastifyReply } from 'fastify';
import { registerWeb, WEB_DIR } from '../src/server/web.js';
import { tmp } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { testServer } from './helpers/server.js';

const HTML = { accept: 'text/html,application/xhtml+xml' };

describe('the server serves the dashboard', () => {
  let s: Awaited<ReturnType<typeof testServer>>;
  before(async () => {
    assert.ok(existsSync(join(WEB_DIR, 'index.html')), 'npm run build makes dist/web');
    s = await testServer({});
  });
  after(() => maybe(s)?.dispose());

  test('the app at / and at any deep link a browser opens, with a strict CSP', async () => {
    for (const path of ['/', '/cases/12', '/pipeline/demo?x=1']) {
      const r = await fetch(`${s.url}${path}`, { headers: HTML });
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/);
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'/);
      assert.equal(r.headers.get('cache-control'), 'no-cache');
      assert.match(await r.text(), /<div id="root">/);
    }
  });

  test('hashed assets are cached for a year and sent gzipped when asked', async () => {
    const html = await (await fetch(`${s.url}/`, { headers: HTML })).text();
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(js, 'index.html names its script');
    const r = await fetch(`${s.url}${js}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(r.headers.get('content-encoding'), 'gzip');
    assert.match(r.headers.get('content-type') ?? '', /javascript/);
    assert.equal(r.headers.get('vary'), 'accept-encoding');
    // The compressed copy is only ever the original's body, not a file of its own.
    const gz = await fetch(`${s.url}${js}.gz`);
    assert.equal(gz.status, 404);
  });

  test('API paths, missing assets and non-browser requests keep the JSON 404', async () => {
    for (const [path, headers] of [
      ['/v1/nothing', HTML],
      ['/assets/nothing.js', HTML],
      ['/cases/12', { accept: 'application/json' }],
    ] as const) {
      const r = await fetch(`${s.url}${path}`, { headers });
      assert.equal(r.status, 404, path);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'HFX_E_NOT_FOUND', path);
    }
    const post = await fetch(`${s.url}/cases`, {
      method: 'POST',
      headers: { ...HTML, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(post.status, 404);
    assert.equal(((await post.json()) as { error: { code: string } }).error.code, 'HFX_E_NOT_FOUND');
  });

  test('no file outside the build is reachable, however the path is spelt', async () => {
    // Raw request lines: fetch would normalise the dots away before sending.
    for (const path of [
      '/assets/../../package.json',
      '/assets/..%2f..%2fpackage.json',
      '/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
    ]) {
      const { status, body } = await raw(s.url, path);
      assert.doesNotMatch(body, /"name": "hfx"/, path);
      assert.ok(status === 404 || body.includes('<div id="root">'), `${path}: ${status}`);
    }
  });

  test('without a build nothing is registered; with one, browsers get the app', async (t) => {
    const empty = tmp(t);
    const app = Fastify();
    const notFound = (_req: unknown, reply: FastifyReply) =>
      reply.status(404).send({ error: { code: 'HFX_E_NOT_FOUND' } });
    assert.equal(await registerWeb(app, notFound, empty), false);
    assert.equal((await app.inject({ url: '/', headers: HTML })).statusCode, 404);
    mkdirSync(join(empty, 'assets'));
    writeFileSync(join(empty, 'index.html'), '<!doctype html><div id="root"></div>');
    const app2 = Fastify();
    assert.equal(await registerWeb(app2, notFound, empty), true);
    const r = await app2.inject({ url: '/anything', headers: HTML });
    assert.equal(r.statusCode, 200);
    await app.close();
    await app2.close();
  });
});

function raw(base: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: HTML }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
