import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { api, qs } from '../api.js';
import {
  CircleCheck,
  CirclePause,
  CirclePlay,
  OctagonX,
  Pause,
  Play,
  RolloutIcon,
  StepForward,
  Warning,
  type Icon,
} from '../icons.js';
import { useCan } from '../session.js';
import type { ArchiveRow, CustomerRow, Pipeline, RolloutView } from '../types.js';
import {
  ActionForm,
  Badge,
  Card,
  Command,
  CustomerSelect,
  EmptyRow,
  EmptyState,
  ErrorBox,
  Field,
  Head,
  Layout,
  Loading,
  plural,
  Reveal,
  str,
  Toggle,
  useQuery,
  When,
  type Tone,
} from '../ui.js';
import { useApi, type Loaded } from '../use-api.js';

type RolloutState = RolloutView['state'];
type Scope = 'all' | 'customer' | 'env';

/** How often a list with an active rollout asks again: a rollout pauses or advances by itself on the server. */
const POLL_MS = 3000;
const CLI_START = 'hfx rollout start ID --steps 1,10,50,100';

// Each state its own shape as well as its colour: a play, a pause, a check, a stop sign.
const STATE: Record<RolloutState, { tone: Tone; icon: Icon }> = {
  active: { tone: 'blue', icon: CirclePlay },
  paused: { tone: 'amber', icon: CirclePause },
  completed: { tone: 'green', icon: CircleCheck },
  aborted: { tone: 'red', icon: OctagonX },
};

const live = (r: RolloutView) => r.state === 'active' || r.state === 'paused';

/** A share as people write it: 0.075 is 7.5%, 0.05 is 5%. */
const pct = (x: number) => `${Number((x * 100).toFixed(1))}%`;

function interval(s: number): string {
  if (s % 86400 === 0) return plural(s / 86400, 'day');
  if (s % 3600 === 0) return plural(s / 3600, 'hour');
  if (s >= 3600) return `${Number((s / 3600).toFixed(2))} hours`;
  return plural(Math.round(s / 60), 'minute');
}

export function RolloutStateBadge({ state }: { state: RolloutState }) {
  return (
    <Badge tone={STATE[state].tone} icon={STATE[state].icon}>
      <span data-testid="rollout-state">{state}</span>
    </Badge>
  );
}

export function scopeText(r: RolloutView): string {
  return r.scope.customer ? `customer ${r.scope.customer}` : r.scope.env ? `environment ${r.scope.env}` : 'everyone';
}

/** Past its sample and above its limit: the server pauses an active rollout in that state at the next report. */
const overLimit = (r: RolloutView) => r.applied > 0 && r.applied >= r.minSample && r.failureRate > r.maxFailureRate;

/** "3 of 40 reverted — 7.5%, pauses above 5%": what the rollout has done to the fleet, against its limit. */
export function Failures({ r }: { r: RolloutView }) {
  const limit = live(r) ? `pauses above ${pct(r.maxFailureRate)}` : `limit ${pct(r.maxFailureRate)}`;
  const sample = live(r) && r.applied < r.minSample ? ` once ${r.minSample} have applied it` : '';
  return (
    <>
      <span className="block counts">
        {r.applied === 0
          ? 'None applied yet'
          : `${r.reverted} of ${r.applied} reverted\u00a0—\u00a0${pct(r.failureRate)}`}
        ,
      </span>
      <small className="muted block">
        {limit}
        {sample}
      </small>
      {overLimit(r) && (
        <span className="block over">
          <Badge tone="red" icon={Warning}>
            above its limit
          </Badge>
        </span>
      )}
    </>
  );
}

