import { useState } from 'react';
import { Link } from 'wouter';
import { api, download, qs } from '../api.js';
import { useCan } from '../session.js';
import type { ArchiveRow, FileNode } from '../types.js';
import { ActionForm, Badge, bytes, ErrorBox, Field, Layout, Loading, ProductPicker, str, useProducts, useQuery, When } from '../ui.js';
import { useApi } from '../use-api.js';

export function ArchivesView() {
  const [q, setQ] = useQuery();
  const can = useCan();
  const products = useProducts();
  const product = q.get('product') ?? '';
  const kind = q.get('kind') ?? '';
  const list = useApi<{ archives: ArchiveRow[] }>(`/v1/archives${qs({ product, kind })}`);
  return (
    <Layout title="Archives">
      <div className="toolbar">
        <ProductPicker value={product} products={products.data?.products ?? []} allowAll onChange={(p) => setQ({ product: p })} />
        <Field label="Kind">{(id) => (
          <select id={id} value={kind} onChange={(e) => setQ({ kind: e.target.value })}>
            <option value="">Hotfixes and updates</option><option value="hotfix">Hotfixes</option><option value="update">Updates</option>
          </select>
        )}</Field>
      </div>
      {can('developer') && <PushForm onDone={list.reload} />}
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="archives" />}
      {list.data && (
        <div className="table-wrap"><table aria-label="Archives">
          <thead><tr><th scope="col">Id</th><th scope="col">Kind</th><th scope="col">Title</th><th scope="col">Product</th><th scope="col">Level</th><th scope="col">Severity</th><th scope="col">Customer</th><th scope="col">Size</th><th scope="col">Uploaded</th></tr></thead>
          <tbody>
            {list.data.archives.length === 0 && <tr><td colSpan={9} className="muted">No archives.</td></tr>}
            {list.data.archives.map((a) => (
              <tr key={a.id}>
                <td><Link href={`/archives/${encodeURIComponent(a.id)}`}>{a.id}</Link></td>
                <td>{a.kind}{a.security && <> <Badge tone="red">security</Badge></>}</td>
                <td>{a.title}</td><td>{a.product} {a.release}</td><td>{a.kind === 'update' ? `${a.level} → ${a.to_level}` : a.level}</td>
                <td>{a.severity}</td><td>{a.customer_id ?? 'all'}</td><td>{bytes(a.size)}</td><td><When at={a.created_at} /></td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
    </Layout>
  );
}

function PushForm({ onDone }: { onDone: () => void }) {
  const [done, setDone] = useState<string | null>(null);
  return (
    <details className="push">
      <summary>Push an archive</summary>
      <ActionForm label="Push" onSubmit={async (f) => {
        const file = f.get('archive');
        if (!(file instanceof File) || file.size === 0) throw new Error('choose a signed archive (.zip) made by `hfx diff` or `hfx create`');
        const customer = str(f, 'customer');
        const r = await api<{ id: string; existed?: boolean }>('POST', `/v1/archives${qs({ customer })}`, file);
        setDone(r.existed ? `${r.id} was already here, with the same bytes.` : `${r.id} pushed.`);
        onDone();
      }}>
        <Field label="Signed archive (.zip)">{(id) => <input id={id} name="archive" type="file" accept=".zip,application/zip" required />}</Field>
        <Field label="Only for customer" hint="Empty: every customer of the release.">{(id) => <input id={id} name="customer" />}</Field>
      </ActionForm>
      {done && <p role="status" className="ok">{done}</p>}
    </details>
  );
}

function node(n: FileNode | null): string {
  if (!n) return '—';
  if (n.type === 'dir') return `dir ${n.mode ?? ''}`;
  if (n.type === 'symlink') return `→ ${n.target ?? ''}`;
  return `${(n.sha256 ?? '').slice(0, 12)}… ${bytes(n.size ?? 0)} ${n.mode ?? ''}`;
}

export function ArchiveView({ id }: { id: string }) {
  const a = useApi<ArchiveRow>(`/v1/archives/${encodeURIComponent(id)}`);
  const keys = useApi<{ keys: { keyid: string; name: string }[] }>('/v1/publisher-keys');
  const [error, setError] = useState<unknown>(null);
  const d = a.data;
  const m = d?.manifest;
  const signer = d?.signer ? (keys.data?.keys ?? []).find((k) => k.keyid === d.signer) : undefined;
  return (
    <Layout title={id} actions={d ? <button type="button" onClick={() => download(`/v1/archives/${encodeURIComponent(id)}/download`, `${id}.zip`).catch(setError)}>Download</button> : undefined}>
      <ErrorBox error={a.error ?? error} />
      {a.loading && !d && <Loading what="the archive" />}
      {d && (
        <>
          <dl className="facts wide">
            <dt>Title</dt><dd>{d.title}</dd>
            <dt>Kind</dt><dd>{d.kind}{d.security && <> <Badge tone="red">security</Badge></>}</dd>
            <dt>Product</dt><dd>{d.product} {d.release}, level {d.level}{d.to_level !== null ? ` → ${d.to_level}` : ''}</dd>
            <dt>Severity</dt><dd>{d.severity}</dd>
            <dt>Customer</dt><dd>{d.customer_id ?? 'every customer of the release'}</dd>
            <dt>Signature</dt><dd>{d.signer ? <>ed25519 by {signer ? <strong>{signer.name}</strong> : 'a trusted key'} <code title={d.signer}>{d.signer.slice(0, 16)}…</code>, verified on upload</> : 'unsigned'}</dd>
            <dt>Manifest digest</dt><dd><code>{d.digest}</code></dd>
            <dt>Archive SHA-256</dt><dd><code>{d.sha256}</code> ({bytes(d.size)})</dd>
            <dt>Uploaded</dt><dd>{d.uploaded_by}, <When at={d.created_at} /></dd>
            {d.includes.length > 0 && <><dt>Includes</dt><dd>{d.includes.join(', ')}</dd></>}
            {(m?.requires?.length ?? 0) > 0 && <><dt>Requires</dt><dd>{m!.requires!.join(', ')}</dd></>}
            {(m?.supersedes?.length ?? 0) > 0 && <><dt>Supersedes</dt><dd>{m!.supersedes!.join(', ')}</dd></>}
          </dl>
          {m?.description && <p className="description">{m.description}</p>}
          <p><Link href={`/fleet/hotfixes/${encodeURIComponent(d.id)}`}>Where it runs and how it spread</Link></p>
          <section aria-labelledby="h-files">
            <h2 id="h-files">Files ({m?.entries?.length ?? 0})</h2>
            <div className="table-wrap"><table aria-label="Files">
              <thead><tr><th scope="col">Path</th><th scope="col">Change</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
              <tbody>{(m?.entries ?? []).map((e) => <tr key={e.path}><td><code>{e.path}</code></td><td>{e.op}</td><td>{node(e.before)}</td><td>{node(e.after)}</td></tr>)}</tbody>
            </table></div>
          </section>
        </>
      )}
    </Layout>
  );
}
