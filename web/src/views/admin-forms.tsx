import { useState } from 'react';
import { api } from '../api.js';
import { CustomerIcon, KeyRound, Package, ShieldCheck } from '../icons.js';
import type { CustomerRow } from '../types.js';
import { ActionForm, Command, CustomerSelect, Field, Secret, str } from '../ui.js';

/** The server's rule for ids (NAME_PATTERN), for the browser to check before sending. */
export const NAME_RE = '[A-Za-z0-9][A-Za-z0-9._+\\-]{0,127}';

/** The forms several views share: the set-up checklist offers them where the step is, the admin views beside their lists. */

export function AddCustomerForm({ onDone }: { onDone: (id: string) => void }) {
  return (
    <ActionForm
      label="Add the customer"
      icon={CustomerIcon}
      onSubmit={async (f) => {
        const id = str(f, 'id') ?? '';
        await api('POST', '/v1/customers', { id, name: str(f, 'name') ?? id });
        onDone(id);
      }}
    >
      <div className="grid2">
        <Field label="Customer id" hint="What archives, tokens and users refer to: letters, digits, . _ + -">
          {(id) => <input id={id} name="id" required pattern={NAME_RE} maxLength={128} placeholder="acme" />}
        </Field>
        <Field label="Name" hint="For people.">
          {(id) => <input id={id} name="name" required maxLength={200} placeholder="ACME Corp" />}
        </Field>
      </div>
    </ActionForm>
  );
}

/**
 * The line an installation links with: the token by standard input (never on the command line), and
 * the TUF root it will trust from then on, handed over out of band with the token (docs/distribution.md).
 */
export const loginLine = (name: string) =>
  `hfx login ${window.location.origin} --token-stdin --home DIR --root 1.root.json < ${name}.token`;

/** Where the root an installation is given comes from. */
export const ROOT_SOURCE =
  'the TUF root from hfx tuf init (server/1.root.json; a server with development keys keeps it in DATA/tuf/server/1.root.json)';

export function InstallationTokenForm({
  customers,
  customer,
  onDone,
}: {
  customers?: Pick<CustomerRow, 'id' | 'name'>[];
  customer?: string;
  onDone: () => void;
}) {
  const [made, setMade] = useState<{ token: string; name: string; customer: string } | null>(null);
  return (
    <>
      <ActionForm
        label="Make the token"
        icon={KeyRound}
        onSubmit={async (f) => {
          const c = customer ?? str(f, 'customer') ?? '';
          const name = str(f, 'name') ?? '';
          const r = await api<{ token: string }>('POST', `/v1/customers/${encodeURIComponent(c)}/tokens`, { name });
          setMade({ token: r.token, name, customer: c });
          onDone();
        }}
      >
        <div className="grid2">
          {!customer && (
            <Field label="Customer">
              {(id) => (
                <CustomerSelect
                  id={id}
                  name="customer"
                  required
                  defaultValue={customers?.length === 1 ? (customers[0]?.id ?? '') : ''}
                  customers={customers ?? []}
                />
              )}
            </Field>
          )}
          <Field label="Name" hint="Where it will be used, e.g. acme-prod-1.">
            {(id) => <input id={id} name="name" required maxLength={200} />}
          </Field>
        </div>
      </ActionForm>
      {made && (
        <Secret value={made.token} what="the token" testId="new-token">
          <p>
            Installation token for <strong>{made.customer}</strong>. Save it as <code>{made.name}.token</code> on the
            installation, with <code>1.root.json</code>, {ROOT_SOURCE}; then link it and report:
          </p>
          <Command what="the login command">{loginLine(made.name)}</Command>
          <Command what="the report command">hfx state --report --home DIR</Command>
        </Secret>
      )}
    </>
  );
}

export function TrustKeyForm({ onDone }: { onDone: (existed: boolean) => void }) {
  const [said, setSaid] = useState<string | null>(null);
  return (
    <>
      <ActionForm
        label="Trust the key"
        icon={ShieldCheck}
        onSubmit={async (f) => {
          const pem = str(f, 'publicKey') ?? '';
          // The server derives a public key from a private one, and would show it to every viewer: refused here first.
          if (pem.includes('PRIVATE KEY'))
            throw new Error('that is a private key: paste the public half (NAME.pub), and keep NAME.key secret');
          const r = await api<{ keyid: string; name: string; existed: boolean }>('POST', '/v1/publisher-keys', {
            name: str(f, 'name'),
            publicKey: `${pem}\n`,
          });
          const id = `${r.keyid.slice(0, 16)}…`;
          setSaid(
            r.existed ? `This key was already trusted (id ${id}): nothing changed.` : `Trusted ${r.name} (id ${id}).`,
          );
          onDone(r.existed);
        }}
      >
        <Field label="Name" hint="Who signs with it, e.g. vendor or release-2026.">
          {(id) => <input id={id} name="name" required maxLength={200} />}
        </Field>
        <Field label="Public key (PEM)" hint="The contents of NAME.pub written by hfx keygen --out NAME.">
          {(id) => (
            <textarea
              id={id}
              name="publicKey"
              required
              rows={4}
              spellCheck={false}
              className="mono"
              placeholder={'-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----'}
            />
          )}
        </Field>
      </ActionForm>
      {said && (
        <p role="status" className="ok">
          {said}
        </p>
      )}
    </>
  );
}

export function RegisterProduct({ onDone }: { onDone: () => void }) {
  return (
    <ActionForm
      label="Register the product"
      icon={Package}
      onSubmit={async (f) => {
        const name = str(f, 'name') ?? '';
        await api('POST', '/v1/products', { name, ...(str(f, 'title') ? { title: str(f, 'title') } : {}) });
        const release = str(f, 'release');
        if (release) await api('POST', `/v1/products/${encodeURIComponent(name)}/releases`, { version: release });
        onDone();
      }}
    >
      <div className="grid2">
        <Field label="Product name" hint="As archives name it, e.g. wso2am.">
          {(id) => <input id={id} name="name" required pattern={NAME_RE} maxLength={128} />}
        </Field>
        <Field label="Title">{(id) => <input id={id} name="title" maxLength={200} placeholder="API Manager" />}</Field>
        <Field label="First release" hint="Optional, e.g. 4.2.0.">
          {(id) => <input id={id} name="release" pattern={NAME_RE} maxLength={128} />}
        </Field>
      </div>
    </ActionForm>
  );
}