/** The share now as a bar with a notch at each step, and the steps with the current one marked (✓ past, ● now). */
export function RolloutProgress({ r }: { r: RolloutView }) {
  const n = r.steps.length;
  const done = r.state === 'completed';
  const where = done
    ? 'completed: the whole scope'
    : `step ${r.step + 1} of ${n}, ${r.percent}% of the scope${r.state === 'active' ? '' : ` (${r.state})`}`;
  return (
    <div className={`rollout-progress ${r.state}`}>
      <div
        className="rollout-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={r.percent}
        aria-label={`Share of rollout ${r.id}`}
        aria-valuetext={where}
      >
        <span className="rollout-fill" style={{ width: `${r.percent}%` }} />
        {r.steps
          .filter((s) => s < 100)
          .map((s) => (
            <span key={s} className="rollout-notch" style={{ left: `${s}%` }} />
          ))}
      </div>
      <ol className="rollout-steps" aria-label={`Steps of rollout ${r.id}`}>
        {r.steps.map((s, i) => (
          <li
            key={s}
            className={done || i < r.step ? 'past' : i === r.step ? 'now' : undefined}
            aria-current={!done && i === r.step ? 'step' : undefined}
          >
            {s}%
          </li>
        ))}
      </ol>
      <small className="muted block">
        {done ? 'Completed: the whole scope.' : `Step ${r.step + 1} of ${n}: ${r.percent}% now.`}
      </small>
      {r.state === 'active' && (
        <small className="muted block">
          {r.everySeconds ? (
            <>
              By itself every {interval(r.everySeconds)}; next{' '}
              <When at={new Date(Date.parse(r.stepAt) + r.everySeconds * 1000).toISOString()} />.
            </>
          ) : (
            'Advanced by hand.'
          )}
        </small>
      )}
    </div>
  );
}

/** Asks again every few seconds while a rollout is active and the tab is seen: it may pause or advance by itself. */
function usePoll(list: Loaded<{ rollouts: RolloutView[] }>) {
  const active = list.data?.rollouts.some((r) => r.state === 'active') ?? false;
  const { reload } = list;
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, POLL_MS);
    return () => {
      clearInterval(t);
    };
  }, [active, reload]);
}

