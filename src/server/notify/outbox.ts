import { sql, type Kysely, type Transaction } from 'kysely';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Database } from '../../store/schema.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './sign.js';
import { postWebhook } from './target.js';
import type { NotifyEvent } from '../../wire/notify.js';
import { nonEmpty } from '../../env.js';

export interface EventMessage {
  /** Stable per event: receivers dedupe on it. */
  eventId: string;
  event: NotifyEvent;
  subject: string;
  text: string;
  data: Record<string, unknown>;
  /** The customer concerned: its contacts are told as well. */
  customer: string | null;
}

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Writes one outbox row per subscriber of the event, in the caller's transaction, so a change and
 * its notifications commit together. (event_id, kind, target) is unique: enqueuing twice is harmless.
 * Customer-bound subscriptions (a customer's contacts) get only that customer's events.
 */
export async function enqueue(db: Db, m: EventMessage): Promise<number> {
  const subs = await db.selectFrom('notify_subscriptions').selectAll().execute();
  const rows = subs.filter(
    (s) => s.events.includes(m.event) && (s.customer_id === null || s.customer_id === m.customer),
  );
  if (!rows.length) return 0;
  const payload = JSON.stringify({
    id: m.eventId,
    event: m.event,
    subject: m.subject,
    text: m.text,
    data: m.data,
    at: new Date().toISOString(),
  });
  const r = await db
    .insertInto('notify_outbox')
    .values(
      rows.map((s) => ({
        event_id: m.eventId,
        event: m.event,
        kind: s.kind,
        target: s.target,
        secret: s.secret,
        payload,
      })),
    )
    .onConflict((c) => c.columns(['event_id', 'kind', 'target']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0);
}

export interface WorkerOptions {
  /** smtp://host:port (HFX_SMTP_URL); without it e-mail rows wait. */
  smtpUrl?: string | undefined;
  from?: string;
  pollMs?: number;
  /** How long a claimed row is reserved for one worker: a worker killed mid-delivery loses it after this. */
  leaseMs?: number;
  maxAttempts?: number;
  batch?: number;
  onError?: (e: unknown) => void;
  /** Run at the start of every round (cases use it to watch for recurrences). */
  beforeTick?: () => Promise<unknown>;
  /** CIDRs webhooks may reach although internal (`hfx serve --webhook-allow`); see docs/security.md. */
  webhookAllow?: string[];
}

/** Retry delay after `attempts` failures: 2 s, 4 s, 8 s … capped at one hour, ±20 % jitter. */
export function backoffMs(attempts: number): number {
  const base = Math.min(3600_000, 1000 * 2 ** Math.min(attempts, 22));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * The delivery loop. Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED in a short transaction
 * that sets a lease, so several servers on one PostgreSQL never deliver the same row at once; on
 * PGlite (one connection, one process) the same statement runs and the lease is what matters.
 * Delivery is at least once: a row is marked delivered only after the receiver accepted it, so a
 * server killed mid-delivery delivers again after the lease; receivers dedupe on the event id.
 */
export class NotifyWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private readonly abort = new AbortController();
  private readonly o: Required<Omit<WorkerOptions, 'smtpUrl' | 'onError' | 'beforeTick' | 'webhookAllow'>> &
    WorkerOptions;
  private mailer: Transporter | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    opts: WorkerOptions = {},
  ) {
    this.o = { from: 'hfx <hfx@localhost>', pollMs: 1000, leaseMs: 60_000, maxAttempts: 12, batch: 20, ...opts };
    if (opts.smtpUrl) this.mailer = nodemailer.createTransport(opts.smtpUrl);
  }

  static fromEnv(db: Kysely<Database>, env: NodeJS.ProcessEnv = process.env, extra: WorkerOptions = {}): NotifyWorker {
    const n = (k: string) => (env[k] ? Number(env[k]) : undefined);
    const pollMs = n('HFX_NOTIFY_POLL_MS');
    const leaseMs = n('HFX_NOTIFY_LEASE_MS');
    return new NotifyWorker(db, {
      ...extra,
      smtpUrl: nonEmpty(env.HFX_SMTP_URL),
      ...(env.HFX_SMTP_FROM ? { from: env.HFX_SMTP_FROM } : {}),
      ...(pollMs ? { pollMs } : {}),
      ...(leaseMs ? { leaseMs } : {}),
    });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .then(
          () => undefined,
          (e: unknown) => this.o.onError?.(e),
        )
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(loop, this.o.pollMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops the loop; a delivery in flight is aborted (and not marked), as if the server had died. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
    this.mailer?.close();
  }

  /** Whether stop() was called; a call, not the field, since stop() sets it while a round awaits. */
  private halted(): boolean {
    return this.stopped;
  }

  /** One round: announce new security updates, claim due rows, deliver them. Returns how many were delivered. */
  async tick(): Promise<number> {
    await this.o.beforeTick?.();
    await announceSecurityUpdates(this.db);
    const claimed = await this.db.transaction().execute(async (tx) => {
      let q = tx.selectFrom('notify_outbox').select('id');
      // Without an SMTP server, e-mails wait (they are not attempted, so they do not run out of attempts).
      if (!this.mailer) q = q.where('kind', '<>', 'email');
      const due = await q
        .where('delivered_at', 'is', null)
        .where('failed_at', 'is', null)
        .where('next_at', '<=', sql<Date>`now()`)
        .where((e) => e.or([e('claimed_until', 'is', null), e('claimed_until', '<', sql<Date>`now()`)]))
        .orderBy('id')
        .limit(this.o.batch)
        .forUpdate()
        .skipLocked()
        .execute();
      if (!due.length) return [];
      return tx
        .updateTable('notify_outbox')
        .set({
          claimed_until: sql<Date>`now() + ${`${this.o.leaseMs} milliseconds`}::interval`,
          attempts: sql<number>`attempts + 1`,
        })
        .where(
          'id',
          'in',
          due.map((d) => d.id),
        )
        .returningAll()
        .execute();
    });
    let delivered = 0;
    for (const row of claimed) {
      if (this.halted()) break;
      try {
        await this.deliver(row);
        await this.db
          .updateTable('notify_outbox')
          .set({ delivered_at: sql<Date>`now()`, claimed_until: null, last_error: null })
          .where('id', '=', row.id)
          .execute();
        delivered++;
      } catch (e) {
        if (this.halted()) break; // aborted by stop(): the lease runs out and another start delivers it
        const message: unknown = (e as { message?: unknown }).message;
        const last = String(message ?? e).slice(0, 1000);
        const give = row.attempts >= this.o.maxAttempts;
        await this.db
          .updateTable('notify_outbox')
          .set({
            claimed_until: null,
            last_error: last,
            next_at: new Date(Date.now() + backoffMs(row.attempts)),
            ...(give ? { failed_at: new Date() } : {}),
          })
          .where('id', '=', row.id)
          .execute();
      }
    }
    return delivered;
  }

  private async deliver(row: {
    kind: 'webhook' | 'email';
    target: string;
    secret: string | null;
    payload: unknown;
    event_id: string;
  }): Promise<void> {
    const body = JSON.stringify(row.payload);
    if (row.kind === 'webhook') {
      const ts = String(Math.floor(Date.now() / 1000));
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'hfx-webhook/1',
        [EVENT_ID_HEADER]: row.event_id,
        [TIMESTAMP_HEADER]: ts,
        [SIGNATURE_HEADER]: signWebhook(row.secret ?? '', ts, body),
      };
      // Not fetch: the target is checked against internal ranges on every delivery (DNS may have changed since subscribing).
      await postWebhook(row.target, headers, body, { allow: this.o.webhookAllow ?? [], signal: this.abort.signal });
      return;
    }
    if (!this.mailer) throw new Error('no SMTP server configured (HFX_SMTP_URL)');
    const p = row.payload as { subject: string; text: string; id: string };
    const send = this.mailer.sendMail({
      from: this.o.from,
      to: row.target,
      subject: p.subject,
      text: p.text,
      messageId: `<${row.event_id}@hfx>`,
      headers: { 'X-Hfx-Event-Id': row.event_id },
    });
    await Promise.race([
      send,
      new Promise((_, rej) =>
        this.abort.signal.addEventListener('abort', () => rej(new Error('stopped')), { once: true }),
      ),
    ]);
  }
}

/** Security updates uploaded since the last round become one event each (announced once, across servers). */
async function announceSecurityUpdates(db: Kysely<Database>): Promise<void> {
  const fresh = await db
    .selectFrom('archives')
    .select(['id', 'product', 'release', 'level', 'to_level', 'title', 'customer_id'])
    .where('kind', '=', 'update')
    .where('security', '=', true)
    .where((e) =>
      e.not(
        e.exists(
          e
            .selectFrom('notify_announced')
            .select('archive_id')
            .whereRef('notify_announced.archive_id', '=', 'archives.id'),
        ),
      ),
    )
    .limit(50)
    .execute();
  for (const a of fresh) {
    await db.transaction().execute(async (tx) => {
      const r = await tx
        .insertInto('notify_announced')
        .values({ archive_id: a.id })
        .onConflict((c) => c.column('archive_id').doNothing())
        .executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return;
      await enqueue(tx, {
        eventId: `security-update.published:${a.id}`,
        event: 'security-update.published',
        customer: a.customer_id,
        subject: `[hfx] Security update ${a.id} for ${a.product} ${a.release}`,
        text: `A security update is published: ${a.title}\n${a.product} ${a.release}, level ${a.level} → ${a.to_level ?? '?'}.\nApply it with: hfx update --server\n`,
        data: { archive: a.id, product: a.product, release: a.release, level: a.level, toLevel: a.to_level },
      });
    });
  }
}
