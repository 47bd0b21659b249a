import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { ApiError, apiText } from '../api.js';
import type { AuditEntry, CaseDetail, Presence, TestCounts } from '../types.js';
import { Badge, ErrorBox, Layout, Loading, When } from '../ui.js';
import { useApi } from '../use-api.js';
import { CaseActions } from './case-actions.js';
import { stateTone } from './cases.js';

export function CaseView({ id }: { id: number }) {
  const valid = Number.isInteger(id) && id > 0;
  const c = useApi<CaseDetail>(valid ? `/v1/cases/${id}` : null);
  const audit = useApi<{ entries: AuditEntry[] }>(c.data ? `/v1/cases/${id}/audit` : null);
  const presence = useApi<Presence>(c.data?.hotfix_id ? `/v1/environments/${encodeURIComponent(c.data.product)}/hotfixes/${encodeURIComponent(c.data.hotfix_id)}/presence` : null);
  const reload = () => {
    c.reload();
    audit.reload();
    presence.reload();
  };
  const d = c.data;
  return (
    <Layout title={d ? `Case #${d.id}` : `Case #${id}`}>
      {!valid && <ErrorBox error={new ApiError(404, 'HFX_E_NOT_FOUND', 'a case number is a positive integer')} />}
      <ErrorBox error={c.error} />
      {c.loading && !d && <Loading what="the case" />}
      {d && (
        <div className="case">
          <section className="summary" aria-labelledby="case-title">
            <h2 id="case-title">{d.title}</h2>
            <p>
              <Badge tone={stateTone(d.state)}><span data-testid="case-state">{d.state}</span></Badge> <Badge>{d.severity}</Badge> <Badge>{d.priority}</Badge>
              {d.reopened > 0 && <> <Badge tone="amber">reopened {d.reopened}×</Badge></>}
            </p>
            <dl className="facts">
              <dt>Product</dt><dd>{d.product}{d.release ? ` ${d.release}` : ''}{d.level !== null ? ` level ${d.level}` : ''}{d.component ? ` · ${d.component}` : ''}</dd>
              <dt>Customer</dt><dd>{d.customer_id ?? '—'}</dd>
              <dt>Reported</dt><dd>by {d.reporter} via {d.source}, <When at={d.created_at} /></dd>
              <dt>Impact</dt><dd>{d.impact}{d.impact_text ? `: ${d.impact_text}` : ''}</dd>
              {d.priority_reason && <><dt>Priority reason</dt><dd>{d.priority_reason}</dd></>}
              <dt>Assignee</dt><dd>{[d.assignee, d.team].filter(Boolean).join(' · ') || '—'}</dd>
              <dt>Root cause</dt><dd>{d.root_cause ?? '—'}</dd>
              <dt>Hotfix</dt><dd>{d.hotfix_id ? <Link href={`/archives/${encodeURIComponent(d.hotfix_id)}`}>{d.hotfix_id}</Link> : '—'}</dd>
              <dt>Window</dt><dd>{d.window_start ? <><When at={d.window_start} /> – <When at={d.window_end} /></> : '—'}</dd>
              <dt>Deployed to</dt><dd>{d.deployed.length ? d.deployed.map((x) => x.environment).join(', ') : '—'}</dd>
              <dt>Sign-off</dt><dd>{d.signoff_by ?? '—'}</dd>
              {d.monitor_until && <><dt>Monitoring until</dt><dd><When at={d.monitor_until} /></dd></>}
              {d.outcome && <><dt>Outcome</dt><dd>{d.outcome}</dd></>}
            </dl>
            {d.description && <p className="description">{d.description}</p>}
          </section>

          <section aria-labelledby="h-actions">
            <h2 id="h-actions">Next steps</h2>
            <CaseActions c={d} onDone={reload} />
          </section>

          {d.hotfix_id && (
            <section aria-labelledby="h-presence">
              <h2 id="h-presence">Where the fix is</h2>
              <ErrorBox error={presence.error} />
              {presence.data && (
                <>
                  <p>{presence.data.everywhere ? <Badge tone="green">present everywhere</Badge> : <Badge tone="red">not everywhere yet</Badge>}</p>
                  <ul className="presence">
                    {presence.data.environments.map((e) => <li key={e.name} className={e.present ? 'ok' : 'missing'}>{e.name}: {e.present ? `present (${e.how})` : 'missing'}</li>)}
                  </ul>
                </>
              )}
            </section>
          )}

          <section aria-labelledby="h-timeline">
            <h2 id="h-timeline">Timeline</h2>
            <ErrorBox error={audit.error} />
            <ol className="timeline">
              {(audit.data?.entries ?? []).map((e) => (
                <li key={e.id}><When at={e.at} /> <strong>{e.action}</strong> by {e.actor}{describe(e.details)}</li>
              ))}
            </ol>
          </section>

          <section aria-labelledby="h-evidence">
            <h2 id="h-evidence">Evidence</h2>
            {d.evidence.length === 0 ? <p className="muted">No test results yet.</p> : (
              <div className="table-wrap"><table aria-label="Evidence">
                <thead><tr><th scope="col">Kind</th><th scope="col">Result</th><th scope="col">Uploaded</th></tr></thead>
                <tbody>{d.evidence.map((e) => <tr key={e.id}><td>{e.kind}</td><td><Counts c={e.counts} /></td><td>{e.uploaded_by}, <When at={e.at} /></td></tr>)}</tbody>
              </table></div>
            )}
          </section>

          <section aria-labelledby="h-notifications">
            <h2 id="h-notifications">Notifications sent</h2>
            {d.notifications.length === 0 ? <p className="muted">None.</p> : (
              <div className="table-wrap"><table aria-label="Notifications">
                <thead><tr><th scope="col">Event</th><th scope="col">By</th><th scope="col">To</th><th scope="col">Status</th></tr></thead>
                <tbody>{d.notifications.map((n, i) => (
                  <tr key={`${n.event_id}-${i}`}><td>{n.event}</td><td>{n.kind}</td><td>{n.target ?? <span className="muted">hidden</span>}</td>
                    <td>{n.delivered_at ? <>delivered <When at={n.delivered_at} /></> : n.failed_at ? <Badge tone="red">failed</Badge> : `pending (${n.attempts} tries)`}</td></tr>
                ))}</tbody>
              </table></div>
            )}
          </section>

          <ReleaseNotes key={String(d.updated_at)} id={d.id} ready={d.hotfix_id !== null} />
        </div>
      )}
    </Layout>
  );
}

function Counts({ c }: { c: TestCounts }) {
  const bad = c.failed + c.errors;
  return (
    <>
      <Badge tone={bad ? 'red' : 'green'}>{c.passed}/{c.tests} passed</Badge>
      {c.failed > 0 && ` ${c.failed} failed`}{c.errors > 0 && ` ${c.errors} errors`}{c.skipped > 0 && ` ${c.skipped} skipped`}
      {c.failures.length > 0 && <ul className="failures">{c.failures.slice(0, 10).map((f) => <li key={f}>{f}</li>)}</ul>}
    </>
  );
}

function describe(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  const d = details as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d['from'] === 'string' && typeof d['to'] === 'string') parts.push(`${d['from']} → ${d['to']}`);
  for (const k of ['reason', 'environment', 'hotfix', 'signoffBy', 'priority']) if (typeof d[k] === 'string') parts.push(`${k}: ${d[k]}`);
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
    <section aria-labelledby="h-notes">
      <h2 id="h-notes">Release notes</h2>
      <ErrorBox error={error} />
      {text ? <pre className="notes">{text}</pre> : <p className="muted">Made when the case becomes ready.</p>}
    </section>
  );
}
