import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { HfxError } from '../src/errors.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { verifyWebhook } from '../src/server/notify/sign.js';
import { checkWebhookUrl, postWebhook, type ResolvedAddress } from '../src/server/notify/target.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';

// Fast worker rounds, so end-to-end deliveries are seen within a second.
process.env.HFX_NOTIFY_POLL_MS = '100';

const LOOPBACK = ['127.0.0.1/32'];
/** What every failed delivery says, whatever went wrong on the wire (10 s: the worker's timeout). */
const FAILED_10S = 'webhook delivery failed: the receiver did not accept it (no 2xx answer within 10 s)';

/** The error code a call throws (sync or async), or 'ok'. */
async function outcome(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (e) {
    return e instanceof HfxError ? e.code : `plain: ${(e as Error).message}`;
  }
}

async function thrown(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

interface Receiver {
  server: Server;
  port: number;
  url: string;
  connections: number;
  requests: { url: string; headers: IncomingMessage['headers']; body: string }[];
  close: () => Promise<void>;
}

/** What these tests read of an outbox row (GET /v1/notifications). */
interface OutboxRow {
  target: string;
  delivered_at: string | null;
  last_error: string | null;
}

/** An HTTP receiver that counts TCP connections, so a test can prove none was made. */
async function receiver(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
  port = 0,
): Promise<Receiver> {
  const r = { connections: 0, requests: [] } as unknown as Receiver;
  r.server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      r.requests.push({ url: req.url ?? '', headers: req.headers, body });
      handler(req, res);
    });
  });
  r.server.on('connection', () => r.connections++);
  await new Promise<void>((ok) => r.server.listen(port, host, ok));
  r.port = (r.server.address() as AddressInfo).port;
  r.url = `http://${host}:${r.port}`;
  r.close = async () => {
    r.server.closeAllConnections();
    await new Promise((ok) => r.server.close(ok));
  };
  return r;
}

