// `hfx serve` as a user starts it: flags and environment reach the server. The upload limit is
// the one a test needs a real process for: an archive over it is refused with a hint naming the
// flag, and its partial upload is not kept.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { bytes } from '../src/cli/command.js';
import { isHfxError } from '../src/errors.js';
import { hfx } from './helpers/cli.js';
import { tmp } from './helpers/fixtures.js';
import { rawExchange } from './helpers/raw-http.js';
import { api } from './helpers/server.js';

const BIN = fileURLToPath(new URL('../../bin/hfx.js', import.meta.url));

/** `hfx serve --port 0 --quiet ARGS` as a process, with the first admin's password set; resolves once it listens. */
async function startServe(
  t: TestContext,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--quiet', ...args], {
    env: { ...process.env, HFX_ADMIN_PASSWORD: 'serve-test-password-1', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start in 60 s:\n${stderr}`)), 60_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /hfx server on (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${String(code)}:\n${stderr}`)));
  });
  return { url, child, stderr: () => stderr };
}

test('sizes: whole numbers with binary units; anything else is HFX_E_USAGE', () => {
  assert.equal(bytes('512', 'x'), 512);
  assert.equal(bytes('2K', 'x'), 2048);
  assert.equal(bytes('100MiB', 'x'), 100 * 1024 ** 2);
  assert.equal(bytes('4g', 'x'), 4 * 1024 ** 3);
  assert.equal(bytes(undefined, 'x', 7), 7);
  for (const bad of ['', '0', '-1', '1.5G', '5X', 'G', '4 GB extra', undefined, '99999999999T']) {
    assert.throws(
      () => bytes(bad, 'max-upload'),
      (e: unknown) => isHfxError(e, 'HFX_E_USAGE') && (e as Error).message.includes('--max-upload'),
      String(bad),
    );
  }
});

test('hfx serve --max-upload refuses a bad size before starting', async (t) => {
  const r = await hfx(['serve', '--max-upload', '5X', '--port', '0', '--data', tmp(t)]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /HFX_E_USAGE/);
  assert.match(r.stderr, /--max-upload must be a size/);
});

test('hfx serve --max-upload 2K: a larger upload is 413 HFX_E_TOO_LARGE naming the flag, and leaves no partial file', async (t) => {
  const data = tmp(t);
  const { url } = await startServe(t, ['--data', data, '--max-upload', '2K']);
  const admin = (await api(url, 'POST', '/v1/login', null, { username: 'admin', password: 'serve-test-password-1' }))
    .body.token as string;
  const r = await api(url, 'POST', '/v1/archives', admin, new Uint8Array(3000).fill(0x50));
  assert.equal(r.status, 413, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'HFX_E_TOO_LARGE');
  assert.match(r.body.error.message, /over 2048 bytes/);
  assert.match(r.body.error.hint, /hfx serve --max-upload/);
  assert.deepEqual(readdirSync(join(data, 'blobs', 'tmp')), []);
  assert.deepEqual((await api(url, 'GET', '/v1/archives', admin)).body.archives, []);
});

test('SIGTERM: a request in flight finishes within the grace period, a stalled one is cut off at its end, and the process exits', async (t) => {
  const data = tmp(t);
  const { url, child, stderr } = await startServe(t, ['--data', data], { HFX_SHUTDOWN_GRACE: '2' });
  const port = Number(new URL(url).port);
  const admin = (await api(url, 'POST', '/v1/login', null, { username: 'admin', password: 'serve-test-password-1' }))
    .body.token as string;
  const body = (id: string) => JSON.stringify({ id, name: 'Drained' });
  const head = (id: string) =>
    `POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Type: application/json\r\nContent-Length: ${body(id).length}\r\n\r\n`;
  const inFlight = rawExchange(port, head('drained') + body('drained').slice(0, 10));
  const stalled = rawExchange(port, head('stalled') + body('stalled').slice(0, 10));
  await new Promise((r) => setTimeout(r, 200));
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
    const t0 = Date.now();
    child.on('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
  });
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  inFlight.socket.write(body('drained').slice(10));
  const a = await inFlight.answer;
  assert.equal(a.status, 201, a.body);
  const cut = await stalled.answer;
  assert.equal(cut.status, 0, 'the stalled request gets no answer: its connection is closed');
  const { code, ms } = await exited;
  assert.equal(code, 0, stderr());
  assert.ok(ms >= 1500 && ms < 6000, `exited ${ms} ms after SIGTERM (grace 2 s)`);
});
