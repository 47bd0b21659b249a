import { Link } from 'wouter';
import { qs } from '../api.js';
import type { FleetSummary, HotfixSpread, Installation } from '../types.js';
import { Server } from '../icons.js';
import { useCustomer } from '../session.js';
import {
  Badge,
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
  useProducts,
  useQuery,
  When,
} from '../ui.js';
import { useApi } from '../use-api.js';
import { SpreadChart } from './spread-chart.js';

const LIMIT = 1000;

/** App Center's view of a release: installations by level and by hotfix, each hotfix a link to how it spread. */
export function FleetView() {
  const customer = useCustomer();
  const [q, setQ] = useQuery();
  const products = useProducts();
  const product = q.get('product') ?? '';
  const release = q.get('release') ?? '';
  const list = useApi<{ installations: Installation[] }>(
    `/v1/fleet/installations${qs({ product, release, limit: LIMIT })}`,
  );
  // The counts are the server's, over the whole fleet; the table below lists a page of it.
  const summary = useApi<FleetSummary>(`/v1/fleet/summary${qs({ product, release })}`);
  const inst = list.data?.installations ?? [];
  const total = summary.data?.total ?? 0;
  const byLevel: [string, number][] = (summary.data?.byLevel ?? []).map((r) => [
    `${r.product} ${r.release} level ${r.level}`,
    r.n,
  ]);
  const byHotfix: [string, number][] = (summary.data?.byHotfix ?? []).map((r) => [r.hotfix, r.n]);
  const releases = products.data?.products.find((p) => p.name === product)?.releases ?? [];
  const filtered = product !== '' || release !== '';
  return (
    <Layout
      title={customer ? 'Installations' : 'Fleet'}
      description={
        customer
          ? 'Your installations as they last reported: release, update level and hotfixes applied.'
          : 'Every installation that reports to this server, counted over the whole fleet.'
      }
    >
      <div className="toolbar">
        <ProductPicker
          value={product}
          products={products.data?.products ?? []}
          allowAll
          onChange={(p) => setQ({ product: p, release: null })}
        />
        <Field label="Release">
          {(id) => (
            <select id={id} value={release} onChange={(e) => setQ({ release: e.target.value })} disabled={!product}>
              <option value="">All releases</option>
              {releases.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorBox error={list.error ?? summary.error} />
      {(list.loading || summary.loading) && !(list.data && summary.data) && <Loading what="installations" />}
      {list.data && summary.data && total === 0 && !filtered && (
        <EmptyState icon={Server} title="No installation has reported yet">
          <p>
            An installation appears here after its first report. On the installation, link it with{' '}
            {customer
              ? 'the token and the root file (1.root.json) your vendor gave you'
              : 'an installation token (Customers, or hfx token new NAME --customer ID) and the TUF root (1.root.json)'}
            , then report:
          </p>
          <Command>{`hfx login ${window.location.origin} --token-stdin --home DIR --root 1.root.json < token.txt`}</Command>
          <Command>hfx state --report --home DIR</Command>
        </EmptyState>
      )}
      {list.data && summary.data && (total > 0 || filtered) && (
        <>
          <div className="cols">
            <Card title="By update level">
              <Bars rows={byLevel} total={total} />
            </Card>
            <Card title="By hotfix">
              <Bars
                rows={byHotfix}
                total={total}
                link={customer ? undefined : (id) => `/fleet/hotfixes/${encodeURIComponent(id)}`}
              />
              {summary.data.hotfixesCapped && <p className="muted">The {byHotfix.length} most applied hotfixes.</p>}
            </Card>
          </div>
          <section aria-labelledby="h-inst">
            <h2 id="h-inst">Installations ({total})</h2>
            {inst.length < total && (
              <p className="muted">
                Listing the first {inst.length} of {total}; choose a product and release to narrow.
              </p>
            )}
            <div className="table-wrap">
              <table aria-label="Installations">
                <Head
                  cols={[
                    'Name',
                    ...(customer ? [] : ['Customer']),
                    'Product',
                    'Level',
                    'Channel',
                    'Hotfixes',
                    'Reported',
                  ]}
                />
                <tbody>
                  {inst.length === 0 && <EmptyRow cols={7}>No installations match.</EmptyRow>}
                  {inst.map((i) => (
                    <tr key={i.id}>
                      <td title={i.id}>{i.name}</td>
                      {!customer && <td>{i.customer_id ?? 'in-house'}</td>}
                      <td>
                        {i.product} {i.release}
                      </td>
                      <td>{i.level}</td>
                      <td>{i.channel}</td>
                      <td>{i.hotfixes.length ? i.hotfixes.join(', ') : '—'}</td>
                      <td>
                        <When at={i.reported_at} />
                      </td>
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

function Bars({
  rows,
  total,
  link,
}: {
  rows: [string, number][];
  total: number;
  link?: ((k: string) => string) | undefined;
}) {
  if (rows.length === 0) return <p className="muted">None.</p>;
  return (
    <ul className="bars">
      {rows.map(([k, n]) => (
        <li key={k}>
          <span className="bar-label">{link ? <Link href={link(k)}>{k}</Link> : k}</span>
          <span className="bar" aria-hidden="true">
            <span style={{ width: `${total ? (100 * n) / total : 0}%` }} />
          </span>
          <span className="bar-n">{n}</span>
        </li>
      ))}
    </ul>
  );
}

/** One hotfix: where it runs now, a chart of how it spread, and where it was reverted and why. */
export function HotfixSpreadView({ id }: { id: string }) {
  const s = useApi<HotfixSpread>(`/v1/fleet/hotfixes/${encodeURIComponent(id)}`);
  const reverted = s.data?.events.filter((e) => e.kind === 'reverted') ?? [];
  return (
    <Layout title={`Spread of ${id}`} back={{ href: '/fleet', label: 'Fleet' }}>
      <ErrorBox error={s.error} />
      {s.loading && !s.data && <Loading what="the hotfix's history" />}
      {s.data && (
        <>
          <p>
            Applied now on <strong>{s.data.applied.length}</strong> installation{s.data.applied.length === 1 ? '' : 's'}
            ; reverted {reverted.length} time{reverted.length === 1 ? '' : 's'}.{' '}
            <Link href={`/archives/${encodeURIComponent(id)}`}>The archive</Link>.
          </p>
          <SpreadChart events={s.data.events} />
          <section aria-labelledby="h-reverts">
            <h2 id="h-reverts">Reverts</h2>
            {reverted.length === 0 ? (
              <p className="muted">Never reverted.</p>
            ) : (
              <div className="table-wrap">
                <table aria-label="Reverts">
                  <Head cols={['When', 'Installation', 'Why']} />
                  <tbody>
                    {reverted.map((e, i) => (
                      <tr key={i}>
                        <td>
                          <When at={e.at} />
                        </td>
                        <td title={e.installation_id}>{e.name}</td>
                        <td>{e.reason ?? <span className="muted">no reason given</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section aria-labelledby="h-where">
            <h2 id="h-where">Where it runs</h2>
            {s.data.applied.length === 0 ? (
              <p className="muted">Nowhere now.</p>
            ) : (
              <ul className="plain-list">
                {s.data.applied.map((a) => (
                  <li key={a.id}>
                    {a.name} <Badge>{a.customer_id ?? 'in-house'}</Badge> {a.product} {a.release} level {a.level}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </Layout>
  );
}
