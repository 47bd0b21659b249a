import { useState } from 'react';
import { Link } from 'wouter';
import { api, ApiError, download, qs } from '../api.js';
import { ArchiveIcon, CircleArrowUp, CircleX, Download, ShieldAlert, Upload } from '../icons.js';
import { useCan, useCustomer } from '../session.js';
import type { ArchiveRow, FileNode } from '../types.js';
import {
  ActionForm,
  Badge,
  bytes,
  Card,
  Command,
  EmptyRow,
  EmptyState,
  ErrorBox,
  Field,
  Head,
  Layout,
  Loading,
  ProductPicker,
  str,
  Toggle,
  useProducts,
  useQuery,
  When,
} from '../ui.js';
import { useApi } from '../use-api.js';
import { SeverityBadge } from './cases.js';
import { ArchiveRollouts } from './rollouts.js';

export function ArchivesView() {
  const [q, setQ] = useQuery();
  const can = useCan();
  const customer = useCustomer();
  const products = useProducts();
  const product = q.get('product') ?? '';
  const kind = q.get('kind') ?? '';
  const list = useApi<{ archives: ArchiveRow[] }>(`/v1/archives${qs({ product, kind })}`);
  const filtered = product !== '' || kind !== '';
  const [pushing, setPushing] = useState(false);
  return (
    <Layout
      title={customer ? 'Fixes and updates' : 'Archives'}
      description={
        customer ? (
          <>
            Hotfixes and updates offered to <strong>{customer}</strong>'s installations:{' '}
            <code>hfx check --home DIR</code> lists them there, <code>hfx apply ID --server</code> installs one.
          </>
        ) : (
          'Signed hotfix and update archives on the server: each was checked on upload as hfx apply would.'
        )
      }
      actions={
        can('developer') ? (
          <Toggle primary open={pushing} onToggle={setPushing} controls="push-panel" icon={Upload}>
            Push an archive
          </Toggle>
        ) : undefined
      }
    >
      <div id="push-panel" hidden={!pushing}>
        {pushing && <PushForm onDone={list.reload} />}
      </div>
      <div className="toolbar">
        <ProductPicker
          value={product}
          products={products.data?.products ?? []}
          allowAll
          onChange={(p) => setQ({ product: p })}
        />
        <Field label="Kind">
          {(id) => (
            <select id={id} value={kind} onChange={(e) => setQ({ kind: e.target.value })}>
              <option value="">Hotfixes and updates</option>
              <option value="hotfix">Hotfixes</option>
              <option value="update">Updates</option>
            </select>
          )}
        </Field>
      </div>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="archives" />}
      {list.data?.archives.length === 0 &&
        !filtered &&
        (customer ? (
          <EmptyState icon={CircleArrowUp} title="Nothing offered yet">
            <p>
              Hotfixes made for your installations, and update levels of the releases you run, appear here as soon as
              your vendor publishes them.
            </p>
          </EmptyState>
        ) : (
          <EmptyState icon={ArchiveIcon} title="No archives yet">
            <p>
              Make a signed hotfix with <code>hfx diff</code> or <code>hfx create</code>, then push it
              {can('developer') ? ' here with “Push an archive”, or' : ''} from the command line:
            </p>
            <Command>hfx push HF-1.0.0-1.zip</Command>
            <p className="muted">
              The server accepts only archives signed by a trusted publisher key (Publisher keys).
            </p>
          </EmptyState>
        ))}
      {list.data && (list.data.archives.length > 0 || filtered) && (
        <div className="table-wrap">
          <table aria-label="Archives">
            <Head
              cols={[
                'Id',
                'Kind',
                'Title',
                'Product',
                'Level',
                'Severity',
                ...(customer ? [] : ['Customer']),
                { label: 'Size', num: true },
                'Uploaded',
              ]}
            />
            <tbody>
              {list.data.archives.length === 0 && <EmptyRow cols={9}>No archives match.</EmptyRow>}
              {list.data.archives.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link href={`/archives/${encodeURIComponent(a.id)}`}>{a.id}</Link>
                  </td>
                  <td>
                    {a.kind}
                    <SecurityFlag on={a.security} />
                  </td>
                  <td>{a.title}</td>
                  <td>
                    {a.product} {a.release}
                  </td>
                  <td>{a.kind === 'update' ? `${a.level} → ${a.to_level ?? '?'}` : a.level}</td>
                  <td>
                    <SeverityBadge severity={a.severity} />
                  </td>
                  {!customer && <td>{a.customer_id ?? 'all'}</td>}
                  <td className="num">{bytes(a.size)}</td>
                  <td>
                    <When at={a.created_at} />
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

/** The mark of a security fix, after its id or kind (hence the space before it): the same wherever an archive is listed. */
export function SecurityFlag({ on }: { on: boolean }) {
  if (!on) return null;
  return (
    <>
      {' '}
      <Badge tone="red" icon={ShieldAlert}>
        security
      </Badge>
    </>
  );
}

function PushForm({ onDone }: { onDone: () => void }) {
  const [done, setDone] = useState<string | null>(null);
  return (
    <Card
      title="Push an archive"
      description="A signed .zip made by hfx diff or hfx create; the server checks it as hfx apply would before storing it."
    >
      <ActionForm
        label="Push"
        icon={Upload}
        onSubmit={async (f) => {
          setDone(null);
          const file = f.get('archive');
          if (!(file instanceof File) || file.size === 0)
            throw new Error('choose a signed archive (.zip) made by `hfx diff` or `hfx create`');
          const customer = str(f, 'customer');
          // The same bytes again answer 200 { id, existed } without a size: say so rather than show a size there is none of.
          const r = await api<{ id: string; existed?: boolean; size?: number }>(
            'POST',
            `/v1/archives${qs({ customer })}`,
            file,
          );
          const size = typeof r.size === 'number' ? ` (${bytes(r.size)})` : '';
          setDone(
            r.existed
              ? `${r.id} was already on the server, with the same bytes: nothing changed.`
              : `${r.id} pushed${size}.`,
          );
          onDone();
        }}
      >
        <div className="grid2">
          <Field label="Signed archive (.zip)">
            {(id) => <input id={id} name="archive" type="file" accept=".zip,application/zip" required />}
          </Field>
          <Field label="Only for customer" hint="Empty: every customer of the release.">
            {(id) => <input id={id} name="customer" placeholder="customer id" />}
          </Field>
        </div>
      </ActionForm>
      {done && (
        <p role="status" className="ok">
          {done}
        </p>
      )}
    </Card>
  );
}

function node(n: FileNode | null): string {
  if (!n) return '—';
  if (n.type === 'dir') return `dir ${n.mode ?? ''}`;
  if (n.type === 'symlink') return `→ ${n.target ?? ''}`;
  return `${(n.sha256 ?? '').slice(0, 12)}… ${bytes(n.size ?? 0)} ${n.mode ?? ''}`;
}

export function ArchiveView({ id }: { id: string }) {
  const customer = useCustomer();
  const a = useApi<ArchiveRow>(`/v1/archives/${encodeURIComponent(id)}`);
  // Publisher keys are the vendor's list: a customer's user is not asked for it (403).
  const keys = useApi<{ keys: { keyid: string; name: string }[] }>(customer ? null : '/v1/publisher-keys');
  const [error, setError] = useState<unknown>(null);
  // The signature names its key from the publisher keys: the page waits for them (or their refusal)
  // rather than say "a trusted key" and then change under the reader.
  const d = customer !== null || keys.data !== null || keys.error !== null ? a.data : null;
  const m = d?.manifest;
  const requires = m?.requires ?? [];
  const supersedes = m?.supersedes ?? [];
  const signer = d?.signer ? (keys.data?.keys ?? []).find((k) => k.keyid === d.signer) : undefined;
  const missing = a.error instanceof ApiError && a.error.status === 404;
  return (
    <Layout
      title={id}
      back={{ href: '/archives', label: customer ? 'Fixes and updates' : 'Archives' }}
      actions={
        d ? (
          <button
            type="button"
            className="primary"
            onClick={() =>
              void download(`/v1/archives/${encodeURIComponent(id)}/download`, `${id}.zip`).catch(setError)
            }
          >
            <Download size={16} />
            Download
          </button>
        ) : undefined
      }
    >
      {missing ? (
        <EmptyState
          icon={CircleX}
          title="Archive not found"
          actions={
            <Link href="/archives" className="button">
              See the list
            </Link>
          }
        >
          <p>
            There is no archive {id}
            {customer ? ' offered to you' : ''}.
          </p>
        </EmptyState>
      ) : (
        <ErrorBox error={a.error ?? error} />
      )}
      {!d && !a.error && <Loading what="the archive" />}
      {d && (
        <>
          <Card title={d.title}>
            <dl className="facts wide">
              <dt>Kind</dt>
              <dd>
                {d.kind}
                <SecurityFlag on={d.security} />
              </dd>
              <dt>Product</dt>
              <dd>
                {d.product} {d.release}, level {d.level}
                {d.to_level !== null ? ` → ${d.to_level}` : ''}
              </dd>
              <dt>Severity</dt>
              <dd>
                <SeverityBadge severity={d.severity} />
              </dd>
              <dt>Customer</dt>
              <dd>{d.customer_id ?? 'every customer of the release'}</dd>
              <dt>Signature</dt>
              <dd>
                {d.signer ? (
                  <>
                    ed25519 by {signer ? <strong>{signer.name}</strong> : 'a trusted key'}{' '}
                    <code title={d.signer}>{d.signer.slice(0, 16)}…</code>, verified on upload
                  </>
                ) : (
                  'unsigned'
                )}
              </dd>
              <dt>Manifest digest</dt>
              <dd>
                <code>{d.digest}</code>
              </dd>
              <dt>Archive SHA-256</dt>
              <dd>
                <code>{d.sha256}</code> ({bytes(d.size)})
              </dd>
              <dt>Uploaded</dt>
              <dd>
                {customer ? (
                  <When at={d.created_at} />
                ) : (
                  <>
                    {d.uploaded_by}, <When at={d.created_at} />
                  </>
                )}
              </dd>
              {d.includes.length > 0 && (
                <>
                  <dt>Includes</dt>
                  <dd>{d.includes.join(', ')}</dd>
                </>
              )}
              {requires.length > 0 && (
                <>
                  <dt>Requires</dt>
                  <dd>{requires.join(', ')}</dd>
                </>
              )}
              {supersedes.length > 0 && (
                <>
                  <dt>Supersedes</dt>
                  <dd>{supersedes.join(', ')}</dd>
                </>
              )}
            </dl>
            {m?.description && <p className="description">{m.description}</p>}
            {customer ? (
              <>
                <p>On an installation linked to this server:</p>
                <Command>
                  {d.kind === 'update' ? 'hfx update --server --home DIR' : `hfx apply ${d.id} --server --home DIR`}
                </Command>
              </>
            ) : (
              <p>
                <Link href={`/fleet/hotfixes/${encodeURIComponent(d.id)}`}>Where it runs and how it spread</Link>
              </p>
            )}
          </Card>
          {/* A customer's people are not shown the vendor's rollouts (the server refuses them). */}
          {!customer && <ArchiveRollouts archive={d} />}
          <section aria-labelledby="h-files">
            <h2 id="h-files">Files ({m?.entries?.length ?? 0})</h2>
            <div className="table-wrap">
              <table aria-label="Files">
                <Head cols={['Path', 'Change', 'Before', 'After']} />
                <tbody>
                  {(m?.entries ?? []).map((e) => (
                    <tr key={e.path}>
                      <td>
                        <code>{e.path}</code>
                      </td>
                      <td>{e.op}</td>
                      <td>{node(e.before)}</td>
                      <td>{node(e.after)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
    </Layout>
  );
}
