import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { verifyWebhook } from '../src/server/notify/sign.js';
import { api, STORES, testServer } from './helpers/server.js';

// Fast rounds and a short lease, so a delivery cut off by a stop is taken up again quickly after the restart.
process.env.HFX_NOTIFY_POLL_MS = '100';
process.env.HFX_NOTIFY_LEASE_MS = '1500';

/** A webhook receiver as a customer would write one: checks the signature, dedupes on the event id. */
function receiver(secret: () => string) {
  const seen = new Map<string, number>();
  const raw: string[] = [];
  let hangFirst = true;
  let hung: (() => void) | null = null;
  let arrived!: () => void;
  const firstArrived = new Promise<void>((r) => (arrived = r));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const id = String(req.headers['x-hfx-event-id']);
      const ok = verifyWebhook(
        secret(),
        String(req.headers['x-hfx-timestamp']),
        body,
        String(req.headers['x-hfx-signature']),
      );
      if (!ok) return res.writeHead(401).end();
      raw.push(id);
      if (hangFirst) {
        // Never answer the first delivery: the hfx server is stopped while it waits.
        hangFirst = false;
        hung = () => res.destroy();
        arrived();
        return;
      }
      seen.set(id, (seen.get(id) ?? 0) + 1);
      res.writeHead(seen.get(id)! > 1 ? 200 : 202).end();
    });
  });
  return { server, seen, raw, firstArrived, release: () => hung?.() };
}

function smtpReceiver() {
  const seen = new Map<string, number>();
  const raw: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, cb) {
      let data = '';
      stream.on('data', (d: Buffer) => (data += d.toString()));
      stream.on('end', () => {
        const id = /^X-Hfx-Event-Id: *(.+?)\r?$/im.exec(data)?.[1] ?? '?';
        raw.push(id);
        seen.set(id, (seen.get(id) ?? 0) + 1);
        cb();
      });
    },
  });
  return { server, seen, raw };
}

for (const store of STORES)
  describe(`durable notifications on ${store}`, () => {
    let secret = '';
    const hook = receiver(() => secret);
    const mail = smtpReceiver();
    let hookUrl = '';
    const cleanups: (() => Promise<void> | void)[] = [];

    before(async () => {
      await new Promise<void>((r) => hook.server.listen(0, '127.0.0.1', r));
      hookUrl = `http://127.0.0.1:${(hook.server.address() as AddressInfo).port}/hfx`;
      await new Promise<void>((r) => mail.server.listen(0, '127.0.0.1', r));
      process.env.HFX_SMTP_URL = `smtp://127.0.0.1:${(mail.server.server.address() as AddressInfo).port}`;
    });
    after(async () => {
      hook.release();
      hook.server.closeAllConnections();
      await new Promise((r) => hook.server.close(r));
      await new Promise((r) => mail.server.close(() => r(undefined)));
      for (const c of cleanups.reverse()) await c();
    });

    test('a server stopped mid-delivery delivers after a restart on the same store: once per event id at each receiver', async () => {
      const s = await testServer({ store, limits: { webhookAllow: ['127.0.0.1/32'] } });
      let s2: RunningServer | null = null;
      cleanups.push(async () => {
        await s2?.close();
        if (s.databaseUrl) {
          const pg = (await import('pg')).default;
          const base = process.env.HFX_TEST_DATABASE_URL!;
          const c = new pg.Client({ connectionString: base });
          await c.connect();
          await c.query(`drop database if exists ${new URL(s.databaseUrl).pathname.slice(1)} with (force)`);
          await c.end();
        }
        rmSync(s.dir, { recursive: true, force: true });
      });
      const admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
        .token;
      assert.equal((await api(s.url, 'POST', '/v1/customers', admin, { id: 'acme', name: 'ACME' })).status, 201);
      const w = await api(s.url, 'POST', '/v1/subscriptions', admin, {
        kind: 'webhook',
        target: hookUrl,
        events: ['case.created', 'case.ready'],
      });
      assert.equal(w.status, 201);
      secret = w.body.secret;
      assert.equal(
        (
          await api(s.url, 'POST', '/v1/subscriptions', admin, {
            kind: 'email',
            target: 'contact@acme.example',
            customer: 'acme',
            events: ['case.created'],
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await api(s.url, 'POST', '/v1/subscriptions', admin, {
            kind: 'email',
            target: 'other@globex.example',
            customer: null as never,
            events: ['case.solved'],
          })
        ).status,
        400,
      );
      const ids: number[] = [];
      for (const [sev, customer] of [
        ['S1', 'acme'],
        ['S2', undefined],
        ['S3', 'acme'],
      ] as const) {
        const c = await api(s.url, 'POST', '/v1/cases', admin, {
          title: `broken ${sev}`,
          source: 'monitoring',
          reporter: 'grafana',
          product: 'demo',
          impact: 'all',
          severity: sev,
          ...(customer ? { customer } : {}),
        });
        assert.equal(c.status, 201);
        ids.push(c.body.id);
      }
      // Only S1 and S2 cases are announced; the customer's contact hears only about its own.
      const wantHook = [`case.created:${ids[0]!}`, `case.created:${ids[1]!}`];
      const wantMail = [`case.created:${ids[0]!}`];
      await hook.firstArrived;
      await s.close(); // mid-delivery: the first webhook is being received and never answered
      hook.release();
      s2 = await startServer({
        dataDir: s.dir,
        databaseUrl: s.databaseUrl,
        adminPassword: s.adminPassword,
        port: 0,
        tufKeys: join(s.tufDir, 'server'),
        limits: { webhookAllow: ['127.0.0.1/32'] },
      });
      const t0 = Date.now();
      let pending = 1;
      while (Date.now() - t0 < 20_000) {
        pending = (await api(s2.url, 'GET', '/v1/notifications?pending=true', admin)).body.notifications.length;
        if (pending === 0 && hook.seen.size === wantHook.length && mail.seen.size === wantMail.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(pending, 0);
      assert.deepEqual([...hook.seen.keys()].sort(), wantHook.sort());
      assert.deepEqual([...mail.seen.keys()].sort(), wantMail.sort());
      // The cut-off delivery reached the receiver twice on the wire, once after its dedupe.
      assert.ok(hook.raw.length >= wantHook.length + 1, JSON.stringify(hook.raw));
      assert.equal(
        hook.raw[0],
        hook.raw.find((x, i) => i > 0 && x === hook.raw[0]),
      );
      for (const n of [...hook.seen.values(), ...mail.seen.values()]) assert.equal(n, 1);
      const rows: { delivered_at: string | null; failed_at: string | null; attempts: number }[] = (
        await api(s2.url, 'GET', '/v1/notifications', admin)
      ).body.notifications;
      assert.equal(rows.length, 3);
      assert.ok(rows.every((r) => r.delivered_at && !r.failed_at));
      assert.ok(
        rows.some((r) => r.attempts >= 2),
        'the cut-off row was attempted again',
      );
      const shown: { kind: string }[] = (await api(s2.url, 'GET', `/v1/cases/${ids[0]!}`, admin)).body.notifications;
      assert.deepEqual(shown.map((n) => n.kind).sort(), ['email', 'webhook']);
    });
  });
