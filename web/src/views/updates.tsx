import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { apiText } from '../api.js';
import type { ArchiveRow, FleetSummary } from '../types.js';
import { Badge, ErrorBox, Layout, Loading, ProductPicker, useProducts, When } from '../ui.js';
import { useApi } from '../use-api.js';

/** WSO2's update levels: per release, each update from level n to m, what it includes, and how many installations are on each level. */
export function UpdatesView({ product }: { product: string | null }) {
  const products = useProducts();
  const [, navigate] = useLocation();
  const chosen = product ?? products.data?.products[0]?.name ?? null;
  const p = chosen ? encodeURIComponent(chosen) : '';
  const updates = useApi<{ archives: ArchiveRow[] }>(chosen ? `/v1/archives?product=${p}&kind=update` : null);
  const fleet = useApi<FleetSummary>(chosen ? `/v1/fleet/summary?product=${p}` : null);
  const releases = products.data?.products.find((x) => x.name === chosen)?.releases ?? [];
  const onLevel = (release: string, level: number) => fleet.data?.byLevel.find((r) => r.release === release && r.level === level)?.n ?? 0;
  return (
    <Layout title={chosen ? `Update levels · ${chosen}` : 'Update levels'}>
      {chosen && <div className="toolbar"><ProductPicker value={chosen} products={products.data?.products ?? []} onChange={(x) => navigate(`/updates/${encodeURIComponent(x)}`)} /></div>}
      <ErrorBox error={products.error ?? updates.error ?? fleet.error} />
      {updates.loading && !updates.data && <Loading what="updates" />}
      {updates.data && releases.map((r) => {
        const list = updates.data!.archives.filter((a) => a.release === r).sort((a, b) => a.level - b.level || (a.to_level ?? 0) - (b.to_level ?? 0));
        return (
          <section key={r} aria-labelledby={`rel-${r}`}>
            <h2 id={`rel-${r}`}>{chosen} {r}</h2>
            <p className="muted">Level 0 (the release's first pack): {onLevel(r, 0)} installation(s).</p>
            {list.length === 0 ? <p className="muted">No updates for this release yet.</p> : (
              <div className="table-wrap"><table aria-label={`Updates of ${r}`}>
                <thead><tr><th scope="col">Update</th><th scope="col">Levels</th><th scope="col">Title</th><th scope="col">Includes hotfixes</th><th scope="col">On the new level</th><th scope="col">Uploaded</th><th scope="col">Notes</th></tr></thead>
                <tbody>{list.map((u) => (
                  <tr key={u.id}>
                    <td><Link href={`/archives/${encodeURIComponent(u.id)}`}>{u.id}</Link>{u.security && <> <Badge tone="red">security</Badge></>}</td>
                    <td>{u.level} → {u.to_level}</td><td>{u.title}</td><td>{u.includes.length ? u.includes.join(', ') : '—'}</td>
                    <td>{onLevel(r, u.to_level ?? -1)}</td><td><When at={u.created_at} /></td><td><Notes id={u.id} /></td>
                  </tr>
                ))}</tbody>
              </table></div>
            )}
          </section>
        );
      })}
    </Layout>
  );
}

function Notes({ id }: { id: string }) {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  return (
    <details onToggle={(e) => {
      if ((e.target as HTMLDetailsElement).open && text === null) apiText(`/v1/updates/${encodeURIComponent(id)}/release-notes.md`).then(setText, setError);
    }}>
      <summary>Release notes</summary>
      <ErrorBox error={error} />
      {text !== null ? <pre className="notes">{text}</pre> : !error && <Loading what="notes" />}
    </details>
  );
}
