import type { MapDiff, ReleaseDiff, ReleaseManifest } from '../../../src/wire/releases.js';
import { qs } from '../api.js';
import { Tag } from '../icons.js';
import {
  Badge,
  Card,
  Command,
  EmptyState,
  ErrorBox,
  Field,
  Head,
  Layout,
  Loading,
  useProducts,
  useQuery,
  When,
} from '../ui.js';
import { useApi } from '../use-api.js';
import { ProductBar } from './overview.js';

type Summary = Pick<
  ReleaseManifest,
  'version' | 'status' | 'released_at' | 'base' | 'hotfixes' | 'channels' | 'notes' | 'commit'
> & { published_at?: string | null };

/** The product's release manifests (published with `hfx release publish --server`), one shown, and the diff of two. */
export function ReleasesView({ product }: { product: string | null }) {
  const products = useProducts();
  const [q, setQ] = useQuery();
  const chosen = product ?? products.data?.products[0]?.name ?? null;
  const p = chosen ? encodeURIComponent(chosen) : '';
  const list = useApi<{ manifests: Summary[] }>(chosen ? `/v1/products/${p}/manifests` : null);
  const versions = (list.data?.manifests ?? []).map((m) => m.version);
  const show = q.get('show') ?? versions.at(-1) ?? null;
  const from = q.get('from') ?? versions.at(-2) ?? null;
  const to = q.get('to') ?? versions.at(-1) ?? null;
  const one = useApi<{ manifest: ReleaseManifest }>(
    chosen && show ? `/v1/products/${p}/manifests/${encodeURIComponent(show)}` : null,
  );
  const diff = useApi<ReleaseDiff>(
    chosen && from && to && from !== to ? `/v1/products/${p}/manifests-diff${qs({ from, to })}` : null,
  );
  const d = diff.data;
  const pick = (label: string, value: string | null, key: string) => (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value ?? ''} onChange={(e) => setQ({ [key]: e.target.value })}>
          {versions.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <Layout
      title={chosen ? `Releases · ${chosen}` : 'Releases'}
      description="Release manifests published to the server: what each release is made of, and what changed between two."
    >
      <ProductBar products={products} chosen={chosen} base="/releases" />
      <ErrorBox error={products.error ?? list.error} />
      {list.loading && !list.data && <Loading what="release manifests" />}
      {list.data && versions.length === 0 && (
        <EmptyState icon={Tag} title={`No release of ${chosen ?? ''} published yet`}>
          <p>
            A release manifest (<code>releases/VERSION.json</code> in the product's repository) names a release's
            images, components and hotfixes. A release manager publishes it here:
          </p>
          <Command>hfx release publish VERSION --server</Command>
          <p className="muted">
            A release published before: <code>hfx release push VERSION</code>. How manifests are made: docs/releases.md.
          </p>
        </EmptyState>
      )}
      {list.data && versions.length > 0 && (
        <>
          <div className="table-wrap">
            <table aria-label="Release manifests">
              <Head cols={['Version', 'Status', 'Released', 'Base', 'Hotfixes', 'Channels', 'Notes']} />
              <tbody>
                {list.data.manifests.map((m) => (
                  <tr key={m.version} aria-current={m.version === show ? 'true' : undefined}>
                    <td>
                      <button type="button" className="link" onClick={() => setQ({ show: m.version })}>
                        {m.version}
                      </button>
                    </td>
                    <td>
                      <Badge tone={m.status === 'published' ? 'green' : 'grey'}>{m.status}</Badge>
                    </td>
                    <td>
                      <When at={m.released_at} />
                    </td>
                    <td>{m.base ?? '—'}</td>
                    <td>{m.hotfixes?.length ? m.hotfixes.join(', ') : '—'}</td>
                    <td>{m.channels.join(', ') || '—'}</td>
                    <td className="clip">{m.notes}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          {one.data && (
            <Card title={`${one.data.manifest.name} ${one.data.manifest.version}`}>
              <dl className="facts wide">
                <dt>Commit</dt>
                <dd>
                  <code>{one.data.manifest.commit}</code>
                </dd>
                {Object.entries(one.data.manifest.images).map(([k, v]) => (
                  <Pair key={`i-${k}`} k={`image ${k}`} v={v} />
                ))}
                {Object.entries(one.data.manifest.components).map(([k, v]) => (
                  <Pair key={`c-${k}`} k={`component ${k}`} v={v} />
                ))}
              </dl>
            </Card>
          )}

          <Card title="Compare two releases">
            <div className="toolbar">
              {pick('From', from, 'from')}
              {pick('To', to, 'to')}
            </div>
            <ErrorBox error={diff.error} />
            {from === to && <p className="muted">Choose two different versions.</p>}
            {d &&
              (d.same ? (
                <p>No differences.</p>
              ) : (
                <div className="diff" role="group" aria-label={`Changes from ${d.from} to ${d.to}`}>
                  <MapChanges title="Images" m={d.images} />
                  <MapChanges title="Components" m={d.components} />
                  <ListChanges title="Hotfixes" added={d.hotfixes.added} removed={d.hotfixes.removed} />
                  <ListChanges title="Channels" added={d.channels.added} removed={d.channels.removed} />
                  {d.commit && (
                    <p>
                      Commit: <code>{d.commit.from}</code> → <code>{d.commit.to}</code>
                    </p>
                  )}
                  {d.notes && <p>Notes changed: “{d.notes.to}”</p>}
                </div>
              ))}
          </Card>
        </>
      )}
    </Layout>
  );
}

function Pair({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>
        <code>{v}</code>
      </dd>
    </>
  );
}

function MapChanges({ title, m }: { title: string; m: MapDiff }) {
  if (!m.added.length && !m.removed.length && !m.changed.length) return null;
  return (
    <div>
      <h3>{title}</h3>
      <ul>
        {m.added.map((x) => (
          <li key={`a${x.name}`} className="added">
            + {x.name} <code>{x.value}</code>
          </li>
        ))}
        {m.removed.map((x) => (
          <li key={`r${x.name}`} className="removed">
            − {x.name} <code>{x.value}</code>
          </li>
        ))}
        {m.changed.map((x) => (
          <li key={`c${x.name}`} className="changed">
            ~ {x.name} <code>{x.from}</code> → <code>{x.to}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ListChanges({ title, added, removed }: { title: string; added: string[]; removed: string[] }) {
  if (!added.length && !removed.length) return null;
  return (
    <div>
      <h3>{title}</h3>
      <ul>
        {added.map((x) => (
          <li key={`a${x}`} className="added">
            + {x}
          </li>
        ))}
        {removed.map((x) => (
          <li key={`r${x}`} className="removed">
            − {x}
          </li>
        ))}
      </ul>
    </div>
  );
}
