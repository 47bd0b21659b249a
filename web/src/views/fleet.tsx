import { Link, useLocation } from 'wouter';
import { qs } from '../api.js';
import type { HotfixSpread, Installation } from '../types.js';
import { Badge, ErrorBox, Field, Layout, Loading, ProductPicker, useProducts, useQuery, When } from '../ui.js';
import { useApi } from '../use-api.js';
import { SpreadChart } from './spread-chart.js';

const LIMIT = 1000;

/** App Center's view of a release: installations by level and by hotfix, each hotfix a link to how it spread. */
export function FleetView() {
  const [q, setQ] = useQuery();
  const products = useProducts();
  const product = q.get('product') ?? '';
  const release = q.get('release') ?? '';
  const list = useApi<{ installations: Installation[] }>(`/v1/fleet/installations${qs({ product, release, limit: LIMIT })}`);
  const inst = list.data?.installations ?? [];
  const byLevel = count(inst.map((i) => `${i.product} ${i.release} level ${i.level}`));
  const byHotfix = count(inst.flatMap((i) => i.hotfixes));
  const releases = products.data?.products.find((p) => p.name === product)?.releases ?? [];
  return (
    <Layout title="Fleet">
      <div className="toolbar">
        <ProductPicker value={product} products={products.data?.products ?? []} allowAll onChange={(p) => setQ({ product: p, release: null })} />
        <Field label="Release">{(id) => (
          <select id={id} value={release} onChange={(e) => setQ({ release: e.target.value })} disabled={!product}>
            <option value="">All releases</option>
            {releases.map((r) => <option key={r}>{r}</option>)}
          </select>
        )}</Field>
      </div>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="installations" />}
      {list.data && (
        <>
          {inst.length === LIMIT && <p className="muted">Showing the first {LIMIT} installations; choose a product and release to narrow.</p>}
          <div className="cols">
            <section aria-labelledby="h-levels">
              <h2 id="h-levels">By update level</h2>
              <Bars rows={byLevel} total={inst.length} />
            </section>
            <section aria-labelledby="h-hotfixes">
              <h2 id="h-hotfixes">By hotfix</h2>
              <Bars rows={byHotfix} total={inst.length} link={(id) => `/fleet/hotfixes/${encodeURIComponent(id)}`} />
            </section>
          </div>
          <section aria-labelledby="h-inst">
            <h2 id="h-inst">Installations ({inst.length})</h2>
            <div className="table-wrap"><table aria-label="Installations">
              <thead><tr><th scope="col">Name</th><th scope="col">Customer</th><th scope="col">Product</th><th scope="col">Level</th><th scope="col">Channel</th><th scope="col">Hotfixes</th><th scope="col">Reported</th></tr></thead>
              <tbody>{inst.map((i) => (
                <tr key={i.id}><td title={i.id}>{i.name}</td><td>{i.customer_id ?? 'in-house'}</td><td>{i.product} {i.release}</td><td>{i.level}</td><td>{i.channel}</td>
                  <td>{i.hotfixes.length ? i.hotfixes.join(', ') : '—'}</td><td><When at={i.reported_at} /></td></tr>
              ))}</tbody>
            </table></div>
          </section>
        </>
      )}
    </Layout>
  );
}

function count(keys: string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function Bars({ rows, total, link }: { rows: [string, number][]; total: number; link?: (k: string) => string }) {
  if (rows.length === 0) return <p className="muted">None.</p>;
  return (
    <ul className="bars">
      {rows.map(([k, n]) => (
        <li key={k}>
          <span className="bar-label">{link ? <Link href={link(k)}>{k}</Link> : k}</span>
          <span className="bar" aria-hidden="true"><span style={{ width: `${total ? (100 * n) / total : 0}%` }} /></span>
          <span className="bar-n">{n}</span>
        </li>
      ))}
    </ul>
  );
}

/** One hotfix: where it runs now, a chart of how it spread, and where it was reverted and why. */
export function HotfixSpreadView({ id }: { id: string }) {
  const s = useApi<HotfixSpread>(`/v1/fleet/hotfixes/${encodeURIComponent(id)}`);
  const [, navigate] = useLocation();
  const reverted = s.data?.events.filter((e) => e.kind === 'reverted') ?? [];
  return (
    <Layout title={`Spread of ${id}`} actions={<button type="button" className="link" onClick={() => navigate('/fleet')}>Back to the fleet</button>}>
      <ErrorBox error={s.error} />
      {s.loading && !s.data && <Loading what="the hotfix's history" />}
      {s.data && (
        <>
          <p>Applied now on <strong>{s.data.applied.length}</strong> installation{s.data.applied.length === 1 ? '' : 's'}; reverted {reverted.length} time{reverted.length === 1 ? '' : 's'}. <Link href={`/archives/${encodeURIComponent(id)}`}>The archive</Link>.</p>
          <SpreadChart events={s.data.events} />
          <section aria-labelledby="h-reverts">
            <h2 id="h-reverts">Reverts</h2>
            {reverted.length === 0 ? <p className="muted">Never reverted.</p> : (
              <div className="table-wrap"><table aria-label="Reverts">
                <thead><tr><th scope="col">When</th><th scope="col">Installation</th><th scope="col">Why</th></tr></thead>
                <tbody>{reverted.map((e, i) => <tr key={i}><td><When at={e.at} /></td><td title={e.installation_id}>{e.name}</td><td>{e.reason ?? <span className="muted">no reason given</span>}</td></tr>)}</tbody>
              </table></div>
            )}
          </section>
          <section aria-labelledby="h-where">
            <h2 id="h-where">Where it runs</h2>
            {s.data.applied.length === 0 ? <p className="muted">Nowhere now.</p> : (
              <ul>{s.data.applied.map((a) => <li key={a.id}>{a.name} <Badge>{a.customer_id ?? 'in-house'}</Badge> {a.product} {a.release} level {a.level}</li>)}</ul>
            )}
          </section>
        </>
      )}
    </Layout>
  );
}
