import { Link } from 'wouter';
import { ApiError } from '../api.js';
import { CircleX, FileText, LifeBuoy } from '../icons.js';
import { Markdown } from '../markdown.js';
import { useCustomer } from '../session.js';
import type { CustomerCase, CustomerCaseDetail } from '../types.js';
import { Badge, Card, EmptyState, ErrorBox, Head, Layout, Loading, When } from '../ui.js';
import { useApi } from '../use-api.js';
import { SeverityBadge, StateBadge } from './cases.js';

/** A customer's people: their cases, newest first, in the words the vendor uses with them. */
export function CustomerCasesView() {
  const customer = useCustomer();
  const list = useApi<{ cases: CustomerCase[] }>('/v1/customer/cases');
  return (
    <Layout
      title="Cases"
      description={
        <>
          Issues reported for <strong>{customer}</strong> and where each fix stands.
        </>
      }
    >
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="your cases" />}
      {list.data?.cases.length === 0 && (
        <EmptyState icon={LifeBuoy} title="No cases yet">
          <p>
            When your vendor opens a case for one of your issues, it appears here with where the fix stands, when it is
            deployed, and its release notes.
          </p>
        </EmptyState>
      )}
      {list.data && list.data.cases.length > 0 && <CustomerCaseTable cases={list.data.cases} />}
    </Layout>
  );
}

export function CustomerCaseTable({ cases }: { cases: CustomerCase[] }) {
  return (
    <div className="table-wrap">
      <table className="stack" aria-label="Cases">
        <Head cols={['#', 'Title', 'Product', 'Severity', 'State', 'Fix', 'Updated']} />
        <tbody>
          {cases.map((c) => (
            <tr key={c.id}>
              <td data-label="#" className="num">
                {c.id}
              </td>
              <td data-label="Title">
                <Link href={`/cases/${c.id}`}>{c.title}</Link>
              </td>
              <td data-label="Product">
                {c.product}
                {c.release ? ` ${c.release}` : ''}
              </td>
              <td data-label="Severity">
                <SeverityBadge severity={c.severity} />
              </td>
              <td data-label="State">
                <StateBadge state={c.state} />
              </td>
              <td data-label="Fix">
                {c.hotfix ? (
                  <Link href={`/archives/${encodeURIComponent(c.hotfix)}`}>{c.hotfix}</Link>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td data-label="Updated">
                <When at={c.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The road a case travels, as a customer is told it; where this one is, and what is still ahead. */
const ROAD: [string, string][] = [
  ['reported', 'Reported'],
  ['triaged', 'Triaged'],
  ['in-progress', 'Fix in development'],
  ['testing', 'Testing'],
  ['ready', 'Fix ready'],
  ['scheduled', 'Scheduled'],
  ['deployed', 'Deployed'],
  ['verified', 'Verified'],
  ['monitoring', 'Monitoring'],
  ['solved', 'Solved'],
];

export function CustomerCaseView({ id }: { id: number }) {
  const valid = Number.isInteger(id) && id > 0;
  const c = useApi<CustomerCaseDetail>(valid ? `/v1/customer/cases/${id}` : null);
  const d = c.data;
  const missing = !valid || (c.error instanceof ApiError && c.error.status === 404);
  const at = d ? ROAD.findIndex(([s]) => s === d.state) : -1;
  return (
    <Layout title={d ? d.title : `Case #${id}`} back={{ href: '/cases', label: 'All cases' }}>
      {missing && (
        <EmptyState
          icon={CircleX}
          title="Case not found"
          actions={
            <Link href="/cases" className="button">
              See your cases
            </Link>
          }
        >
          <p>There is no case #{valid ? id : '?'} among your company's cases: the number may be mistyped.</p>
        </EmptyState>
      )}
      {!missing && <ErrorBox error={c.error} />}
      {c.loading && !d && <Loading what="the case" />}
      {d && (
        <>
          <p className="badges">
            <span className="muted">Case #{d.id}</span> <StateBadge state={d.state} testId="case-state" />{' '}
            <SeverityBadge severity={d.severity} /> <Badge>{d.priority}</Badge>
          </p>
          {at >= 0 && (
            <ol className="road" aria-label="Progress">
              {ROAD.map(([s, label], i) => (
                <li
                  key={s}
                  className={i < at ? 'past' : i === at ? 'now' : 'ahead'}
                  aria-current={i === at ? 'step' : undefined}
                >
                  {label}
                </li>
              ))}
            </ol>
          )}
          <div className="two-col">
            <Card title="Status">
              <dl className="facts">
                <dt>Product</dt>
                <dd>
                  {d.product}
                  {d.release ? ` ${d.release}` : ''}
                </dd>
                <dt>Reported</dt>
                <dd>
                  <When at={d.createdAt} />
                </dd>
                <dt>Last change</dt>
                <dd>
                  <When at={d.updatedAt} />
                </dd>
                <dt>Fix</dt>
                <dd>
                  {d.hotfix ? (
                    <Link href={`/archives/${encodeURIComponent(d.hotfix)}`}>{d.hotfix}</Link>
                  ) : (
                    'not ready yet'
                  )}
                </dd>
                <dt>Deployed to</dt>
                <dd>
                  {d.deployed.length === 0 && 'not yet'}
                  {d.deployed.map((x) => (
                    <span key={x.environment} className="chip">
                      {x.environment} · <When at={x.at} />
                    </span>
                  ))}
                </dd>
                {d.monitorUntil && (
                  <>
                    <dt>Monitored until</dt>
                    <dd>
                      <When at={d.monitorUntil} />
                    </dd>
                  </>
                )}
              </dl>
            </Card>
            <Card title="Timeline">
              <ol className="timeline">
                {d.timeline.map((t, i) => (
                  <li key={i}>
                    <When at={t.at} /> <strong>{t.what}</strong>
                  </li>
                ))}
              </ol>
            </Card>
          </div>
          <Card title="Release notes" className="notes-card">
            {d.releaseNotes ? (
              <Markdown text={d.releaseNotes} />
            ) : (
              <EmptyState level={3} icon={FileText} title="No release notes yet">
                <p>They are written when the fix is ready, with how to apply and revert it.</p>
              </EmptyState>
            )}
          </Card>
        </>
      )}
    </Layout>
  );
}
