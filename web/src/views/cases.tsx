import { Link, useLocation } from 'wouter';
import { STATES } from '../../../src/wire/cases.js';
import { api, qs } from '../api.js';
import { ArrowLeft, ArrowRight, LifeBuoy, Plus } from '../icons.js';
import { useCan } from '../session.js';
import type { CaseRow } from '../types.js';
import {
  ActionForm,
  Badge,
  EmptyRow,
  EmptyState,
  ErrorBox,
  Field,
  Head,
  Layout,
  Loading,
  str,
  useProducts,
  useQuery,
  When,
} from '../ui.js';
import { useApi } from '../use-api.js';

const SEVERITIES = ['S1', 'S2', 'S3', 'S4'] as const;
const PAGE = 50;

export function stateTone(state: string): 'red' | 'green' | 'amber' | 'grey' {
  if (state === 'solved') return 'green';
  if (state === 'rolled-back' || state === 'reported') return 'red';
  if (state === 'rejected' || state === 'superseded') return 'grey';
  return 'amber';
}

/** A case's state: its word, with the tone's colour and icon. */
export function StateBadge({ state, testId }: { state: string; testId?: string }) {
  return (
    <Badge tone={stateTone(state)}>
      <span data-testid={testId}>{state}</span>
    </Badge>
  );
}

/** S1 and S2 need attention first: marked, not only coloured. */
export function SeverityBadge({ severity }: { severity: string }) {
  return <Badge tone={severity === 'S1' ? 'red' : severity === 'S2' ? 'amber' : undefined}>{severity}</Badge>;
}