const answer =
  (status: number, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(status, headers).end();

describe('webhook targets: checkWebhookUrl', () => {
  test('blocked ranges and spellings: loopback, private, link-local, metadata, CGNAT, multicast, broadcast and IPv6 special ranges are refused', async () => {
    const blocked = [
      // IPv4 loopback in every spelling the WHATWG parser folds into 127.0.0.1
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://0x7f000001/',
      'http://0x7f.1/',
      'http://127.1/',
      'http://0177.0.0.1/',
      'http://127.0.0.1./',
      'https://127.8.9.10:8443/x?y=1',
      'http://127.0.0.1:9/hook',
      // "this network", private, link-local / cloud metadata, CGNAT, multicast, broadcast, reserved
      'http://0/',
      'http://0.0.0.0/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://172.31.255.255/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://224.0.0.1/',
      'http://255.255.255.255/',
      'http://240.0.0.1/',
      'http://192.0.0.1/',
      'http://192.0.2.1/',
      'http://198.18.0.1/',
      'http://198.51.100.1/',
      'http://203.0.113.1/',
      // IPv6: loopback, unspecified, IPv4-mapped (both spellings), link-local, unique-local, multicast, NAT64, 6to4, Teredo …
      'http://[::1]/',
      'http://[::]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
      'http://[::ffff:8.8.8.8]/',
      'http://[::127.0.0.1]/',
      'http://[fe80::1]/',
      'http://[fc00::1]/',
      'http://[fd12::1]/',
      'http://[ff02::1]/',
      'http://[64:ff9b::7f00:1]/',
      'http://[64:ff9b:1::1]/',
      'http://[2002:7f00:1::]/',
      'http://[2001::1]/',
      'http://[2001:db8::1]/',
      'http://[100::1]/',
      'http://[fec0::1]/',
      'https://[::1]:8443/',
      // loopback names, whatever DNS would say
      'http://localhost/',
      'http://localhost:8080/x',
      'http://foo.localhost/',
      'http://LOCALHOST./',
      'http://a.b.LocalHost../',
    ];
    const got = await Promise.all(blocked.map(async (u) => [u, await outcome(() => checkWebhookUrl(u, []))]));
    assert.deepEqual(
      got.filter(([, c]) => c !== 'HFX_E_TARGET_BLOCKED'),
      [],
      'every one is refused with HFX_E_TARGET_BLOCKED',
    );
    for (const spelling of ['http://2130706433/', 'http://0x7f.1/', 'http://127.1/', 'http://0177.0.0.1/']) {
      const e = await thrown(() => checkWebhookUrl(spelling, []));
      assert.match(e.message, /127\.0\.0\.1 is blocked: a loopback address \(127\.0\.0\.0\/8\)/, spelling);
      assert.ok(e instanceof HfxError, spelling);
      assert.match(e.hint ?? '', /hfx serve --webhook-allow CIDR \(HFX_WEBHOOK_ALLOW\)/);
    }
    const mapped = await thrown(() => checkWebhookUrl('http://[::ffff:127.0.0.1]/', []));
    assert.match(mapped.message, /::ffff:7f00:1 is blocked: an IPv4-mapped address/);
  });

  test('only http(s) URLs without user:pass@ are webhook targets', async () => {
    for (const u of [
      'ftp://example.com/hook',
      'file:///etc/passwd',
      'gopher://example.com/',
      'javascript:alert(1)',
      'not a url',
      '//example.com/x',
      'http://user:pass@example.com/',
      'https://user@example.com/',
      'http://example.com@127.0.0.1/',
      'http://127.0.0.1@example.com/',
    ]) {
      assert.equal(await outcome(() => checkWebhookUrl(u, LOOPBACK)), 'HFX_E_USAGE', u);
    }
  });

  test('public addresses and host names are allowed (a host name is checked when it is resolved, at delivery)', async () => {
    for (const u of [
      'http://93.184.216.34/',
      'https://93.184.216.34:8443/hook?x=1',
      'http://[2606:4700::1111]/',
      'https://8.8.8.8/',
      'http://100.128.0.1/',
      'http://172.32.0.1/',
      'http://hooks.example.com/hfx',
      'https://localhost.example.com/',
      'http://127.0.0.1.nip.io/',
      'HTTPS://Hooks.Example.COM./x',
    ]) {
      assert.equal(await outcome(() => checkWebhookUrl(u, [])), 'ok', u);
    }
  });

  test('allow list: --webhook-allow 127.0.0.1/32 opens 127.0.0.1 in every spelling but not 127.0.0.2 or ::1', async () => {
    for (const u of [
      'http://127.0.0.1:9/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost/',
    ]) {
      assert.equal(await outcome(() => checkWebhookUrl(u, [])), 'HFX_E_TARGET_BLOCKED', `${u} without the allow list`);
      assert.equal(await outcome(() => checkWebhookUrl(u, LOOPBACK)), 'ok', `${u} with 127.0.0.1/32`);
    }
    for (const u of ['http://127.0.0.2/', 'http://[::1]/', 'http://10.0.0.1/', 'http://169.254.169.254/']) {
      assert.equal(await outcome(() => checkWebhookUrl(u, LOOPBACK)), 'HFX_E_TARGET_BLOCKED', u);
    }
    const inHouse = ['10.20.0.0/16', 'fd00:1::/32'];
    assert.equal(await outcome(() => checkWebhookUrl('http://10.20.5.5/', inHouse)), 'ok');
    assert.equal(await outcome(() => checkWebhookUrl('http://[fd00:1:2::3]/', inHouse)), 'ok');
    assert.equal(await outcome(() => checkWebhookUrl('http://10.21.0.1/', inHouse)), 'HFX_E_TARGET_BLOCKED');
    assert.equal(await outcome(() => checkWebhookUrl('http://[fd00:2::1]/', inHouse)), 'HFX_E_TARGET_BLOCKED');
    // An IPv6 range does not leak into IPv4: opening all of IPv6 keeps 127.0.0.1 closed in both spellings.
    assert.equal(await outcome(() => checkWebhookUrl('http://127.0.0.1/', ['::/0'])), 'HFX_E_TARGET_BLOCKED');
    assert.equal(await outcome(() => checkWebhookUrl('http://[::ffff:127.0.0.1]/', ['::/0'])), 'HFX_E_TARGET_BLOCKED');
    assert.equal(await outcome(() => checkWebhookUrl('http://[::2]/', ['::/0'])), 'ok');
    // … but an IPv4 range spelled as IPv4-mapped IPv6 is that IPv4 range.
    assert.equal(await outcome(() => checkWebhookUrl('http://10.9.8.7/', ['::ffff:10.0.0.0/104'])), 'ok');
    assert.equal(await outcome(() => checkWebhookUrl('http://[::ffff:10.9.8.7]/', ['::ffff:10.0.0.0/104'])), 'ok');
    assert.equal(await outcome(() => checkWebhookUrl('http://10.0.0.1/', ['::ffff:10.0.0.1'])), 'ok');
    assert.equal(await outcome(() => checkWebhookUrl('http://10.0.0.2/', ['::ffff:10.0.0.1'])), 'HFX_E_TARGET_BLOCKED');
  });
});

describe('webhook delivery: postWebhook', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });
  const open = async (handler: (req: IncomingMessage, res: ServerResponse) => void, host?: string, port?: number) => {
    const r = await receiver(handler, host, port);
    closers.push(r.close);
    return r;
  };
  const answers = (list: ResolvedAddress[]) => () => Promise.resolve(list);

  test('no DNS rebinding: a host name resolving to 127.0.0.1 is refused before any connection is made', async () => {
    const r = await open(answer(200));
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '::1']) {
      const lookup = answers([{ address, family: address.includes(':') ? 6 : 4 }]);
      const e = await thrown(() => postWebhook(`http://hooks.hfx.test:${r.port}/hfx`, {}, '{}', { lookup }));
      assert.ok(e instanceof HfxError, address);
      assert.equal(e.code, 'HFX_E_TARGET_BLOCKED', address);
      assert.match(
        e.message,
        /hooks\.hfx\.test is blocked: it resolves to a loopback, private, link-local or other internal address/,
      );
      assert.ok(!e.message.includes(address), 'the internal address itself is not shown');
    }
    assert.equal(r.connections, 0, 'the receiver on 127.0.0.1 saw no connection');
  });

  test('no DNS rebinding: one answer listing a public and a private address is refused', async () => {
    const r = await open(answer(200));
    for (const list of [
      [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
      [
        { address: '2606:4700::1111', family: 6 },
        { address: '10.0.0.1', family: 4 },
      ],
      [
        { address: '93.184.216.34', family: 4 },
        { address: 'fe80::1', family: 6 },
      ],
    ]) {
      const o = { lookup: answers(list), timeoutMs: 500 };
      assert.equal(
        await outcome(() => postWebhook(`http://hooks.hfx.test:${r.port}/`, {}, '{}', o)),
        'HFX_E_TARGET_BLOCKED',
      );
    }
    assert.equal(r.connections, 0);
  });

  test('no DNS rebinding: the name is resolved once and the socket connects to the address that was checked', async () => {
    // 127.0.0.2 is opened, 127.0.0.1 is not; both listen on one port. A rebinding DNS server answers the
    // allowed address to the check and the internal one to any later lookup.
    const good = await open(answer(204), '127.0.0.2');
    const internal = await open(answer(200), '127.0.0.1', good.port);
    let calls = 0;
    const rebinding = () =>
      Promise.resolve(calls++ === 0 ? [{ address: '127.0.0.2', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const res = await postWebhook(`http://hooks.hfx.test:${good.port}/hfx`, { 'x-test': '1' }, '{"a":1}', {
      allow: ['127.0.0.2/32'],
      lookup: rebinding,
    });
    assert.equal(res.status, 204);
    assert.equal(calls, 1, 'resolved once');
    assert.equal(good.requests.length, 1);
    assert.equal(good.requests[0]!.headers.host, `hooks.hfx.test:${good.port}`);
    assert.equal(good.requests[0]!.body, '{"a":1}');
    assert.equal(internal.connections, 0);
    // A second delivery resolves again and is refused: the name now points inside.
    const again = () =>
      postWebhook(`http://hooks.hfx.test:${good.port}/hfx`, {}, '{}', { allow: ['127.0.0.2/32'], lookup: rebinding });
    assert.equal(await outcome(again), 'HFX_E_TARGET_BLOCKED');
    assert.equal(internal.connections, 0);
  });

  test('no redirects: a 302 to another allowed receiver fails the delivery and that receiver sees nothing', async () => {
    const second = await open(answer(200));
    for (const status of [301, 302, 303, 307, 308]) {
      const first = await open(answer(status, { location: `${second.url}/stolen` }));
      const e = await thrown(() => postWebhook(`${first.url}/hfx`, {}, '{}', { allow: LOOPBACK }));
      assert.equal(e.message, FAILED_10S, String(status));
      assert.equal(first.requests.length, 1);
    }
    assert.equal(second.connections, 0);
  });

  test('errors do not reveal open ports: closed port, reset, silence, HTTP 500, redirect, DNS and TLS failures all read the same', async () => {
    const gone = await receiver(answer(200));
    await gone.close();
    const silent = await open(() => undefined);
    const failing = await open(answer(500));
    const moved = await open(answer(302, { location: 'http://example.com/' }));
    const reset = createTcpServer((sock) => sock.resetAndDestroy());
    await new Promise<void>((ok) => reset.listen(0, '127.0.0.1', ok));
    closers.push(() => new Promise((ok) => reset.close(() => ok())));
    const resetPort = (reset.address() as AddressInfo).port;
    const o = { allow: LOOPBACK, timeoutMs: 300 };
    const notFound = (): Promise<ResolvedAddress[]> =>
      Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.hfx.test'), { code: 'ENOTFOUND' }));
    const cases: [string, () => Promise<unknown>][] = [
      ['closed port', () => postWebhook(`${gone.url}/`, {}, '{}', o)],
      ['connection reset', () => postWebhook(`http://127.0.0.1:${resetPort}/`, {}, '{}', o)],
      ['accepts, never answers', () => postWebhook(`${silent.url}/`, {}, '{}', o)],
      ['HTTP 500', () => postWebhook(`${failing.url}/`, {}, '{}', o)],
      ['redirect', () => postWebhook(`${moved.url}/`, {}, '{}', o)],
      ['TLS to a plain HTTP port', () => postWebhook(`https://127.0.0.1:${failing.port}/`, {}, '{}', o)],
      ['unknown name', () => postWebhook('http://nowhere.hfx.test/', {}, '{}', { ...o, lookup: notFound })],
      ['no address', () => postWebhook('http://nowhere.hfx.test/', {}, '{}', { ...o, lookup: answers([]) })],
    ];
    const messages = new Map<string, string>();
    for (const [what, run] of cases) {
      const t0 = Date.now();
      const e = await thrown(run);
      assert.ok(Date.now() - t0 < 3000, `${what} is over within the timeout`);
      assert.ok(!(e instanceof HfxError), `${what}: not a policy refusal`);
      messages.set(what, e.message);
    }
    const same = 'webhook delivery failed: the receiver did not accept it (no 2xx answer within 0.3 s)';
    assert.deepEqual(new Set(messages.values()), new Set([same]), JSON.stringify([...messages]));
    assert.equal(silent.requests.length, 1, 'the silent receiver did get the request');
    // A blocked address is about policy, not the port, and says so.
    const blockedMsg = (await thrown(() => postWebhook(`${failing.url}/`, {}, '{}', { timeoutMs: 300 }))).message;
    assert.match(blockedMsg, /127\.0\.0\.1 is blocked: a loopback address/);
  });

  test(
    'a receiver answering 2xx is read at most 64 KiB, then the connection is closed (no waiting for an endless answer)',
    { timeout: 20_000 },
    async () => {
      const conn = { closed: false };
      const endless = await open((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16 * 1024, 'x');
        // One chunk per turn of the event loop, so the sender in this same process gets to run.
        const pump = () => {
          if (!conn.closed) res.write(chunk, () => setImmediate(pump));
        };
        res.on('close', () => (conn.closed = true));
        pump();
      });
      const t0 = Date.now();
      assert.equal((await postWebhook(`${endless.url}/`, {}, '{}', { allow: LOOPBACK, timeoutMs: 5000 })).status, 200);
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
      for (let i = 0; i < 50 && !conn.closed; i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(conn.closed, 'the connection was closed by the sender');
    },
  );

  test('a delivery is aborted by its signal (the worker stopping) without waiting for the timeout', async () => {
    const silent = await open(() => undefined);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const t0 = Date.now();
    const e = await thrown(() => postWebhook(`${silent.url}/`, {}, '{}', { allow: LOOPBACK, signal: stop.signal }));
    assert.equal(e.message, FAILED_10S);
    assert.ok(Date.now() - t0 < 3000);
  });
});

for (const store of STORES)
  describe(`webhook targets through the server on ${store}`, () => {
    let closed: Awaited<ReturnType<typeof testServer>>;
    let opened: Awaited<ReturnType<typeof testServer>>;
    const tok = { closed: '', opened: '' };
    const closers: (() => Promise<void>)[] = [];
    const login = async (s: typeof closed) =>
      (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
        .token as string;
    const newCase = async () => {
      const intake = {
        title: 'broken',
        source: 'monitoring',
        reporter: 'grafana',
        product: 'demo',
        impact: 'all',
        severity: 'S1',
      };
      const c = await api(opened.url, 'POST', '/v1/cases', tok.opened, intake);
      assert.equal(c.status, 201, JSON.stringify(c.body));
      return c.body.id as number;
    };
    /** The outbox row for `target` once the worker has tried it (delivered or failed). */
    const tried = async (target: string): Promise<OutboxRow> => {
      for (let i = 0; i < 200; i++) {
        const rows: OutboxRow[] = (await api(opened.url, 'GET', '/v1/notifications', tok.opened)).body.notifications;
        const row = rows.find((r) => r.target === target && (Boolean(r.delivered_at) || Boolean(r.last_error)));
        if (row) return row;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no delivery attempt to ${target}`);
    };

    before(async () => {
      closed = await testServer({ store });
      opened = await testServer({ store, limits: { webhookAllow: LOOPBACK } });
      tok.closed = await login(closed);
      tok.opened = await login(opened);
    });
    after(async () => {
      for (const c of closers.reverse()) await c();
      await maybe(closed)?.dispose();
      await maybe(opened)?.dispose();
    });

    test('a blocked literal is refused at subscribe time with 400 HFX_E_TARGET_BLOCKED, and nothing is stored', async () => {
      const list = async () => (await api(closed.url, 'GET', '/v1/subscriptions', tok.closed)).body.subscriptions;
      const before = await list();
      for (const target of [
        'http://127.0.0.1:9/hook',
        'http://2130706433/',
        'http://[::ffff:127.0.0.1]/',
        'http://169.254.169.254/latest/meta-data/',
        'http://10.0.0.5:8080/',
        'http://[fd12::1]/',
        'http://localhost:8080/',
      ]) {
        const r = await api(closed.url, 'POST', '/v1/subscriptions', tok.closed, {
          kind: 'webhook',
          target,
          events: ['case.created'],
        });
        assert.equal(r.status, 400, target);
        assert.equal(r.body.error.code, 'HFX_E_TARGET_BLOCKED', target);
        assert.match(r.body.error.hint, /hfx serve --webhook-allow CIDR/);
      }
      const withCreds = { kind: 'webhook', target: 'https://user:pass@hooks.example.com/', events: ['case.created'] };
      const creds = await api(closed.url, 'POST', '/v1/subscriptions', tok.closed, withCreds);
      assert.equal(creds.status, 400);
      assert.deepEqual(await list(), before);
      const audit = (await api(closed.url, 'GET', '/v1/audit?object_type=subscription', tok.closed)).body.entries ?? [];
      assert.equal(audit.length, 0, 'nothing audited either');
    });

    test('end to end: with --webhook-allow 127.0.0.1/32 a receiver on 127.0.0.1 gets the signed event; without it the same subscription is refused', async () => {
      const r = await receiver(answer(202));
      closers.push(r.close);
      const target = `${r.url}/hfx`;
      const refused = await api(closed.url, 'POST', '/v1/subscriptions', tok.closed, {
        kind: 'webhook',
        target,
        events: ['case.created'],
      });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'HFX_E_TARGET_BLOCKED');
      const sub = await api(opened.url, 'POST', '/v1/subscriptions', tok.opened, {
        kind: 'webhook',
        target,
        events: ['case.created'],
      });
      assert.equal(sub.status, 201, JSON.stringify(sub.body));
      try {
        const id = await newCase();
        const row = await tried(target);
        assert.ok(row.delivered_at, JSON.stringify(row));
        assert.equal(r.requests.length, 1);
        const q = r.requests[0]!;
        assert.equal(q.headers['x-hfx-event-id'], `case.created:${id}`);
        assert.equal(q.headers['user-agent'], 'hfx-webhook/1');
        assert.ok(
          verifyWebhook(
            sub.body.secret,
            String(q.headers['x-hfx-timestamp']),
            q.body,
            String(q.headers['x-hfx-signature']),
          ),
        );
      } finally {
        await api(opened.url, 'DELETE', `/v1/subscriptions/${sub.body.id}`, tok.opened);
      }
    });

    test('end to end: a subscription made while 127.0.0.1 was open is refused at delivery once it is closed, and the outbox says it is blocked', async () => {
      const r = await receiver(answer(200));
      closers.push(r.close);
      const s = await testServer({ store, limits: { webhookAllow: LOOPBACK } });
      let s2: RunningServer | null = null;
      closers.push(async () => {
        await s2?.close();
        if (s.databaseUrl) {
          const pg = (await import('pg')).default;
          const c = new pg.Client({ connectionString: process.env.HFX_TEST_DATABASE_URL! });
          await c.connect();
          await c.query(`drop database if exists ${new URL(s.databaseUrl).pathname.slice(1)} with (force)`);
          await c.end();
        }
        rmSync(s.dir, { recursive: true, force: true });
      });
      const admin = await login(s);
      const target = `${r.url}/hfx`;
      assert.equal(
        (await api(s.url, 'POST', '/v1/subscriptions', admin, { kind: 'webhook', target, events: ['case.created'] }))
          .status,
        201,
      );
      await s.close();
      // The operator closes the range again: the stored subscription is checked at every delivery.
      s2 = await startServer({
        dataDir: s.dir,
        databaseUrl: s.databaseUrl,
        adminPassword: s.adminPassword,
        port: 0,
        tufKeys: join(s.tufDir, 'server'),
      });
      const intake = {
        title: 'broken',
        source: 'monitoring',
        reporter: 'grafana',
        product: 'demo',
        impact: 'all',
        severity: 'S1',
      };
      assert.equal((await api(s2.url, 'POST', '/v1/cases', admin, intake)).status, 201);
      let row: OutboxRow | undefined;
      for (let i = 0; i < 200 && !row; i++) {
        const rows: OutboxRow[] = (await api(s2.url, 'GET', '/v1/notifications', admin)).body.notifications;
        row = rows.find((n) => n.target === target && n.last_error);
        if (!row) await new Promise((ok) => setTimeout(ok, 50));
      }
      assert.ok(row, 'the delivery was attempted');
      assert.equal(row.delivered_at, null);
      const blocked = /^webhook target 127\.0\.0\.1 is blocked: a loopback address \(127\.0\.0\.0\/8\)$/;
      assert.match(row.last_error ?? '', blocked);
      assert.equal(r.connections, 0);
    });

    test('end to end: a redirect is not followed, and the outbox says only that the receiver did not accept it', async () => {
      const second = await receiver(answer(200));
      const first = await receiver(answer(302, { location: `${second.url}/stolen` }));
      closers.push(first.close, second.close);
      const target = `${first.url}/hfx`;
      const sub = await api(opened.url, 'POST', '/v1/subscriptions', tok.opened, {
        kind: 'webhook',
        target,
        events: ['case.created'],
      });
      assert.equal(sub.status, 201);
      try {
        await newCase();
        const row = await tried(target);
        assert.equal(row.delivered_at, null);
        assert.equal(row.last_error, FAILED_10S);
        assert.equal(first.requests.length, 1);
        assert.equal(second.connections, 0, 'the redirect target saw nothing');
      } finally {
        await api(opened.url, 'DELETE', `/v1/subscriptions/${sub.body.id}`, tok.opened);
      }
    });
  });
