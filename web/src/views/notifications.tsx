import { useState } from 'react';
import { api } from '../api.js';
import { Bell, Mail, Plus, Trash, Webhook } from '../icons.js';
import { useCan } from '../session.js';
import type { CustomerRow, NotifyEvent, OutboxRow, Subscription } from '../types.js';
import {
  ActionForm,
  Badge,
  Card,
  CustomerSelect,
  EmptyState,
  ErrorBox,
  Field,
  Head,
  Layout,
  Loading,
  Secret,
  str,
  Toggle,
  When,
} from '../ui.js';
import { useApi } from '../use-api.js';

// The events offered, checked against the server's list (src/server/notify/outbox.ts, which sends mail and so is not bundled);
// an event the server adds later is offered once it is named here.
const EVENTS: readonly NotifyEvent[] = [
  'case.created',
  'case.ready',
  'case.deployed',
  'case.solved',
  'security-update.published',
];
const EVENT_SAID: Partial<Record<NotifyEvent, string>> = {
  'case.created': 'S1/S2 case reported',
  'case.ready': 'hotfix ready',
  'case.deployed': 'deployed to an environment',
  'case.solved': 'case solved',
  'security-update.published': 'security update published',
};

/** Who is told what (subscriptions), and whether it reached them (the outbox): release managers and up see both. */
export function NotificationsView() {
  const can = useCan();
  const subs = useApi<{ subscriptions: Subscription[] }>(can('release-manager') ? '/v1/subscriptions' : null);
  const outbox = useApi<{ notifications: OutboxRow[] }>(can('release-manager') ? '/v1/notifications' : null);
  const [adding, setAdding] = useState(false);
  return (
    <Layout
      title="Notifications"
      description="Webhooks and e-mails sent when a case moves or a security update is published. Delivery is retried with backoff, then marked failed."
      actions={
        <Toggle primary open={adding} onToggle={setAdding} controls="subscribe" icon={Plus}>
          Subscribe
        </Toggle>
      }
    >
      <div id="subscribe" hidden={!adding}>
        {adding && (
          <Card title={can('admin') ? 'New subscription' : 'Subscribe my e-mail'}>
            {can('admin') ? <AdminSubscribe onDone={subs.reload} /> : <OwnSubscribe onDone={subs.reload} />}
          </Card>
        )}
      </div>
      {!can('release-manager') && !adding && (
        <EmptyState
          icon={Bell}
          title="Get case news by e-mail"
          actions={
            <button type="button" onClick={() => setAdding(true)}>
              <Mail size={16} />
              Subscribe my e-mail
            </button>
          }
        >
          <p>
            You may subscribe your own e-mail address of record. Webhooks and customers' contacts are set up by an
            admin; release managers see every subscription and delivery.
          </p>
        </EmptyState>
      )}
      {can('release-manager') && (
        <>
          <Card title="Subscriptions">
            <ErrorBox error={subs.error} />
            {subs.loading && !subs.data && <Loading what="subscriptions" />}
            {subs.data?.subscriptions.length === 0 && (
              <EmptyState level={3} icon={Bell} title="Nobody is notified yet">
                <p>
                  {can('admin')
                    ? "Subscribe a webhook (a chat or ticket system), a customer's contact, or an e-mail address with “Subscribe”."
                    : 'An admin subscribes webhooks and contacts; you may subscribe your own e-mail with “Subscribe”.'}
                </p>
              </EmptyState>
            )}
            {subs.data && subs.data.subscriptions.length > 0 && (
              <div className="table-wrap">
                <table className="stack" aria-label="Subscriptions">
                  <Head cols={['To', 'Events', 'For', 'Added', { label: 'Actions', hidden: true }]} />
                  <tbody>
                    {subs.data.subscriptions.map((s) => (
                      <SubscriptionLine key={s.id} s={s} onChange={subs.reload} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          <Card title="Deliveries" description="The newest 100 of the outbox.">
            <ErrorBox error={outbox.error} />
            {outbox.loading && !outbox.data && <Loading what="deliveries" />}
            {outbox.data?.notifications.length === 0 && (
              <p className="muted">Nothing sent yet: a notification is queued when a subscribed event happens.</p>
            )}
            {outbox.data && outbox.data.notifications.length > 0 && (
              <div className="table-wrap">
                <table className="stack" aria-label="Deliveries">
                  <Head cols={['Event', 'To', 'Status', 'Tries', 'Last error', 'Queued']} />
                  <tbody>
                    {outbox.data.notifications.map((n) => (
                      <tr key={n.id}>
                        <td data-label="Event">{n.event}</td>
                        <td data-label="To" className="clip" title={n.target}>
                          <KindIcon kind={n.kind} /> {n.target}
                        </td>
                        <td data-label="Status">
                          {n.delivered_at ? (
                            <Badge tone="green">delivered</Badge>
                          ) : n.failed_at ? (
                            <Badge tone="red">failed</Badge>
                          ) : (
                            <Badge tone="amber">pending</Badge>
                          )}
                          {!n.delivered_at && !n.failed_at && n.next_at && (
                            <small className="muted block">
                              next try <When at={n.next_at} />
                            </small>
                          )}
                        </td>
                        <td data-label="Tries" className="num">
                          {n.attempts}
                        </td>
                        <td data-label="Last error" className="clip" title={n.last_error ?? undefined}>
                          {n.last_error ?? <span className="muted">—</span>}
                        </td>
                        <td data-label="Queued">
                          <When at={n.created_at} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        </>
      )}
    </Layout>
  );
}

function SubscriptionLine({ s, onChange }: { s: Subscription; onChange: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const events = Array.isArray(s.events) ? s.events : [];
  return (
    <tr>
      <td data-label="To">
        <KindIcon kind={s.kind} /> <span className="break">{s.target}</span>
      </td>
      <td data-label="Events">{events.length === EVENTS.length ? 'all events' : events.join(', ')}</td>
      <td data-label="For">
        {s.customer_id ? (
          <>
            contact of <strong>{s.customer_id}</strong>
          </>
        ) : s.username ? (
          <>{s.username}'s own</>
        ) : (
          <span className="muted">vendor</span>
        )}
      </td>
      <td data-label="Added">
        {s.created_by}, <When at={s.created_at} />
      </td>
      <td className="row-actions">
        <button
          type="button"
          className="small danger-outline"
          aria-label={`Remove the subscription of ${s.target}`}
          onClick={() => {
            if (!window.confirm(`Stop notifying ${s.target}?`)) return;
            setError(null);
            api('DELETE', `/v1/subscriptions/${s.id}`).then(onChange, setError);
          }}
        >
          <Trash size={14} />
          Remove
        </button>
        <ErrorBox error={error} />
      </td>
    </tr>
  );
}

function EventChoice() {
  return (
    <fieldset className="events">
      <legend>Events</legend>
      {EVENTS.map((e) => (
        <label key={e} className="check">
          <input type="checkbox" name="events" value={e} defaultChecked /> <code>{e}</code>{' '}
          <span className="muted">{EVENT_SAID[e]}</span>
        </label>
      ))}
    </fieldset>
  );
}

function KindIcon({ kind }: { kind: string }) {
  return kind === 'webhook' ? (
    <Webhook size={14} className="inline-icon" />
  ) : (
    <Mail size={14} className="inline-icon" />
  );
}

const chosenEvents = (f: FormData) => f.getAll('events').filter((x): x is string => typeof x === 'string');

function AdminSubscribe({ onDone }: { onDone: () => void }) {
  const [kind, setKind] = useState<'webhook' | 'email'>('webhook');
  const [secret, setSecret] = useState<string | null>(null);
  const customers = useApi<{ customers: CustomerRow[] }>('/v1/customers');
  return (
    <>
      <ActionForm
        label="Add the subscription"
        icon={Bell}
        onSubmit={async (f) => {
          const events = chosenEvents(f);
          if (events.length === 0) throw new Error('choose at least one event');
          const customer = str(f, 'customer');
          const body = { kind, target: str(f, 'target'), events, ...(customer ? { customer } : {}) };
          const r = await api<{ id: number; secret?: string }>('POST', '/v1/subscriptions', body);
          setSecret(r.secret ?? null);
          onDone();
        }}
      >
        <div className="grid2">
          <Field label="Kind">
            {(id) => (
              <select id={id} name="kind" value={kind} onChange={(e) => setKind(e.target.value as 'webhook' | 'email')}>
                <option value="webhook">Webhook (HTTPS POST, signed)</option>
                <option value="email">E-mail</option>
              </select>
            )}
          </Field>
          <Field
            label={kind === 'webhook' ? 'URL' : 'Address'}
            hint={
              kind === 'webhook'
                ? 'Internal addresses are refused unless the server was started with --webhook-allow.'
                : undefined
            }
          >
            {(id) => (
              <input
                id={id}
                name="target"
                required
                type={kind === 'webhook' ? 'url' : 'email'}
                maxLength={2048}
                placeholder={kind === 'webhook' ? 'https://chat.example.com/hooks/…' : 'ops@example.com'}
              />
            )}
          </Field>
          <Field
            label="Customer's contact"
            hint="Empty: the vendor's own. A contact hears only that customer's events."
          >
            {(id) => (
              <CustomerSelect
                id={id}
                name="customer"
                defaultValue=""
                none="— none —"
                customers={customers.data?.customers ?? []}
              />
            )}
          </Field>
        </div>
        <EventChoice />
      </ActionForm>
      {secret && (
        <Secret value={secret} what="the webhook secret" testId="webhook-secret">
          <p>
            The receiver checks <code>X-Hfx-Signature</code> with it (docs/cases.md, “Verifying a webhook”).
          </p>
        </Secret>
      )}
    </>
  );
}

function OwnSubscribe({ onDone }: { onDone: () => void }) {
  const me = useApi<{ email?: string | null }>('/v1/me');
  const [made, setMade] = useState<number | null>(null);
  const email = me.data?.email ?? null;
  if (me.loading && !me.data) return <Loading what="your address" />;
  if (!email)
    return <p className="muted">No e-mail address is recorded for you: ask an admin to add it (Users, Edit).</p>;
  return (
    <>
      <ActionForm
        label="Subscribe my e-mail"
        icon={Mail}
        onSubmit={async (f) => {
          const events = chosenEvents(f);
          if (events.length === 0) throw new Error('choose at least one event');
          setMade(
            (await api<{ id: number }>('POST', '/v1/subscriptions', { kind: 'email', target: email, events })).id,
          );
          onDone();
        }}
      >
        <p>
          To <strong>{email}</strong>, your address of record.
        </p>
        <EventChoice />
      </ActionForm>
      {made !== null && (
        <p role="status" className="ok">
          Subscribed.{' '}
          <button
            type="button"
            className="link"
            onClick={() =>
              void api('DELETE', `/v1/subscriptions/${made}`).then(() => {
                setMade(null);
                onDone();
              })
            }
          >
            Undo
          </button>
        </p>
      )}
    </>
  );
}
