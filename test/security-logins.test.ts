// Password guessing (docs/security.md): failed logins slow down the address that makes them, not
// the account; the limit holds for guesses sent all at once; the wait grows with each failure; the
// client address comes from X-Forwarded-For only behind a proxy named by --trust-proxy. Requests
// come from different loopback addresses (127.0.0.2, 127.0.0.3…), through real servers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  addressKey,
  BASE_DELAY_MS,
  delayAfter,
  FREE_PER_ACCOUNT,
  FREE_PER_ADDRESS,
  MAX_DELAY_MS,
} from '../src/server/login-throttle.js';
import { maybe } from './helpers/hooks.js';
import { jsonFrom } from './helpers/raw-http.js';
import { STORES, testServer } from './helpers/server.js';

type Server = Awaited<ReturnType<typeof testServer>>;
const login = (s: Server, from: string, username: string, password: string, headers: Record<string, string> = {}) =>
  jsonFrom(s.url, 'POST', '/v1/login', { from, body: { username, password }, headers });

test('the wait doubles from 1 s after the free failures, up to 15 minutes', () => {
  assert.deepEqual(
    [0, 1, 4].map((n) => delayAfter(n, 5)),
    [0, 0, 0],
  );
  assert.deepEqual(
    [5, 6, 7, 8].map((n) => delayAfter(n, 5)),
    [BASE_DELAY_MS, 2 * BASE_DELAY_MS, 4 * BASE_DELAY_MS, 8 * BASE_DELAY_MS],
  );
  assert.equal(delayAfter(5 + 20, 5), MAX_DELAY_MS);
  assert.equal(delayAfter(1e9, 5), MAX_DELAY_MS);
});

test('addresses are counted as the client has them: IPv4 whole, IPv6 by its /64, IPv4-mapped as IPv4', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
});

for (const store of STORES)
  describe(`login throttling on ${store}`, () => {
    let s: Server;
    before(async () => {
      s = await testServer({ store });
    });
    after(async () => maybe(s)?.dispose());

    test('guesses sent all at once get no more wrong-password answers than the limit; the rest wait', async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => login(s, '127.0.0.2', 'admin', 'not-the-password')),
      );
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((x) => x === 401).length, FREE_PER_ACCOUNT, statuses.join(' '));
      assert.equal(statuses.filter((x) => x === 429).length, 20 - FREE_PER_ACCOUNT, statuses.join(' '));
      const limited = answers.find((a) => a.status === 429)!;
      assert.equal(limited.json.error.code, 'HFX_E_RATE_LIMITED');
      assert.ok(Number(limited.headers['retry-after']) >= 1, JSON.stringify(limited.headers));
      // Even the right password waits at the flooding address…
      assert.equal((await login(s, '127.0.0.2', 'admin', s.adminPassword)).status, 429);
      // …while the real user at another address signs in at once.
      const real = await login(s, '127.0.0.3', 'admin', s.adminPassword);
      assert.equal(real.status, 201, real.body);
    });

    test('the wait grows with each failure and is over when Retry-After says', async () => {
      for (let i = 0; i < FREE_PER_ACCOUNT; i++)
        assert.equal((await login(s, '127.0.0.4', 'admin', 'wrong')).status, 401);
      const first = await login(s, '127.0.0.4', 'admin', 'wrong');
      assert.equal(first.status, 429);
      assert.equal(first.headers['retry-after'], '1');
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await login(s, '127.0.0.4', 'admin', 'wrong')).status, 401, 'allowed again after 1 s');
      const second = await login(s, '127.0.0.4', 'admin', 'wrong');
      assert.equal(second.status, 429);
      assert.equal(second.headers['retry-after'], '2', 'one more failure: twice the wait');
      await new Promise((r) => setTimeout(r, 2100));
      // The right password after the wait signs in and forgets the address's failures for the account.
      assert.equal((await login(s, '127.0.0.4', 'admin', s.adminPassword)).status, 201);
      for (let i = 0; i < FREE_PER_ACCOUNT; i++)
        assert.equal(
          (await login(s, '127.0.0.4', 'admin', 'wrong')).status,
          401,
          `free failure ${i + 1} after a success`,
        );
    });

    test('an address trying many accounts (password spraying) waits too, even for an account it never tried', async () => {
      for (let i = 0; i < FREE_PER_ADDRESS; i++) {
        const r = await login(s, '127.0.0.5', `spray-${i}`, 'Winter2026!');
        assert.equal(r.status, 401, `account ${i}`);
      }
      const next = await login(s, '127.0.0.5', 'never-tried', 'Winter2026!');
      assert.equal(next.status, 429);
      assert.equal(next.json.error.code, 'HFX_E_RATE_LIMITED');
      assert.equal(
        (await login(s, '127.0.0.6', 'never-tried', 'Winter2026!')).status,
        401,
        'another address is not affected',
      );
    });

    test('without --trust-proxy, X-Forwarded-For is ignored: a flood cannot hide behind made-up addresses', async () => {
      for (let i = 0; i < FREE_PER_ACCOUNT; i++)
        await login(s, '127.0.0.7', 'admin', 'wrong', { 'x-forwarded-for': `198.51.100.${i}` });
      const r = await login(s, '127.0.0.7', 'admin', 'wrong', { 'x-forwarded-for': '198.51.100.99' });
      assert.equal(r.status, 429);
    });
  });

describe('login throttling behind a proxy (--trust-proxy)', () => {
  let s: Server;
  before(async () => {
    s = await testServer({ limits: { trustProxy: '127.0.0.1' } });
  });
  after(async () => maybe(s)?.dispose());

  test('the client address comes from X-Forwarded-For of the trusted proxy only', async () => {
    // Through the proxy (127.0.0.1): the flooding client 203.0.113.7 waits, the real user 203.0.113.8 does not.
    for (let i = 0; i < FREE_PER_ACCOUNT; i++)
      assert.equal((await login(s, '127.0.0.1', 'admin', 'wrong', { 'x-forwarded-for': '203.0.113.7' })).status, 401);
    assert.equal((await login(s, '127.0.0.1', 'admin', 'wrong', { 'x-forwarded-for': '203.0.113.7' })).status, 429);
    assert.equal(
      (await login(s, '127.0.0.1', 'admin', s.adminPassword, { 'x-forwarded-for': '203.0.113.8' })).status,
      201,
    );
    // A client that is not the proxy cannot pick its address with the header.
    for (let i = 0; i < FREE_PER_ACCOUNT; i++)
      await login(s, '127.0.0.9', 'admin', 'wrong', { 'x-forwarded-for': '203.0.113.50' });
    assert.equal((await login(s, '127.0.0.9', 'admin', 'wrong', { 'x-forwarded-for': '203.0.113.51' })).status, 429);
  });
});