/** Rollouts (vendor users; release managers act): each with its share, its health against its limit, and what its state allows. */
export function RolloutsView() {
  const can = useCan();
  const manage = can('release-manager');
  const [q] = useQuery();
  const archive = q.get('archive') ?? '';
  const list = useApi<{ rollouts: RolloutView[] }>(`/v1/rollouts${qs({ archive })}`);
  usePoll(list);
  const [starting, setStarting] = useState(false);
  const [said, setSaid] = useState<string | null>(null);
  const rollouts = list.data?.rollouts ?? [];
  const empty = list.data !== null && rollouts.length === 0 && !archive;
  const started = (r: RolloutView) => {
    setStarting(false);
    setSaid(`Rollout ${r.id} of ${r.archive} started: ${r.percent}% of ${scopeText(r)}.`);
    list.reload();
  };
  return (
    <Layout
      title="Rollouts"
      description="Fixes offered to a growing share of installations, step by step. A rollout pauses by itself when too many of those that took it revert it."
      actions={
        manage && list.data && !empty ? (
          <Toggle primary open={starting} onToggle={setStarting} controls="start-rollout" icon={RolloutIcon}>
            Start a rollout
          </Toggle>
        ) : undefined
      }
    >
      <div id="start-rollout" hidden={!starting || empty}>
        {starting && !empty && (
          <Card title="Start a rollout">
            <StartRolloutForm chosen={archive} onDone={started} />
          </Card>
        )}
      </div>
      {said && (
        <p role="status" className="ok">
          {said}
        </p>
      )}
      {archive && (
        <p className="filter-note">
          Rollouts of <Link href={`/archives/${encodeURIComponent(archive)}`}>{archive}</Link>.{' '}
          <Link href="/rollouts">Show every rollout</Link>
        </p>
      )}
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="rollouts" />}
      {empty && (
        <EmptyState icon={RolloutIcon} title="No rollouts yet">
          <p>
            A rollout offers a fix to a growing share of installations — 1%, then 10%, 50%, everyone — and pauses by
            itself when too many of those that took it revert it.{manage ? '' : ' A release manager starts one:'}
          </p>
          {manage && (
            <Reveal label="Start a rollout" icon={RolloutIcon} primary>
              <StartRolloutForm chosen="" onDone={started} />
            </Reveal>
          )}
          {manage && <p>Or from the command line:</p>}
          <Command>{CLI_START}</Command>
        </EmptyState>
      )}
      {list.data && !empty && (
        <div className="table-wrap">
          <table className="stack rollouts" aria-label="Rollouts">
            <Head
              cols={[
                'Rollout',
                'Scope',
                'State',
                'Progress',
                'Reverts',
                ...(manage ? [{ label: 'Actions', hidden: true }] : []),
              ]}
            />
            <tbody>
              {rollouts.length === 0 && (
                <EmptyRow cols={6}>
                  {archive} has not been rolled out: it is offered to every installation that may take it.
                </EmptyRow>
              )}
              {rollouts.map((r) => (
                <RolloutLine key={r.id} r={r} manage={manage} onChange={list.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}

/**
 * A rollout's scope, state (with why it stopped), progress and reverts: the same four cells in the
 * Rollouts list and on an archive's page.
 */
function RolloutCells({ r }: { r: RolloutView }) {
  return (
    <>
      <td data-label="Scope">{scopeText(r)}</td>
      <td data-label="State" className="r-state">
        <RolloutStateBadge state={r.state} />
        {(r.state === 'paused' || r.state === 'aborted') && (
          <small className="rollout-reason block" data-testid="rollout-reason">
            {r.reason ?? 'No reason given.'}
          </small>
        )}
      </td>
      <td data-label="Progress" className="r-progress">
        <RolloutProgress r={r} />
      </td>
      <td data-label="Reverts" className="r-reverts">
        <Failures r={r} />
      </td>
    </>
  );
}

function RolloutLine({ r, manage, onChange }: { r: RolloutView; manage: boolean; onChange: () => void }) {
  const [aborting, setAborting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // After a change the buttons stay disabled until the list has the rollout as it is now: a second
  // click on "Advance" meanwhile would advance it twice.
  const waiting = useRef(false);
  useEffect(() => {
    if (!waiting.current) return;
    waiting.current = false;
    setBusy(false);
  }, [r]);
  const act = async (action: 'pause' | 'resume' | 'advance' | 'abort', body: { reason?: string } = {}) => {
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/v1/rollouts/${r.id}/${action}`, body);
      waiting.current = true;
      setAborting(false);
      onChange();
    } catch (e) {
      setError(e);
      setBusy(false);
      throw e;
    }
  };
  const next = r.steps[r.step + 1] ?? 100;
  const label = (what: string) => `${what} (rollout ${r.id})`;
  // Its words first in its name, and the rollout after, so each row's buttons are told apart.
  const button = (action: 'pause' | 'resume' | 'advance', text: string, I: Icon) => (
    <button
      type="button"
      className="small"
      disabled={busy}
      aria-label={label(text)}
      onClick={() => void act(action).catch(() => undefined)}
    >
      <I size={14} />
      {text}
    </button>
  );
  return (
    <>
      <tr data-rollout={r.id}>
        <td data-label="Rollout" className="r-name">
          <Link href={`/archives/${encodeURIComponent(r.archive)}`}>
            <strong>{r.archive}</strong>
          </Link>
          <small className="muted block">
            #{r.id} · by {r.createdBy}, <When at={r.createdAt} />
          </small>
        </td>
        <RolloutCells r={r} />
        {manage && (
          <td className="row-actions">
            {live(r) && (
              <div className="rollout-actions">
                {r.state === 'active' && button('pause', 'Pause', Pause)}
                {r.state === 'paused' && button('resume', 'Resume', Play)}
                {button('advance', `Advance to ${next}%`, StepForward)}
                <button
                  type="button"
                  className="small danger-outline"
                  disabled={busy}
                  aria-expanded={aborting}
                  aria-label={label('Abort')}
                  onClick={() => {
                    setAborting((a) => !a);
                  }}
                >
                  <OctagonX size={14} />
                  Abort
                </button>
              </div>
            )}
            {!aborting && <ErrorBox error={error} />}
          </td>
        )}
      </tr>
      {aborting && (
        <tr className="edit-row">
          <td colSpan={6}>
            <ActionForm
              label={`Abort rollout ${r.id}`}
              submit="Abort the rollout"
              icon={OctagonX}
              danger
              className="abort-form"
              onSubmit={(f) => act('abort', { reason: str(f, 'reason') ?? '' })}
            >
              <Field
                label="Reason"
                hint="Shown here and in the audit log; installations that kept the fix are told by hfx check to revert it."
              >
                {(id) => (
                  <input
                    id={id}
                    name="reason"
                    required
                    maxLength={2000}
                    placeholder="e.g. 502s on checkout after applying it"
                  />
                )}
              </Field>
            </ActionForm>
          </td>
        </tr>
      )}
    </>
  );
}

const SCOPES = [
  ['all', 'Every installation that may take it'],
  ['customer', 'A customer’s installations'],
  ['env', 'An environment’s installations'],
] as const;

/** Steps as typed, "1, 10, 50%, 100": the server checks that they grow and end at most at 100. */
const STEPS_RE = '\\s*\\d+(\\.\\d+)?%?(\\s*[,\\s]\\s*\\d+(\\.\\d+)?%?)*\\s*';

/**
 * Starts a rollout of an archive (release managers): its scope, its steps, whether it advances by
 * itself, and when it pauses by itself. `fixed` is the archive page's own archive.
 */
export function StartRolloutForm({
  chosen,
  fixed,
  onDone,
}: {
  chosen: string;
  fixed?: ArchiveRow;
  onDone: (r: RolloutView) => void;
}) {
  const archives = useApi<{ archives: ArchiveRow[] }>(fixed ? null : '/v1/archives');
  // An archive has one live rollout at a time: the ones under way are not offered.
  const current = useApi<{ rollouts: RolloutView[] }>(fixed ? null : '/v1/rollouts');
  const [archive, setArchive] = useState(fixed?.id ?? chosen);
  const [scope, setScope] = useState<Scope>('all');
  const [auto, setAuto] = useState(false);
  const [customer, setCustomer] = useState('');
  const [env, setEnv] = useState('');
  const a = fixed ?? archives.data?.archives.find((x) => x.id === archive) ?? null;
  const customers = useApi<{ customers: CustomerRow[] }>(scope === 'customer' ? '/v1/customers' : null);
  const pipeline = useApi<Pipeline>(scope === 'env' && a ? `/v1/environments/${encodeURIComponent(a.product)}` : null);
  const busyWith = new Map((current.data?.rollouts ?? []).filter(live).map((r) => [r.archive, r.id]));
  // An archive made for one customer can go to that customer only: it is the one chosen.
  const owner = customer !== '' ? customer : (a?.customer_id ?? '');
  const owners = (customers.data?.customers ?? []).filter((c) => !a?.customer_id || c.id === a.customer_id);
  const envs = pipeline.data?.environments ?? [];
  return (
    <ActionForm
      label="Start the rollout"
      icon={RolloutIcon}
      className="start-rollout"
      onSubmit={async (f) => {
        if (!a) throw new Error('choose the archive to roll out');
        const steps = (str(f, 'steps') ?? '')
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((s) => Number(s.replace(/%$/, '')));
        if (scope === 'customer' && !owner) throw new Error('choose the customer whose installations take it');
        if (scope === 'env' && !env) throw new Error(`choose an environment of ${a.product}`);
        const body = {
          archive: a.id,
          steps,
          maxFailureRate: Number(f.get('maxFailureRate')) / 100,
          minSample: Number(f.get('minSample')),
          ...(scope === 'customer' ? { customer: owner } : {}),
          ...(scope === 'env' ? { env: `${a.product}/${env}` } : {}),
          ...(auto ? { everySeconds: Math.round(Number(f.get('hours')) * 3600) } : {}),
        };
        onDone(await api<RolloutView>('POST', '/v1/rollouts', body));
      }}
    >
      <div className="start-archive">
        {fixed ? (
          <div className="field">
            <span className="field-label">Archive</span>
            <span>
              {fixed.id} — {fixed.title}
            </span>
          </div>
        ) : (
          <Field
            label="Archive"
            hint={a?.customer_id ? `${a.id} is ${a.customer_id}'s: only its installations may take it.` : undefined}
          >
            {(id) => (
              <select
                id={id}
                name="archive"
                required
                value={archive}
                onChange={(e) => {
                  setArchive(e.target.value);
                  setEnv('');
                  setCustomer('');
                }}
              >
                <option value="">Choose…</option>
                {(archives.data?.archives ?? []).map((x) => {
                  const under = busyWith.get(x.id);
                  return (
                    <option key={x.id} value={x.id} disabled={under !== undefined}>
                      {x.id} — {x.title} ({x.product} {x.release})
                      {under !== undefined ? `: rollout ${under} under way` : ''}
                    </option>
                  );
                })}
              </select>
            )}
          </Field>
        )}
      </div>
      <fieldset className="choice">
        <legend>Scope</legend>
        {SCOPES.map(([v, text]) => (
          <label key={v} className="check">
            <input
              type="radio"
              name="scope"
              value={v}
              checked={scope === v}
              onChange={() => {
                setScope(v);
              }}
            />
            {text}
          </label>
        ))}
        {scope === 'customer' && (
          <Field label="Customer">
            {(id) => (
              <CustomerSelect
                id={id}
                name="customer"
                required
                value={owner}
                onChange={(e) => {
                  setCustomer(e.target.value);
                }}
                customers={owners}
              />
            )}
          </Field>
        )}
        {scope === 'env' && !a && (
          <p className="muted">Choose the archive first: the environments are its product’s.</p>
        )}
        {scope === 'env' && a && pipeline.data && envs.length === 0 && (
          <>
            <p className="muted">{a.product} has no environments yet; a release manager sets them with:</p>
            <Command>{`hfx env pipeline ${a.product} Development,QA,Production`}</Command>
          </>
        )}
        {scope === 'env' && a && envs.length > 0 && (
          <Field label={`Environment of ${a.product}`} hint="Its installations when each step begins.">
            {(id) => (
              <select
                id={id}
                name="env"
                required
                value={env}
                onChange={(e) => {
                  setEnv(e.target.value);
                }}
              >
                <option value="">Choose…</option>
                {envs.map((e) => (
                  <option key={e.name} value={e.name}>
                    {e.name} ({plural(e.installations.assigned, 'installation')})
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <ErrorBox error={customers.error ?? pipeline.error} />
      </fieldset>
      <Field
        label="Steps (% of the scope)"
        hint="Shares that grow, up to 100: each step offers it to more installations; 100 completes the rollout."
      >
        {(id) => (
          <input
            id={id}
            name="steps"
            required
            defaultValue="1,10,50,100"
            pattern={STEPS_RE}
            inputMode="decimal"
            spellCheck={false}
          />
        )}
      </Field>
      <fieldset className="choice">
        <legend>Next steps</legend>
        <label className="check">
          <input
            type="radio"
            name="advance"
            value="manual"
            checked={!auto}
            onChange={() => {
              setAuto(false);
            }}
          />
          By hand, with “Advance”
        </label>
        <label className="check">
          <input
            type="radio"
            name="advance"
            value="auto"
            checked={auto}
            onChange={() => {
              setAuto(true);
            }}
          />
          By itself, after a set time
        </label>
        {auto && (
          <Field label="Hours between steps">
            {(id) => (
              <input id={id} name="hours" type="number" required min={0.25} max={720} step={0.25} defaultValue={2} />
            )}
          </Field>
        )}
      </fieldset>
      <div className="grid2">
        <Field
          label="Max failure rate (%)"
          hint="It pauses by itself when more of the installations that applied it reverted it than this."
        >
          {(id) => (
            <input id={id} name="maxFailureRate" type="number" required min={0} max={100} step="any" defaultValue={5} />
          )}
        </Field>
        <Field label="Minimum sample" hint="How many must have applied it before the rate counts.">
          {(id) => (
            <input id={id} name="minSample" type="number" required min={1} max={1000000} step={1} defaultValue={20} />
          )}
        </Field>
      </div>
    </ActionForm>
  );
}

/** An archive's rollouts on its page (vendor users), and "Roll out" for release managers while none is under way. */
export function ArchiveRollouts({ archive }: { archive: ArchiveRow }) {
  const can = useCan();
  const list = useApi<{ rollouts: RolloutView[] }>(`/v1/rollouts${qs({ archive: archive.id })}`);
  usePoll(list);
  const [starting, setStarting] = useState(false);
  const rollouts = list.data?.rollouts ?? [];
  const underWay = rollouts.find(live);
  return (
    <Card
      title="Rollouts"
      className="archive-rollouts"
      description={
        underWay
          ? `Rollout ${underWay.id} is ${underWay.state}.`
          : 'Offer it to a growing share of installations, pausing by itself when they revert it.'
      }
      actions={
        <>
          <Link href={`/rollouts${qs({ archive: archive.id })}`} className="button">
            Open in Rollouts
          </Link>
          {can('release-manager') && !underWay && list.data && (
            <Toggle open={starting} onToggle={setStarting} controls="roll-out" icon={RolloutIcon}>
              Roll out
            </Toggle>
          )}
        </>
      }
    >
      <div id="roll-out" className="panel roll-out" hidden={!starting}>
        {starting && (
          <StartRolloutForm
            chosen={archive.id}
            fixed={archive}
            onDone={() => {
              setStarting(false);
              list.reload();
            }}
          />
        )}
      </div>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="its rollouts" />}
      {list.data && rollouts.length === 0 && (
        <p className="muted">Never rolled out: it is offered to every installation that may take it.</p>
      )}
      {rollouts.length > 0 && (
        <div className="table-wrap">
          <table className="stack rollouts" aria-label={`Rollouts of ${archive.id}`}>
            <Head cols={['#', 'Scope', 'State', 'Progress', 'Reverts', 'Started']} />
            <tbody>
              {rollouts.map((r) => (
                <tr key={r.id} data-rollout={r.id}>
                  <td data-label="#" className="num">
                    {r.id}
                  </td>
                  <RolloutCells r={r} />
                  <td data-label="Started">
                    {r.createdBy}, <When at={r.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
