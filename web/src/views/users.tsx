import { useState } from 'react';
import { api } from '../api.js';
import { Ban, Check, Pencil, UserPlus, Users } from '../icons.js';
import { ROLE_LABEL, useSession } from '../session.js';
import type { CustomerRow, UserRole, UserRow } from '../types.js';
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
  str,
  Toggle,
  When,
} from '../ui.js';
import { useApi } from '../use-api.js';
import { USER_ROLES } from '../../../src/wire/roles.js';
import { NAME_RE } from './admin-forms.js';

const VENDOR_ROLES = USER_ROLES.filter((r) => r !== 'customer');

/** The server's users (admin): the vendor's people by role, and customers' people bound to their customer. */
export function UsersView() {
  const list = useApi<{ users: UserRow[] }>('/v1/users');
  const customers = useApi<{ customers: CustomerRow[] }>('/v1/customers');
  const [adding, setAdding] = useState(false);
  return (
    <Layout
      title="Users"
      description="Who may sign in, with which role. A customer's users see only that customer's cases, fixes and installations."
      actions={
        <Toggle primary open={adding} onToggle={setAdding} controls="add-user" icon={UserPlus}>
          Add a user
        </Toggle>
      }
    >
      <div id="add-user" hidden={!adding}>
        {adding && (
          <Card title="Add a user">
            <AddUser
              customers={customers.data?.customers ?? []}
              onDone={() => {
                setAdding(false);
                list.reload();
              }}
            />
          </Card>
        )}
      </div>
      <ErrorBox error={list.error ?? customers.error} />
      {list.loading && !list.data && <Loading what="users" />}
      {list.data?.users.length === 0 && <EmptyState icon={Users} title="No users" />}
      {list.data && list.data.users.length > 0 && (
        <div className="table-wrap">
          <table className="stack" aria-label="Users">
            <Head
              cols={['User', 'Role', 'Customer', 'E-mail', 'Status', 'Since', { label: 'Actions', hidden: true }]}
            />
            <tbody>
              {list.data.users.map((u) => (
                <UserLine key={u.username} u={u} onChange={list.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}

function AddUser({ customers, onDone }: { customers: CustomerRow[]; onDone: () => void }) {
  const [role, setRole] = useState<UserRole>('viewer');
  return (
    <ActionForm
      label="Add the user"
      icon={UserPlus}
      onSubmit={async (f) => {
        const email = str(f, 'email');
        await api('POST', '/v1/users', {
          username: str(f, 'username'),
          password: f.get('password'),
          role,
          ...(role === 'customer' ? { customer: str(f, 'customer') } : {}),
          ...(email ? { email } : {}),
        });
        onDone();
      }}
    >
      <div className="grid2">
        <Field label="Username">
          {(id) => <input id={id} name="username" required pattern={NAME_RE} maxLength={128} autoComplete="off" />}
        </Field>
        <Field label="Password" hint="At least 12 characters; tell it to the person by another channel.">
          {(id) => (
            <input
              id={id}
              name="password"
              type="password"
              required
              minLength={12}
              maxLength={1024}
              autoComplete="new-password"
            />
          )}
        </Field>
        <Field
          label="Role"
          hint={role === 'customer' ? 'Sees only its customer’s cases, fixes and installations.' : undefined}
        >
          {(id) => (
            <select id={id} name="role" value={role} onChange={(e) => setRole(e.target.value as UserRole)}>
              {USER_ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABEL[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {role === 'customer' && (
          <Field label="Customer">
            {(id) => <CustomerSelect id={id} name="customer" required defaultValue="" customers={customers} />}
          </Field>
        )}
        <Field label="E-mail" hint="Optional: the one address this user may subscribe to notifications.">
          {(id) => <input id={id} name="email" type="email" maxLength={320} />}
        </Field>
      </div>
    </ActionForm>
  );
}

function UserLine({ u, onChange }: { u: UserRow; onChange: () => void }) {
  const { me } = useSession();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const patch = async (body: object) => {
    setBusy(true);
    setError(null);
    try {
      await api('PATCH', `/v1/users/${encodeURIComponent(u.username)}`, body);
      onChange();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const self = me?.username === u.username;
  return (
    <>
      <tr className={u.disabled ? 'disabled' : undefined}>
        <td data-label="User" className="nowrap">
          <strong>{u.username}</strong>
          {self && (
            <>
              {' '}
              <Badge tone="blue">you</Badge>
            </>
          )}
        </td>
        <td data-label="Role" className="nowrap">
          {ROLE_LABEL[u.role]}
        </td>
        <td data-label="Customer">{u.customer ?? <span className="muted">—</span>}</td>
        <td data-label="E-mail">{u.email ?? <span className="muted">—</span>}</td>
        <td data-label="Status">
          {u.disabled ? <Badge tone="grey">disabled</Badge> : <Badge tone="green">active</Badge>}
        </td>
        <td data-label="Since" className="nowrap">
          <When at={u.createdAt} date />
        </td>
        <td className="row-actions">
          <button
            type="button"
            className="small"
            aria-expanded={editing}
            aria-label={`Edit ${u.username}`}
            onClick={() => setEditing((e) => !e)}
          >
            <Pencil size={14} />
            Edit
          </button>
          {u.disabled ? (
            <button
              type="button"
              className="small"
              disabled={busy}
              aria-label={`Enable ${u.username}`}
              onClick={() => void patch({ disabled: false })}
            >
              <Check size={14} />
              Enable
            </button>
          ) : (
            <button
              type="button"
              className="small danger-outline"
              disabled={busy || self}
              aria-label={`Disable ${u.username}`}
              title={self ? 'You cannot disable yourself here' : undefined}
              onClick={() => {
                if (window.confirm(`Disable ${u.username}? Their sign-ins and tokens stop working at once.`))
                  void patch({ disabled: true });
              }}
            >
              <Ban size={14} />
              Disable
            </button>
          )}
          <ErrorBox error={error} />
        </td>
      </tr>
      {editing && (
        <tr className="edit-row">
          <td colSpan={7}>
            <ActionForm
              label={`Save ${u.username}`}
              submit="Save"
              onSubmit={async (f) => {
                const email = str(f, 'email') ?? null;
                const role = str(f, 'role') as UserRole | undefined;
                const body = { ...(email !== u.email ? { email } : {}), ...(role && role !== u.role ? { role } : {}) };
                if (Object.keys(body).length) await api('PATCH', `/v1/users/${encodeURIComponent(u.username)}`, body);
                setEditing(false);
                onChange();
              }}
            >
              <div className="grid2">
                {u.role !== 'customer' && (
                  <Field label="Role">
                    {(id) => (
                      <select id={id} name="role" defaultValue={u.role}>
                        {VENDOR_ROLES.map((r) => (
                          <option key={r} value={r}>
                            {ROLE_LABEL[r]}
                          </option>
                        ))}
                      </select>
                    )}
                  </Field>
                )}
                <Field label="E-mail" hint="Empty removes it.">
                  {(id) => <input id={id} name="email" type="email" defaultValue={u.email ?? ''} maxLength={320} />}
                </Field>
              </div>
            </ActionForm>
          </td>
        </tr>
      )}
    </>
  );
}
