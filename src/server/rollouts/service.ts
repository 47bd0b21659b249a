import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { HfxError } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import { bumpIn } from '../metadata-version.js';
import { enqueue } from '../notify/outbox.js';
import { audit } from '../audit.js';
import type { RolloutAction, RolloutInput, RolloutState, RolloutView } from '../../wire/rollouts.js';

type Db = Kysely<Database> | Transaction<Database>;
type Row = Database['rollouts'] extends infer R
  ? { [K in keyof R]: R[K] extends import('kysely').ColumnType<infer S, unknown, unknown> ? S : R[K] }
  : never;

const percentOf = (r: { steps: number[]; step: number; state: RolloutState }) =>
  r.state === 'completed' ? 100 : (r.steps[r.step] ?? 0);

/** The installations of an environment now, with their customers: the scope of an environment's rollout at each change. */
async function envInstallations(
  db: Db,
  product: string,
  env: string,
): Promise<{ id: string; customer: string | null }[]> {
  const rows = await db
    .selectFrom('env_members')
    .innerJoin('installations', 'installations.id', 'env_members.installation_id')
    .select(['installations.id', 'installations.customer_id'])
    .where('env_members.product', '=', product)
    .where('env_members.environment', '=', env)
    .orderBy('installations.id')
    .execute();
  return rows.map((r) => ({ id: r.id, customer: r.customer_id }));
}

/** Logs the rollout as it is now, at a new metadata version, in the caller's transaction; returns the version. */
async function logChange(
  tx: Transaction<Database>,
  r: {
    id: number;
    steps: number[];
    step: number;
    state: RolloutState;
    env_product: string | null;
    env_name: string | null;
  },
): Promise<number> {
  const seq = await bumpIn(tx);
  const installations =
    r.env_product && r.env_name ? JSON.stringify(await envInstallations(tx, r.env_product, r.env_name)) : null;
  await tx
    .insertInto('rollout_log')
    .values({ rollout_id: r.id, seq, state: r.state, percent: percentOf(r), installations })
    .execute();
  return seq;
}

export function validateSteps(steps: number[]): void {
  if (steps.length === 0 || steps.length > 20)
    throw new HfxError('HFX_E_USAGE', 'give 1 to 20 steps, such as 1,10,50,100');
  let prev = 0;
  for (const s of steps) {
    if (!(s > prev && s <= 100))
      throw new HfxError(
        'HFX_E_USAGE',
        `steps are percentages that grow, each above 0 and at most 100: ${steps.join(',')}`,
        { hint: 'For example: --steps 1,10,50,100' },
      );
    prev = s;
  }
}

export async function startRollout(db: Kysely<Database>, actor: string, b: RolloutInput): Promise<number> {
  validateSteps(b.steps);
  if (b.customer && b.env) throw new HfxError('HFX_E_USAGE', 'a rollout is for a customer or an environment, not both');
  const a = await db
    .selectFrom('archives')
    .select(['id', 'product', 'customer_id'])
    .where('id', '=', b.archive)
    .executeTakeFirst();
  if (!a)
    throw new HfxError('HFX_E_NOT_FOUND', `no archive ${b.archive}`, { hint: 'Push it first: `hfx push FILE.zip`.' });
  if (b.customer) {
    if (!(await db.selectFrom('customers').select('id').where('id', '=', b.customer).executeTakeFirst()))
      throw new HfxError('HFX_E_NOT_FOUND', `no customer ${b.customer}`);
    if (a.customer_id !== null && a.customer_id !== b.customer)
      throw new HfxError(
        'HFX_E_INCOMPATIBLE',
        `${a.id} is ${a.customer_id}'s: it cannot be rolled out to ${b.customer}`,
      );
  }
  let env: [string, string] | null = null;
  if (b.env) {
    const m = /^([^/]+)\/([^/]+)$/.exec(b.env);
    if (!m) throw new HfxError('HFX_E_USAGE', `--env is PRODUCT/ENV, not ${b.env}`);
    const [, product = '', name = ''] = m;
    env = [product, name];
    if (env[0] !== a.product) throw new HfxError('HFX_E_INCOMPATIBLE', `${a.id} is for ${a.product}, not ${env[0]}`);
  }
  return db.transaction().execute(async (tx) => {
    const live = await tx
      .selectFrom('rollouts')
      .select('id')
      .where('archive_id', '=', a.id)
      .where('state', 'in', ['active', 'paused'])
      .executeTakeFirst();
    if (live)
      throw new HfxError('HFX_E_STATE', `${a.id} has rollout ${live.id} under way`, {
        hint: `Finish or abort it first: \`hfx rollout abort ${live.id}\`.`,
      });
    const r = await tx
      .insertInto('rollouts')
      .values({
        archive_id: a.id,
        customer_id: b.customer ?? null,
        env_product: env?.[0] ?? null,
        env_name: env?.[1] ?? null,
        steps: JSON.stringify(b.steps),
        every_seconds: b.everySeconds ?? null,
        max_failure_rate: b.maxFailureRate,
        min_sample: b.minSample,
        state: 'active',
        seed: randomBytes(16).toString('hex'),
        created_by: actor,
      })
      .returning(['id', 'steps', 'step', 'state', 'env_product', 'env_name'])
      .executeTakeFirstOrThrow();
    await logChange(tx, r);
    await audit(tx, actor, 'rollout.start', 'rollout', String(r.id), { ...b });
    return r.id;
  });
}

