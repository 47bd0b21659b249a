import { useState } from 'react';
import { api, qs } from '../api.js';
import { useCan } from '../session.js';
import type { TokenRow } from '../types.js';
import { ActionForm, Badge, ErrorBox, Field, Layout, Loading, str, useQuery, When } from '../ui.js';
import { useApi } from '../use-api.js';

/** Tokens in use (an admin sees everyone's, installations' too): find a stale or leaked one and revoke it. */
export function TokensView() {
  const [q, setQ] = useQuery();
  const can = useCan();
  const all = q.get('all') === 'true';
  const list = useApi<{ tokens: TokenRow[]; capped: boolean }>(`/v1/tokens${qs({ all: all ? 'true' : '' })}`);
  const customers = useApi<{ customers: { id: string; name: string }[] }>(can('admin') ? '/v1/customers' : null);
  return (
    <Layout title="Tokens">
      <p className="muted">{can('admin') ? 'Every token in use: users\' sign-ins and CI tokens, and customers\' installation tokens.' : 'Your sign-ins and tokens.'} A revoked token stops working within 5 seconds on every server.</p>
      <div className="toolbar">
        <label className="check"><input type="checkbox" checked={all} onChange={(e) => setQ({ all: e.target.checked ? 'true' : '' })} /> Show revoked and expired</label>
      </div>
      <div className="grid2">
        <NewToken label="New token for me" hint="For CI or scripts: it acts as you, with your role." onMake={async (name) => (await api<{ token: string }>('POST', '/v1/tokens', { name })).token} onDone={list.reload} />
        {can('admin') && (
          <NewToken label="New installation token" hint="Link an installation with: hfx login URL --token TOKEN" customers={customers.data?.customers ?? []}
            onMake={async (name, customer) => (await api<{ token: string }>('POST', `/v1/customers/${encodeURIComponent(customer ?? '')}/tokens`, { name })).token} onDone={list.reload} />
        )}
      </div>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="tokens" />}
      {list.data && (
        <div className="table-wrap"><table aria-label="Tokens">
          <thead><tr><th scope="col">Name</th><th scope="col">Belongs to</th><th scope="col">Made</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span className="sr-only">State</span></th></tr></thead>
          <tbody>
            {list.data.tokens.length === 0 && <tr><td colSpan={6} className="muted">No tokens.</td></tr>}
            {list.data.tokens.map((t) => <Row key={t.id} t={t} onRevoked={list.reload} />)}
          </tbody>
        </table></div>
      )}
      {list.data?.capped && <p className="muted">The newest 1,000 are shown.</p>}
    </Layout>
  );
}

function Row({ t, onRevoked }: { t: TokenRow; onRevoked: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const expired = t.expiresAt !== null && new Date(t.expiresAt).getTime() <= Date.now();
  return (
    <tr>
      <td>{t.name}{t.current && <> <Badge tone="green">this sign-in</Badge></>}</td>
      <td>{t.customer ? <>customer {t.customer}</> : t.user}</td>
      <td><When at={t.createdAt} /></td>
      <td>{t.lastUsedAt ? <When at={t.lastUsedAt} /> : <span className="muted">never</span>}</td>
      <td>{t.expiresAt ? <When at={t.expiresAt} /> : <span className="muted">never</span>}</td>
      <td>
        {t.revoked ? <Badge tone="grey">revoked</Badge> : expired ? <Badge tone="grey">expired</Badge> : t.current ? <span className="muted">use Sign out</span> : (
          <button type="button" className="danger" aria-label={`Revoke ${t.name} (${t.customer ? `customer ${t.customer}` : t.user})`} onClick={() => {
            if (!window.confirm(`Revoke the token "${t.name}"? Whatever uses it stops working.`)) return;
            setError(null);
            api('DELETE', `/v1/tokens/${t.id}`).then(onRevoked, setError);
          }}>Revoke</button>
        )}
        <ErrorBox error={error} />
      </td>
    </tr>
  );
}

function NewToken({ label, hint, customers, onMake, onDone }: { label: string; hint: string; customers?: { id: string; name: string }[]; onMake: (name: string, customer?: string) => Promise<string>; onDone: () => void }) {
  const [made, setMade] = useState<string | null>(null);
  return (
    <details className="push">
      <summary>{label}</summary>
      <ActionForm label="Make the token" onSubmit={async (f) => {
        setMade(await onMake(str(f, 'name') ?? '', str(f, 'customer')));
        onDone();
      }}>
        {customers && (
          <Field label="Customer">{(id) => (
            <select id={id} name="customer" required>
              <option value="">Choose…</option>
              {customers.map((c) => <option key={c.id} value={c.id}>{c.id} — {c.name}</option>)}
            </select>
          )}</Field>
        )}
        <Field label="Name" hint="Where it will be used, e.g. ci-nightly or acme-prod-1.">{(id) => <input id={id} name="name" required maxLength={200} />}</Field>
      </ActionForm>
      {made && (
        <div className="made" role="status">
          <p>Copy it now: it is shown only this once. {hint}</p>
          <code data-testid="new-token">{made}</code>
        </div>
      )}
    </details>
  );
}
