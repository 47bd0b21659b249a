// The client's HTTP layer: a read the server answers 503 (it lost its database for a moment) is
// sent again; a write is not, since it may have been committed; other errors keep their codes.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { call } from '../src/client/http.js';
import { HfxError } from '../src/errors.js';
import { isConnectionLost } from '../src/store/store.js';

/** A server on port 0 that answers from a script, one entry per request, and counts them. */
async function scripted(answers: { status: number; code?: string; retryAfter?: string }[]) {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method!} ${req.url!}`);
    const a = answers[Math.min(seen.length - 1, answers.length - 1)]!;
    res.writeHead(a.status, {
      'content-type': 'application/json',
      ...(a.retryAfter !== undefined ? { 'retry-after': a.retryAfter } : {}),
    });
    res.end(
      JSON.stringify(a.status < 400 ? { ok: true } : { error: { code: a.code, message: `answer ${seen.length}` } }),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, token: null, seen, close: () => new Promise((ok) => server.close(ok)) };
}

const UNAVAILABLE = { status: 503, code: 'HFX_E_UNAVAILABLE', retryAfter: '0' };

test('a read answered 503 is sent again and succeeds', async () => {
  const s = await scripted([UNAVAILABLE, UNAVAILABLE, { status: 200 }]);
  try {
    assert.deepEqual(await call(s, 'GET', '/v1/me'), { ok: true });
    assert.equal(s.seen.length, 3);
  } finally {
    await s.close();
  }
});

test('a read still 503 after two retries is HFX_E_UNAVAILABLE with the server message', async () => {
  const s = await scripted([UNAVAILABLE]);
  try {
    await assert.rejects(
      call(s, 'GET', '/v1/me'),
      (e: unknown) => e instanceof HfxError && e.code === 'HFX_E_UNAVAILABLE' && e.message.includes('answer 3'),
    );
    assert.equal(s.seen.length, 3);
  } finally {
    await s.close();
  }
});

test('a write answered 503 is not sent again: it may have been committed', async () => {
  const s = await scripted([UNAVAILABLE, { status: 200 }]);
  try {
    await assert.rejects(
      call(s, 'POST', '/v1/cases', { title: 'x' }),
      (e: unknown) => e instanceof HfxError && e.code === 'HFX_E_UNAVAILABLE',
    );
    assert.deepEqual(s.seen, ['POST /v1/cases']);
  } finally {
    await s.close();
  }
});

test('other server errors are not retried and keep their codes; an unknown 5xx is HFX_E_NETWORK', async () => {
  const s = await scripted([{ status: 500, code: 'HFX_E_INTERNAL' }]);
  const t = await scripted([{ status: 502, code: 'NOT_OURS' }]);
  try {
    await assert.rejects(
      call(s, 'GET', '/v1/me'),
      (e: unknown) => e instanceof HfxError && e.code === 'HFX_E_INTERNAL',
    );
    assert.equal(s.seen.length, 1);
    await assert.rejects(call(t, 'GET', '/v1/me'), (e: unknown) => e instanceof HfxError && e.code === 'HFX_E_NETWORK');
  } finally {
    await s.close();
    await t.close();
  }
});

test('isConnectionLost: what a dropped database connection looks like, and what it does not', () => {
  const lost = [
    { code: '57P01', message: 'terminating connection due to administrator command' },
    { code: '57P03', message: 'the database system is starting up' },
    { code: '08006', message: 'connection failure' },
    { code: 'ECONNRESET', message: 'read ECONNRESET' },
    { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
    new Error('Connection terminated unexpectedly'),
    new Error('Client has encountered a connection error and is not queryable'),
    new Error('wrapped', { cause: { code: '57P01' } }),
  ];
  for (const e of lost) assert.ok(isConnectionLost(e), inspect(e));
  const notLost = [
    { code: '23505', message: 'duplicate key value violates unique constraint' },
    { code: '42P01', message: 'relation does not exist' },
    new Error('some bug'),
    null,
    undefined,
    'a string',
  ];
  for (const e of notLost) assert.equal(isConnectionLost(e), false, inspect(e));
});
