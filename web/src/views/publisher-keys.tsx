import { useState } from 'react';
import { ShieldCheck } from '../icons.js';
import { useCan } from '../session.js';
import type { PublisherKey } from '../types.js';
import { Card, Command, CopyButton, EmptyState, ErrorBox, Head, Layout, Loading, Toggle, When } from '../ui.js';
import { useApi } from '../use-api.js';
import { TrustKeyForm } from './admin-forms.js';

/** The keys whose signatures the server accepts on a push (not an installation's own trust store). */
export function PublisherKeysView() {
  const can = useCan();
  const list = useApi<{ keys: PublisherKey[] }>('/v1/publisher-keys');
  const [adding, setAdding] = useState(false);
  return (
    <Layout
      title="Publisher keys"
      description={
        <>
          A push is refused unless its archive is signed by one of these keys. Installations keep their own trust list (
          <code>hfx trust</code>).
        </>
      }
      actions={
        can('admin') ? (
          <Toggle primary open={adding} onToggle={setAdding} controls="trust-key" icon={ShieldCheck}>
            Trust a key
          </Toggle>
        ) : undefined
      }
    >
      <div id="trust-key" hidden={!adding}>
        {adding && (
          <Card title="Trust a publisher key">
            <TrustKeyForm onDone={list.reload} />
          </Card>
        )}
      </div>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="keys" />}
      {list.data?.keys.length === 0 && (
        <EmptyState icon={ShieldCheck} title="No key trusted yet">
          <p>
            Nothing can be pushed until a key is trusted. Make a key pair where archives are signed, then trust its
            public half
            {can('admin') ? ' here (“Trust a key”) or' : ' (an admin)'}:
          </p>
          <Command>hfx keygen --out vendor</Command>
          <Command>hfx key trust vendor.pub --name vendor</Command>
        </EmptyState>
      )}
      {list.data && list.data.keys.length > 0 && (
        <div className="table-wrap">
          <table className="stack" aria-label="Publisher keys">
            <Head cols={['Name', 'Key id', 'Trusted since', { label: 'Public key', hidden: true }]} />
            <tbody>
              {list.data.keys.map((k) => (
                <tr key={k.keyid}>
                  <td data-label="Name">
                    <strong>{k.name}</strong>
                  </td>
                  <td data-label="Key id">
                    <code title={k.keyid}>{k.keyid.slice(0, 16)}…</code>
                  </td>
                  <td data-label="Trusted since">
                    <When at={k.created_at} />
                  </td>
                  <td className="row-actions">
                    <CopyButton text={k.public_pem} what={`the public key ${k.name}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
