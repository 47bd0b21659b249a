import { Link } from 'wouter';
import { ArrowRight, CircleArrowUp, LifeBuoy, Server, type Icon } from '../icons.js';
import { useCustomer, useSession } from '../session.js';
import type { ArchiveRow, CustomerCase, FleetSummary } from '../types.js';
import { Card, EmptyState, ErrorBox, Head, Layout, Loading, When } from '../ui.js';
import { SeverityBadge } from './cases.js';
import { useApi } from '../use-api.js';
import { CustomerCaseTable } from './customer-cases.js';

const CLOSED = new Set(['solved', 'rejected', 'superseded']);

/** A customer's start page: open cases, fixes offered, installations — each a link to its view. */
export function CustomerHomeView() {
  const { me } = useSession();
  const customer = useCustomer();
  const cases = useApi<{ cases: CustomerCase[] }>('/v1/customer/cases');
  const archives = useApi<{ archives: ArchiveRow[] }>('/v1/archives');
  const fleet = useApi<FleetSummary>('/v1/fleet/summary');
  const open = (cases.data?.cases ?? []).filter((c) => !CLOSED.has(c.state));
  const fixes = archives.data?.archives ?? [];
  return (
    <Layout
      title={`Welcome, ${me?.username ?? ''}`}
      description={
        <>
          Your company: <strong>{customer}</strong>. Here is where your cases stand and what is offered to your
          installations.
        </>
      }
    >
      <ErrorBox error={cases.error ?? archives.error ?? fleet.error} />
      <div className="stats">
        <Stat icon={LifeBuoy} label="Open cases" value={cases.data ? open.length : null} href="/cases" />
        <Stat
          icon={CircleArrowUp}
          label="Fixes and updates offered"
          value={archives.data ? fixes.length : null}
          href="/archives"
        />
        <Stat
          icon={Server}
          label="Installations reporting"
          value={fleet.data ? fleet.data.total : null}
          href="/fleet"
        />
      </div>
      <Card
        title="Open cases"
        actions={
          <Link href="/cases" className="button small">
            All cases
            <ArrowRight size={14} />
          </Link>
        }
      >
        {cases.loading && !cases.data && <Loading what="your cases" />}
        {cases.data && open.length === 0 && (
          <EmptyState level={3} icon={LifeBuoy} title="Nothing open">
            <p>Every case of yours is closed. New ones appear here as soon as your vendor opens them.</p>
          </EmptyState>
        )}
        {open.length > 0 && <CustomerCaseTable cases={open.slice(0, 10)} />}
      </Card>
      <Card
        title="Newest fixes and updates for you"
        actions={
          <Link href="/archives" className="button small">
            All of them
            <ArrowRight size={14} />
          </Link>
        }
      >
        {archives.data && fixes.length === 0 && (
          <EmptyState level={3} icon={CircleArrowUp} title="Nothing offered yet">
            <p>Fixes made for your installations appear here as soon as they are published.</p>
          </EmptyState>
        )}
        {fixes.length > 0 && (
          <div className="table-wrap">
            <table className="stack" aria-label="Newest fixes">
              <Head cols={['Fix', 'Title', 'For', 'Severity', 'Published']} />
              <tbody>
                {[...fixes]
                  .sort((a, b) => b.created_at.localeCompare(a.created_at))
                  .slice(0, 5)
                  .map((a) => (
                    <tr key={a.id}>
                      <td data-label="Fix">
                        <Link href={`/archives/${encodeURIComponent(a.id)}`}>{a.id}</Link>
                      </td>
                      <td data-label="Title">{a.title}</td>
                      <td data-label="For">
                        {a.product} {a.release}
                        {a.kind === 'update' ? `, level ${a.level} → ${a.to_level ?? '?'}` : `, level ${a.level}`}
                      </td>
                      <td data-label="Severity">
                        <SeverityBadge severity={a.severity} />
                      </td>
                      <td data-label="Published">
                        <When at={a.created_at} date />
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </Layout>
  );
}

export function Stat({
  icon: I,
  label,
  value,
  href,
  tone,
}: {
  icon: Icon;
  label: string;
  value: number | null;
  href: string;
  tone?: 'red' | 'amber' | 'green';
}) {
  const inner = (
    <>
      <span className="stat-icon">
        <I size={18} />
      </span>
      <span className="stat-value">{value ?? '…'}</span>
      <span className="stat-label">{label}</span>
    </>
  );
  const cls = `stat${tone ? ` ${tone}` : ''}`;
  // A place on this page is a plain anchor (the router would treat it as a path).
  return href.startsWith('#') ? (
    <a href={href} className={cls}>
      {inner}
    </a>
  ) : (
    <Link href={href} className={cls}>
      {inner}
    </Link>
  );
}