const ALLOWED: Record<RolloutAction, RolloutState[]> = {
  pause: ['active'],
  resume: ['paused'],
  advance: ['active', 'paused'],
  abort: ['active', 'paused'],
};

/** pause, resume, advance (the next step; past the last: completed), abort. Audited; a pause is announced. */
export async function changeRollout(
  db: Kysely<Database>,
  actor: string,
  id: number,
  action: RolloutAction,
  reason: string | null,
): Promise<RolloutState> {
  return db.transaction().execute(async (tx) => {
    const r = await tx.selectFrom('rollouts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!r) throw new HfxError('HFX_E_NOT_FOUND', `no rollout ${id}`, { hint: 'See `hfx rollout list`.' });
    if (!ALLOWED[action].includes(r.state))
      throw new HfxError('HFX_E_STATE', `rollout ${id} is ${r.state}: it cannot ${action}`, {
        hint: 'See `hfx rollout show ID`.',
      });
    const steps = r.steps;
    let step = r.step;
    let state: RolloutState = r.state;
    if (action === 'pause') state = 'paused';
    else if (action === 'resume') state = 'active';
    else if (action === 'abort') state = 'aborted';
    else if (step + 1 < steps.length) {
      step++;
      // A step of 100% is the whole scope: the rollout is done.
      state = steps[step] === 100 ? 'completed' : 'active';
    } else state = 'completed';
    await tx
      .updateTable('rollouts')
      .set({ step, state, reason, step_at: action === 'advance' ? new Date() : r.step_at })
      .where('id', '=', id)
      .execute();
    await logChange(tx, { ...r, steps, step, state });
    await audit(tx, actor, `rollout.${action}`, 'rollout', String(id), {
      archive: r.archive_id,
      step,
      percent: percentOf({ steps, step, state }),
      state,
      reason,
    });
    if (state === 'paused') {
      await enqueue(tx, {
        eventId: `rollout.paused:${id}:${step}:${Date.now()}`,
        event: 'rollout.paused',
        customer: r.customer_id,
        subject: `[hfx] Rollout ${id} of ${r.archive_id} paused`,
        text: `The rollout of ${r.archive_id} to ${scopeText(r)} paused at ${percentOf({ steps, step, state: 'active' })}%: ${reason ?? `by ${actor}`}.\nResume with: hfx rollout resume ${id}; or abort: hfx rollout abort ${id}\n`,
        data: { rollout: id, archive: r.archive_id, step, reason, by: actor },
      });
    }
    return state;
  });
}

interface Scope {
  customer_id: string | null;
  env_product: string | null;
  env_name: string | null;
}

/** PRODUCT/ENV of a rollout to an environment (the two columns are set together), else null. */
const envOf = (r: Scope) => (r.env_product && r.env_name !== null ? `${r.env_product}/${r.env_name}` : null);

const scopeText = (r: Scope) =>
  r.customer_id ? `customer ${r.customer_id}` : (envOf(r) ?? 'every installation that may take it');

/**
 * Installations in the rollout's scope that applied its archive while it ran, and of those the ones
 * that reverted it. An aborted or completed rollout's figures stop at its end: what happens to the
 * archive afterwards belongs to whatever offers it next.
 */
async function progress(db: Db, r: Row): Promise<{ applied: number; reverted: number }> {
  const scope = r.customer_id
    ? sql`i.customer_id = ${r.customer_id}`
    : r.env_product
      ? sql`exists (select 1 from env_members m where m.installation_id = i.id and m.product = ${r.env_product} and m.environment = ${r.env_name})`
      : sql`true`;
  const res = await sql<{ applied: number; reverted: number }>`
    select count(distinct e.installation_id) filter (where e.kind = 'applied')::int as applied,
           count(distinct e.installation_id) filter (where e.kind = 'reverted')::int as reverted
    from installation_events e join installations i on i.id = e.installation_id
    where e.archive_id = ${r.archive_id} and e.at >= ${r.created_at} and ${scope}
      and e.at <= coalesce((select max(l.at) from rollout_log l where l.rollout_id = ${r.id} and l.state in ('aborted', 'completed')), 'infinity'::timestamptz)`.execute(
    db,
  );
  return res.rows[0] ?? { applied: 0, reverted: 0 };
}

export async function viewOf(db: Db, r: Row): Promise<RolloutView> {
  const p = await progress(db, r);
  const steps = r.steps;
  return {
    id: r.id,
    archive: r.archive_id,
    scope: { customer: r.customer_id, env: envOf(r) },
    steps,
    step: r.step,
    percent: percentOf({ steps, step: r.step, state: r.state }),
    state: r.state,
    everySeconds: r.every_seconds,
    maxFailureRate: r.max_failure_rate,
    minSample: r.min_sample,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    stepAt: new Date(r.step_at).toISOString(),
    applied: p.applied,
    reverted: p.reverted,
    failureRate: p.applied ? p.reverted / p.applied : 0,
  };
}

/**
 * After an installation's report: each active rollout of the archives it names pauses by itself
 * once the share of installations that reverted it passes its threshold, after its minimum sample.
 * Returns the rollouts paused.
 */
export async function checkFailures(db: Kysely<Database>, archives: string[]): Promise<number[]> {
  if (archives.length === 0) return [];
  const live = await db
    .selectFrom('rollouts')
    .selectAll()
    .where('archive_id', 'in', [...new Set(archives)])
    .where('state', '=', 'active')
    .execute();
  const paused: number[] = [];
  for (const r of live) {
    const p = await progress(db, r);
    if (p.applied < r.min_sample || p.reverted / p.applied <= r.max_failure_rate) continue;
    const reason = `${p.reverted} of ${p.applied} installations reverted it (${((p.reverted / p.applied) * 100).toFixed(1)}%, above ${(r.max_failure_rate * 100).toFixed(1)}%)`;
    try {
      await changeRollout(db, 'hfx', r.id, 'pause', reason);
      paused.push(r.id);
    } catch (e) {
      // Another report paused it first.
      if (!(e instanceof HfxError && e.code === 'HFX_E_STATE')) throw e;
    }
  }
  return paused;
}

/** Advances every active rollout whose step has lasted its `every` (the notification worker's round runs it). */
export async function advanceDue(db: Kysely<Database>): Promise<number> {
  const due = await db
    .selectFrom('rollouts')
    .select(['id'])
    .where('state', '=', 'active')
    .where('every_seconds', 'is not', null)
    .where(sql<boolean>`step_at + make_interval(secs => every_seconds) <= now()`)
    .execute();
  let n = 0;
  for (const r of due) {
    try {
      await changeRollout(db, 'hfx', r.id, 'advance', null);
      n++;
    } catch (e) {
      if (!(e instanceof HfxError && e.code === 'HFX_E_STATE')) throw e;
    }
  }
  return n;
}

export async function listRollouts(db: Kysely<Database>, archive?: string): Promise<RolloutView[]> {
  let q = db.selectFrom('rollouts').selectAll().orderBy('id', 'desc').limit(500);
  if (archive) q = q.where('archive_id', '=', archive);
  return Promise.all((await q.execute()).map((r) => viewOf(db, r)));
}

export async function getRollout(db: Kysely<Database>, id: number): Promise<RolloutView> {
  const r = await db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw new HfxError('HFX_E_NOT_FOUND', `no rollout ${id}`, { hint: 'See `hfx rollout list`.' });
  return viewOf(db, r);
}