/** Newest first, 50 a page by id (keyset: fast on any page of 10,000 and more); filters live in the URL. */
export function CasesView() {
  const [q, setQ] = useQuery();
  const can = useCan();
  const products = useProducts();
  const filters = {
    state: q.get('state'),
    severity: q.get('severity'),
    customer: q.get('customer'),
    product: q.get('product'),
  };
  const before = q.get('before');
  const cases = useApi<{ cases: CaseRow[]; next: number | null }>(
    `/v1/cases${qs({ ...filters, before, limit: PAGE })}`,
  );
  const next = cases.data?.next ?? null;
  // The cursors of the pages seen, so "Previous" goes back without counting rows.
  const trail = (q.get('trail') ?? '').split(',').filter(Boolean);
  return (
    <Layout
      title="Cases"
      description="Every reported problem and the hotfix that answers it, newest first."
      actions={
        can('developer') ? (
          <Link href="/cases/new" className="button primary">
            <Plus size={16} />
            New case
          </Link>
        ) : undefined
      }
    >
      <form className="filters" aria-label="Filter cases" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect
          label="State"
          any="Any state"
          value={filters.state}
          options={STATES}
          onChange={(v) => setQ({ state: v, before: null, trail: null })}
        />
        <FilterSelect
          label="Severity"
          any="Any severity"
          value={filters.severity}
          options={SEVERITIES}
          onChange={(v) => setQ({ severity: v, before: null, trail: null })}
        />
        <FilterSelect
          label="Product"
          any="Any product"
          value={filters.product}
          options={(products.data?.products ?? []).map((p) => p.name)}
          onChange={(v) => setQ({ product: v, before: null, trail: null })}
        />
        <Field label="Customer">
          {(id) => (
            <input
              id={id}
              key={filters.customer ?? ''}
              defaultValue={filters.customer ?? ''}
              placeholder="customer id"
              onKeyDown={(e) => {
                if (e.key === 'Enter')
                  setQ({ customer: (e.target as HTMLInputElement).value.trim(), before: null, trail: null });
              }}
              onBlur={(e) => {
                if (e.target.value.trim() !== (filters.customer ?? ''))
                  setQ({ customer: e.target.value.trim(), before: null, trail: null });
              }}
            />
          )}
        </Field>
      </form>
      <ErrorBox error={cases.error} />
      {cases.loading && !cases.data && <Loading what="cases" />}
      {cases.data?.cases.length === 0 && !before && !Object.values(filters).some(Boolean) && (
        <EmptyState
          icon={LifeBuoy}
          title="No cases yet"
          actions={
            can('developer') ? (
              <Link href="/cases/new" className="button primary">
                <Plus size={16} />
                Report the first case
              </Link>
            ) : undefined
          }
        >
          <p>
            A case follows one problem from its report to a hotfix deployed everywhere. Report one here, or from the
            command line: <code>hfx case new</code>.
          </p>
        </EmptyState>
      )}
      {cases.data && (cases.data.cases.length > 0 || Boolean(before) || Object.values(filters).some(Boolean)) && (
        <>
          <div className="table-wrap">
            <table className="cases" aria-label="Cases" aria-busy={cases.loading}>
              <Head
                cols={['#', 'Title', 'Product', 'Customer', 'Severity', 'Priority', 'State', 'Hotfix', 'Updated']}
              />
              <tbody>
                {cases.data.cases.length === 0 && <EmptyRow cols={9}>No cases match.</EmptyRow>}
                {cases.data.cases.map((c) => (
                  <tr key={c.id}>
                    <td className="num">{c.id}</td>
                    <td>
                      <Link href={`/cases/${c.id}`}>{c.title}</Link>
                    </td>
                    <td>
                      {c.product}
                      {c.release ? ` ${c.release}` : ''}
                    </td>
                    <td>{c.customer_id ?? <span className="muted">—</span>}</td>
                    <td>
                      <SeverityBadge severity={c.severity} />
                    </td>
                    <td>{c.priority}</td>
                    <td>
                      <StateBadge state={c.state} />
                    </td>
                    <td>{c.hotfix_id ?? <span className="muted">—</span>}</td>
                    <td>
                      <When at={c.updated_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages of cases">
            <button
              type="button"
              disabled={!before || cases.loading}
              onClick={() => setQ({ before: trail.at(-1) ?? null, trail: trail.slice(0, -1).join(',') || null })}
            >
              <ArrowLeft size={16} />
              Previous page
            </button>
            <button
              type="button"
              disabled={cases.data.next === null || cases.loading}
              onClick={() =>
                setQ({
                  before: String(next),
                  trail: (before ? [...trail, before] : trail).join(',') || null,
                })
              }
            >
              Next page
              <ArrowRight size={16} />
            </button>
          </nav>
        </>
      )}
    </Layout>
  );
}

function FilterSelect({
  label,
  any,
  value,
  options,
  onChange,
}: {
  label: string;
  any: string;
  value: string | null;
  options: readonly string[];
  onChange: (v: string) => void;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
          <option value="">{any}</option>
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function NewCaseView() {
  const products = useProducts();
  const [, navigate] = useLocation();
  return (
    <Layout
      title="New case"
      back={{ href: '/cases', label: 'All cases' }}
      description="What went wrong, for whom, and how badly: severity and impact set the priority."
    >
      <ErrorBox error={products.error} />
      <ActionForm
        label="Report the case"
        className="card-form"
        onSubmit={async (f) => {
          const body = {
            title: str(f, 'title'),
            description: str(f, 'description') ?? '',
            source: str(f, 'source'),
            reporter: str(f, 'reporter'),
            product: str(f, 'product'),
            severity: str(f, 'severity'),
            impact: str(f, 'impact'),
            ...(str(f, 'impactText') ? { impactText: str(f, 'impactText') } : {}),
            ...(str(f, 'customer') ? { customer: str(f, 'customer') } : {}),
            ...(str(f, 'release') ? { release: str(f, 'release') } : {}),
            ...(str(f, 'component') ? { component: str(f, 'component') } : {}),
          };
          const r = await api<{ id: number }>('POST', '/v1/cases', body);
          navigate(`/cases/${r.id}`);
        }}
      >
        <div className="grid2">
          <Field label="Title">{(id) => <input id={id} name="title" required maxLength={500} />}</Field>
          <Field label="Product">
            {(id) => (
              <select id={id} name="product" required>
                {(products.data?.products ?? []).map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Release">{(id) => <input id={id} name="release" placeholder="1.0.0" />}</Field>
          <Field label="Component">{(id) => <input id={id} name="component" />}</Field>
          <Field label="Customer">{(id) => <input id={id} name="customer" placeholder="customer id" />}</Field>
          <Field label="Reporter">{(id) => <input id={id} name="reporter" required />}</Field>
          <Field label="Source">
            {(id) => (
              <select id={id} name="source" defaultValue="customer">
                <option>customer</option>
                <option>monitoring</option>
                <option>testing</option>
              </select>
            )}
          </Field>
          <Field label="Severity">
            {(id) => (
              <select id={id} name="severity" defaultValue="S2">
                {SEVERITIES.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Impact" hint="Who is affected; with the severity it sets the priority.">
            {(id) => (
              <select id={id} name="impact" defaultValue="few">
                <option value="all">all users</option>
                <option value="many">many users</option>
                <option value="few">few users</option>
                <option value="internal">internal only</option>
              </select>
            )}
          </Field>
          <Field label="Impact in words">{(id) => <input id={id} name="impactText" />}</Field>
        </div>
        <Field label="Description">{(id) => <textarea id={id} name="description" rows={4} />}</Field>
      </ActionForm>
    </Layout>
  );
}
