import { useState } from 'react';
import { Link } from 'wouter';
import { CustomerIcon, KeyRound, Plus } from '../icons.js';
import { ROLE_LABEL, useCan } from '../session.js';
import type { CustomerRow, TokenRow, UserRow } from '../types.js';
import { Badge, Card, Command, EmptyState, ErrorBox, Head, Layout, Loading, plural, Toggle, When } from '../ui.js';
import { useApi } from '../use-api.js';
import { AddCustomerForm, InstallationTokenForm } from './admin-forms.js';
import { Row as TokenLine } from './tokens.js';

/** Customers with what onboarding needs (admin; release managers read): tokens, installations, people. */
export function CustomersView({ selected }: { selected: string | null }) {
  const can = useCan();
  const list = useApi<{ customers: CustomerRow[] }>('/v1/customers');
  const [adding, setAdding] = useState(false);
  const chosen = list.data?.customers.find((c) => c.id === selected) ?? null;
  return (
    <Layout
      title="Customers"
      description="Each customer's installations link with its installation tokens; its people sign in as users with the role Customer."
      actions={
        can('admin') ? (
          <Toggle primary open={adding} onToggle={setAdding} controls="add-customer" icon={Plus}>
            Add a customer
          </Toggle>
        ) : undefined
      }
    >
      <div id="add-customer" hidden={!adding}>
        {adding && (
          <Card title="Add a customer">
            <AddCustomerForm
              onDone={() => {
                setAdding(false);
                list.reload();
              }}
            />
          </Card>
        )}
      </div>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="customers" />}
      {list.data?.customers.length === 0 && (
        <EmptyState icon={CustomerIcon} title="No customers yet">
          <p>
            A customer owns installations and their tokens, and its own people's accounts.{' '}
            {can('admin') ? 'Add one with “Add a customer”, or:' : 'An admin adds one:'}
          </p>
          <Command>hfx customer add acme --name "ACME Corp"</Command>
        </EmptyState>
      )}
      {list.data && list.data.customers.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Customers">
            <Head
              cols={[
                'Customer',
                'Name',
                ...['Installation tokens', 'Installations', 'Users'].map((label) => ({ label, num: true })),
                'Since',
              ]}
            />
            <tbody>
              {list.data.customers.map((c) => (
                <tr key={c.id} aria-current={c.id === selected ? 'true' : undefined}>
                  <td>
                    <Link href={`/customers/${encodeURIComponent(c.id)}`}>{c.id}</Link>
                  </td>
                  <td>{c.name}</td>
                  <td className="num">{c.tokens}</td>
                  <td className="num">{c.installations}</td>
                  <td className="num">{c.users}</td>
                  <td className="nowrap">
                    <When at={c.createdAt} date />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selected && list.data && !chosen && <ErrorBox error={new Error(`no customer ${selected}`)} />}
      {chosen && <CustomerDetail c={chosen} onChange={list.reload} />}
    </Layout>
  );
}

function CustomerDetail({ c, onChange }: { c: CustomerRow; onChange: () => void }) {
  const can = useCan();
  // Everyone's tokens are listed to an admin only; the customer's are picked from them.
  const tokens = useApi<{ tokens: TokenRow[] }>(can('admin') ? '/v1/tokens' : null);
  const users = useApi<{ users: UserRow[] }>(can('admin') ? '/v1/users' : null);
  const mine = (tokens.data?.tokens ?? []).filter((t) => t.customer === c.id);
  const [making, setMaking] = useState(false);
  const people = (users.data?.users ?? []).filter((u) => u.customer === c.id);
  const reload = () => {
    tokens.reload();
    onChange();
  };
  return (
    <Card
      title={`${c.name} (${c.id})`}
      className="customer-detail"
      description={`${plural(c.installations, 'installation')} reporting, ${plural(c.tokens, 'live installation token')}, ${plural(c.users, 'active user')}.`}
    >
      {can('admin') ? (
        <>
          <div className="section-head">
            <h3>Installation tokens</h3>
            <Toggle open={making} onToggle={setMaking} controls="make-token" icon={KeyRound}>
              Make an installation token
            </Toggle>
          </div>
          <div id="make-token" className="panel" hidden={!making}>
            {making && <InstallationTokenForm customer={c.id} onDone={reload} />}
          </div>
          <ErrorBox error={tokens.error} />
          {tokens.data &&
            (mine.length === 0 ? (
              <p className="muted">No live installation token: make one for each installation.</p>
            ) : (
              <div className="table-wrap">
                <table className="stack" aria-label={`Installation tokens of ${c.id}`}>
                  <Head cols={['Name', 'Made', 'Last used', 'Expires', { label: 'State', hidden: true }]} />
                  <tbody>
                    {mine.map((t) => (
                      <TokenLine key={t.id} t={t} owner={false} onRevoked={reload} />
                    ))}
                  </tbody>
                </table>
              </div>
            ))}
          <h3>People</h3>
          {people.length === 0 ? (
            <p className="muted">
              No user of {c.id} yet: add one in <Link href="/users">Users</Link> with the role {ROLE_LABEL.customer}.
            </p>
          ) : (
            <ul className="plain-list">
              {people.map((u) => (
                <li key={u.username}>
                  {u.username} {u.email && <span className="muted">{u.email}</span>}{' '}
                  {u.disabled && <Badge tone="grey">disabled</Badge>}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : (
        <p className="muted">Tokens and people are managed by an admin.</p>
      )}
    </Card>
  );
}
