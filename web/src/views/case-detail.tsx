import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { ApiError, apiText } from '../api.js';
import { CircleX, FileText } from '../icons.js';
import { Markdown } from '../markdown.js';
import type { AuditEntry, CaseDetail, Presence, TestCounts } from '../types.js';
import { Badge, Card, EmptyState, ErrorBox, Head, Layout, Loading, When } from '../ui.js';
import { useApi } from '../use-api.js';
import { CaseActions } from './case-actions.js';
import { SeverityBadge, StateBadge } from './cases.js';

export function CaseView({ id }: { id: number }) {
  const valid = Number.isInteger(id) && id > 0;
  const c = useApi<CaseDetail>(valid ? `/v1/cases/${id}` : null);
  const audit = useApi<{ entries: AuditEntry[] }>(c.data ? `/v1/cases/${id}/audit` : null);
  const presence = useApi<Presence>(
    c.data?.hotfix_id
      ? `/v1/environments/${encodeURIComponent(c.data.product)}/hotfixes/${encodeURIComponent(c.data.hotfix_id)}/presence`
      : null,
  );
  const reload = () => {
    c.reload();
    audit.reload();
    presence.reload();
  };
  const d = c.data;
  const missing = !valid || (c.error instanceof ApiError && c.error.status === 404);
  return (
    <Layout title={d ? d.title : `Case #${id}`} back={{ href: '/cases', label: 'All cases' }}>
      {missing && (
        <EmptyState
          icon={CircleX}
          title="Case not found"
          actions={
            <Link href="/cases" className="button">
              See all cases
            </Link>
          }
        >
          <p>There is no case #{valid ? id : '?'}: a case number is a positive integer the server gave.</p>
        </EmptyState>
      )}
      {!missing && <ErrorBox error={c.error} />}
      {c.loading && !d && <Loading what="the case" />}
      {d && (
        <div className="case">
          <section className="summary" aria-label="Status">
            <p className="badges">
              <span className="muted">Case #{d.id}</span> <StateBadge state={d.state} testId="case-state" />{' '}
              <SeverityBadge severity={d.severity} /> <Badge>{d.priority}</Badge>
              {d.reopened > 0 && (
                <>
                  {' '}
                  <Badge tone="amber">reopened {d.reopened}×</Badge>
                </>
              )}
            </p>
          </section>

          <section className="steps-card card" aria-labelledby="h-actions">
            <div className="card-head">
              <h2 id="h-actions">Next steps</h2>
            </div>
            <div className="card-body">
              <CaseActions c={d} onDone={reload} />
            </div>
          </section>

          <div className="case-main">
            <Card title="Facts" className="facts-card">
              <dl className="facts">
                <dt>Product</dt>
                <dd>
                  {d.product}
                  {d.release ? ` ${d.release}` : ''}
                  {d.level !== null ? ` level ${d.level}` : ''}
                  {d.component ? ` · ${d.component}` : ''}
                </dd>
                <dt>Customer</dt>
                <dd>{d.customer_id ?? '—'}</dd>
                <dt>Reported</dt>
                <dd>
                  by {d.reporter} via {d.source}, <When at={d.created_at} />
                </dd>
                <dt>Impact</dt>
                <dd>
                  {d.impact}
                  {d.impact_text ? `: ${d.impact_text}` : ''}
                </dd>
                {d.priority_reason && (
                  <>
                    <dt>Priority reason</dt>
                    <dd>{d.priority_reason}</dd>
                  </>
                )}
                <dt>Assignee</dt>
                <dd>{[d.assignee, d.team].filter(Boolean).join(' · ') || '—'}</dd>
                <dt>Root cause</dt>
                <dd>{d.root_cause ?? '—'}</dd>
                <dt>Hotfix</dt>
                <dd>
                  {d.hotfix_id ? <Link href={`/archives/${encodeURIComponent(d.hotfix_id)}`}>{d.hotfix_id}</Link> : '—'}
                </dd>
                <dt>Window</dt>
                <dd>
                  {d.window_start ? (
                    <>
                      <When at={d.window_start} /> – <When at={d.window_end} />
                    </>
                  ) : (
                    '—'
                  )}
                </dd>
                <dt>Deployed to</dt>
                <dd>{d.deployed.length ? d.deployed.map((x) => x.environment).join(', ') : '—'}</dd>
                <dt>Sign-off</dt>
                <dd>{d.signoff_by ?? '—'}</dd>
                {d.monitor_until && (
                  <>
                    <dt>Monitoring until</dt>
                    <dd>
                      <When at={d.monitor_until} />
                    </dd>
                  </>
                )}
                {d.outcome && (
                  <>
                    <dt>Outcome</dt>
                    <dd>{d.outcome}</dd>
                  </>
                )}
              </dl>
              {d.description && <p className="description">{d.description}</p>}
            </Card>

            <Card title="Timeline">
              <ErrorBox error={audit.error} />
              <ol className="timeline">
                {(audit.data?.entries ?? []).map((e) => (
                  <li key={e.id}>
                    <When at={e.at} /> <strong>{e.action}</strong> by {e.actor}
                    {describe(e.details)}
                  </li>
                ))}
              </ol>
            </Card>

            <Card title="Notifications sent">
              {d.notifications.length === 0 ? (
                <p className="muted">None.</p>
              ) : (
                <div className="table-wrap">
                  <table aria-label="Notifications">
                    <Head cols={['Event', 'By', 'To', 'Status']} />
                    <tbody>
                      {d.notifications.map((n, i) => (
                        <tr key={`${n.event_id}-${i}`}>
                          <td>{n.event}</td>
                          <td>{n.kind}</td>
                          <td>{n.target ?? <span className="muted">hidden</span>}</td>
                          <td>
                            {n.delivered_at ? (
                              <Badge tone="green">delivered</Badge>
                            ) : n.failed_at ? (
                              <Badge tone="red">failed</Badge>
                            ) : (
                              <Badge tone="amber">pending ({n.attempts} tries)</Badge>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>

            <ReleaseNotes key={d.updated_at} id={d.id} ready={d.hotfix_id !== null} />
          </div>
          <div className="case-side">
            {d.hotfix_id && (
              <Card title="Where the fix is">
                <ErrorBox error={presence.error} />
                {presence.data && (
                  <>
                    <p>
                      {presence.data.everywhere ? (
                        <Badge tone="green">present everywhere</Badge>
                      ) : (
                        <Badge tone="red">not everywhere yet</Badge>
                      )}
                    </p>
                    <ul className="presence">
                      {presence.data.environments.map((e) => (
                        <li key={e.name}>
                          <Badge tone={e.present ? 'green' : 'red'}>
                            {e.name}: {e.present ? `present (${e.how ?? '?'})` : 'missing'}
                          </Badge>
                        </li>
                      ))}
                    </ul>
                  </>
                )}
              </Card>
            )}

            <Card title="Evidence">
              {d.evidence.length === 0 ? (
                <p className="muted">No test results yet.</p>
              ) : (
                <div className="table-wrap">
                  <table aria-label="Evidence">
                    <Head cols={['Kind', 'Result', 'Uploaded']} />
                    <tbody>
                      {d.evidence.map((e) => (
                        <tr key={e.id}>
                          <td>{e.kind}</td>
                          <td>
                            <Counts c={e.counts} />
                          </td>
                          <td>
                            {e.uploaded_by}, <When at={e.at} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
          </div>
        </div>
      )}
    </Layout>
  );
}

function Counts({ c }: { c: TestCounts }) {
  const bad = c.failed + c.errors;
  return (
    <>
      <Badge tone={bad ? 'red' : 'green'}>
        {c.passed}/{c.tests} passed
      </Badge>
      {c.failed > 0 && ` ${c.failed} failed`}
      {c.errors > 0 && ` ${c.errors} errors`}
      {c.skipped > 0 && ` ${c.skipped} skipped`}
      {c.failures.length > 0 && (
        <ul className="failures">
          {c.failures.slice(0, 10).map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
    </>
  );
}

function describe(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  const d = details as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.from === 'string' && typeof d.to === 'string') parts.push(`${d.from} → ${d.to}`);
  for (const k of ['reason', 'environment', 'hotfix', 'signoffBy', 'priority'])
    if (typeof d[k] === 'string') parts.push(`${k}: ${d[k]}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

function ReleaseNotes({ id, ready }: { id: number; ready: boolean }) {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!ready) return;
    const ctl = new AbortController();
    apiText(`/v1/cases/${id}/release-notes.md`, ctl.signal).then(setText, (e: unknown) => {
      if ((e as Error).name !== 'AbortError' && !(e instanceof ApiError && e.status === 404)) setError(e);
    });
    return () => ctl.abort();
  }, [id, ready]);
  return (
    <Card title="Release notes" className="notes-card">
      <ErrorBox error={error} />
      {text ? (
        <Markdown text={text} />
      ) : (
        <EmptyState level={3} icon={FileText} title="No release notes yet">
          <p>They are written when the case becomes ready (linked to its hotfix archive).</p>
        </EmptyState>
      )}
    </Card>
  );
}
