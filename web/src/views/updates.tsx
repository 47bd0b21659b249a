import { useState } from 'react';
import { Link } from 'wouter';
import { apiText } from '../api.js';
import { FileText, Layers } from '../icons.js';
import { Markdown } from '../markdown.js';
import type { ArchiveRow, FleetSummary } from '../types.js';
import { Command, EmptyState, ErrorBox, Head, Layout, Loading, useProducts, When } from '../ui.js';
import { useApi } from '../use-api.js';
import { SecurityFlag } from './archives.js';
import { ProductBar } from './overview.js';

/** WSO2's update levels: per release, each update from level n to m, what it includes, and how many installations are on each level. */
export function UpdatesView({ product }: { product: string | null }) {
  const products = useProducts();
  const chosen = product ?? products.data?.products[0]?.name ?? null;
  const p = chosen ? encodeURIComponent(chosen) : '';
  const updates = useApi<{ archives: ArchiveRow[] }>(chosen ? `/v1/archives?product=${p}&kind=update` : null);
  const fleet = useApi<FleetSummary>(chosen ? `/v1/fleet/summary?product=${p}` : null);
  const releases = products.data?.products.find((x) => x.name === chosen)?.releases ?? [];
  const archives = updates.data?.archives ?? [];
  const onLevel = (release: string, level: number) =>
    fleet.data?.byLevel.find((r) => r.release === release && r.level === level)?.n ?? 0;
  return (
    <Layout
      title={chosen ? `Update levels · ${chosen}` : 'Update levels'}
      description="Per release, each update from one level to the next, the hotfixes it folds in, and how many installations run each level."
    >
      <ProductBar products={products} chosen={chosen} base="/updates" />
      <ErrorBox error={products.error ?? updates.error ?? fleet.error} />
      {updates.loading && !updates.data && <Loading what="updates" />}
      {updates.data && releases.length === 0 && (
        <EmptyState icon={Layers} title={`No release of ${chosen ?? ''} registered yet`}>
          <p>
            Releases are registered by the first archive pushed for them, or by a release manager (
            <code>POST /v1/products/{chosen}/releases</code>).
          </p>
          <Command>hfx push HOTFIX.zip</Command>
        </EmptyState>
      )}
      {updates.data &&
        releases.map((r) => {
          const list = archives
            .filter((a) => a.release === r)
            .sort((a, b) => a.level - b.level || (a.to_level ?? 0) - (b.to_level ?? 0));
          return (
            <section key={r} aria-labelledby={`rel-${r}`} className="release-block">
              <h2 id={`rel-${r}`}>
                {chosen} {r}
              </h2>
              <p className="muted">Level 0 (the release's first pack): {onLevel(r, 0)} installation(s).</p>
              {list.length === 0 ? (
                <EmptyState level={3} icon={Layers} title="No update level yet">
                  <p>
                    An update moves installations from one level to the next and folds in hotfixes. Make one with{' '}
                    <code>hfx diff OLD NEW --kind update --from-level N --to-level M …</code>, then push it:
                  </p>
                  <Command>hfx push UPDATE.zip</Command>
                </EmptyState>
              ) : (
                <div className="table-wrap">
                  <table aria-label={`Updates of ${r}`}>
                    <Head
                      cols={['Update', 'Levels', 'Title', 'Includes hotfixes', 'On the new level', 'Uploaded', 'Notes']}
                    />
                    <tbody>
                      {list.map((u) => (
                        <UpdateRow key={u.id} u={u} n={onLevel(r, u.to_level ?? -1)} />
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          );
        })}
    </Layout>
  );
}

/** One update, and below it (once asked for) its release notes across the table's width. */
function UpdateRow({ u, n }: { u: ArchiveRow; n: number }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const toggle = () => {
    if (!open && text === null)
      apiText(`/v1/updates/${encodeURIComponent(u.id)}/release-notes.md`).then(setText, setError);
    setOpen(!open);
  };
  return (
    <>
      <tr>
        <td>
          <Link href={`/archives/${encodeURIComponent(u.id)}`}>{u.id}</Link>
          <SecurityFlag on={u.security} />
        </td>
        <td>
          {u.level} → {u.to_level}
        </td>
        <td>{u.title}</td>
        <td>{u.includes.length ? u.includes.join(', ') : '—'}</td>
        <td className="num">{n}</td>
        <td>
          <When at={u.created_at} />
        </td>
        <td>
          <button type="button" className="small" aria-expanded={open} aria-controls={`notes-${u.id}`} onClick={toggle}>
            <FileText size={14} />
            Release notes
          </button>
        </td>
      </tr>
      {open && (
        <tr className="notes-row">
          <td colSpan={7} id={`notes-${u.id}`} role="region" aria-label={`Release notes of ${u.id}`}>
            <ErrorBox error={error} />
            {text !== null ? <Markdown text={text} /> : !error && <Loading what="notes" />}
          </td>
        </tr>
      )}
    </>
  );
}
