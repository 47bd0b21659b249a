import { useState } from 'react';
import { api, qs } from '../api.js';
import { KeyRound, Plus, Trash } from '../icons.js';
import { useCan } from '../session.js';
import type { CustomerRow, TokenRow } from '../types.js';
import {
  ActionForm,
  Badge,
  EmptyRow,
  ErrorBox,
  Field,
  Head,
  Layout,
  Loading,
  Reveal,
  Secret,
  str,
  useQuery,
  When,
} from '../ui.js';
import { useApi } from '../use-api.js';
import { InstallationTokenForm } from './admin-forms.js';

/** Tokens in use (an admin sees everyone's, installations' too): find a stale or leaked one and revoke it. */
export function TokensView() {
  const [q, setQ] = useQuery();
  const can = useCan();
  const all = q.get('all') === 'true';
  const list = useApi<{ tokens: TokenRow[]; capped: boolean }>(`/v1/tokens${qs({ all: all ? 'true' : '' })}`);
  const customers = useApi<{ customers: CustomerRow[] }>(can('admin') ? '/v1/customers' : null);
  return (
    <Layout
      title="Tokens"
      description={
        <>
          {can('admin')
            ? "Every token in use: users' sign-ins and CI tokens, and customers' installation tokens."
            : 'Your sign-ins and tokens.'}{' '}
          A revoked token stops working within 5 seconds on every server.
        </>
      }
    >
      <div className="button-row">
        <Reveal label="New token for me" icon={Plus}>
          <MyToken onDone={list.reload} />
        </Reveal>
        {can('admin') && (
          <Reveal label="New installation token" icon={KeyRound}>
            <InstallationTokenForm customers={customers.data?.customers ?? []} onDone={list.reload} />
          </Reveal>
        )}
      </div>
      <div className="toolbar">
        <label className="check">
          <input type="checkbox" checked={all} onChange={(e) => setQ({ all: e.target.checked ? 'true' : '' })} /> Show
          revoked and expired
        </label>
      </div>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="tokens" />}
      {list.data && (
        <div className="table-wrap">
          <table className="stack" aria-label="Tokens">
            <Head cols={['Name', 'Belongs to', 'Made', 'Last used', 'Expires', { label: 'State', hidden: true }]} />
            <tbody>
              {list.data.tokens.length === 0 && <EmptyRow cols={6}>No tokens.</EmptyRow>}
              {list.data.tokens.map((t) => (
                <Row key={t.id} t={t} onRevoked={list.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data?.capped && <p className="muted">The newest 1,000 are shown.</p>}
    </Layout>
  );
}

export function Row({ t, onRevoked, owner = true }: { t: TokenRow; onRevoked: () => void; owner?: boolean }) {
  const [error, setError] = useState<unknown>(null);
  const expired = t.expiresAt !== null && new Date(t.expiresAt).getTime() <= Date.now();
  return (
    <tr>
      <td data-label="Name">
        {t.name}
        {t.current && (
          <>
            {' '}
            <Badge tone="green">this sign-in</Badge>
          </>
        )}
      </td>
      {owner && <td data-label="Belongs to">{t.customer ? <>customer {t.customer}</> : t.user}</td>}
      <td data-label="Made">
        <When at={t.createdAt} />
      </td>
      <td data-label="Last used">{t.lastUsedAt ? <When at={t.lastUsedAt} /> : <span className="muted">never</span>}</td>
      <td data-label="Expires">{t.expiresAt ? <When at={t.expiresAt} /> : <span className="muted">never</span>}</td>
      <td className="row-actions">
        {t.revoked ? (
          <Badge tone="grey">revoked</Badge>
        ) : expired ? (
          <Badge tone="grey">expired</Badge>
        ) : t.current ? (
          <span className="muted">use Sign out</span>
        ) : (
          <button
            type="button"
            className="small danger-outline"
            aria-label={`Revoke ${t.name} (${t.customer ? `customer ${t.customer}` : (t.user ?? '?')})`}
            onClick={() => {
              if (!window.confirm(`Revoke the token "${t.name}"? Whatever uses it stops working.`)) return;
              setError(null);
              api('DELETE', `/v1/tokens/${t.id}`).then(onRevoked, setError);
            }}
          >
            <Trash size={14} />
            Revoke
          </button>
        )}
        <ErrorBox error={error} />
      </td>
    </tr>
  );
}

function MyToken({ onDone }: { onDone: () => void }) {
  const [made, setMade] = useState<string | null>(null);
  return (
    <>
      <ActionForm
        label="Make my token"
        icon={KeyRound}
        onSubmit={async (f) => {
          setMade((await api<{ token: string }>('POST', '/v1/tokens', { name: str(f, 'name') ?? '' })).token);
          onDone();
        }}
      >
        <Field label="Name" hint="Where it will be used, e.g. ci-nightly. It acts as you, with your role.">
          {(id) => <input id={id} name="name" required maxLength={200} />}
        </Field>
      </ActionForm>
      {made && (
        <Secret value={made} what="the token" testId="my-token">
          <p>
            Use it as <code>Authorization: Bearer …</code>, or <code>HFX_TOKEN</code> for the CLI.
          </p>
        </Secret>
      )}
    </>
  );
}
