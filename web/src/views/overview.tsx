import { useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import {
  Bell,
  CircleCheck,
  CircleDashed,
  CustomerIcon,
  KeyRound,
  LifeBuoy,
  Package,
  ShieldCheck,
  Undo2,
  Upload,
  Workflow,
} from '../icons.js';
import { useCan } from '../session.js';
import type { CustomerRow, Overview, Product, SetupStep } from '../types.js';
import {
  Badge,
  Card,
  Command,
  EmptyState,
  ErrorBox,
  Head,
  Layout,
  Loading,
  plural,
  ProductPicker,
  Reveal,
  When,
} from '../ui.js';
import { useApi, type Loaded } from '../use-api.js';
import {
  AddCustomerForm,
  InstallationTokenForm,
  loginLine,
  RegisterProduct,
  ROOT_SOURCE,
  TrustKeyForm,
} from './admin-forms.js';
import { SeverityBadge, StateBadge } from './cases.js';
import { Stat } from './customer-home.js';

type StepId = SetupStep['id'];

/** Each set-up step: what it is for, how it is done on the command line, and how here (for the roles that may). */
const STEPS: Record<StepId, { title: string; why: string; counted: (n: number) => string; cli: () => string[] }> = {
  'publisher-key': {
    title: 'Trust a publisher key',
    why: 'The server accepts only archives signed by a key it trusts. Make a key pair once; the private half signs, the public half is trusted here.',
    counted: (n) => `${plural(n, 'key')} trusted`,
    cli: () => ['hfx keygen --out vendor', 'hfx key trust vendor.pub --name vendor'],
  },
  product: {
    title: 'Register a product',
    why: 'Pushing the first archive of a product registers it and its release; a release manager can also register it by hand or publish a release manifest.',
    counted: (n) => `${plural(n, 'product')} registered`,
    cli: () => ['hfx push HOTFIX.zip', 'hfx release publish VERSION --server'],
  },
  customer: {
    title: 'Add a customer',
    why: 'Customers own installations, installation tokens and their own people’s accounts.',
    counted: (n) => plural(n, 'customer'),
    cli: () => ['hfx customer add acme --name "ACME Corp"'],
  },
  'installation-token': {
    title: 'Make an installation token',
    why: 'Each installation links to the server with a token of its customer’s: it sees that customer’s fixes only.',
    counted: (n) => `${plural(n, 'installation token')} in use`,
    cli: () => ['hfx token new acme-prod-1 --customer acme'],
  },
  'first-push': {
    title: 'Push a hotfix',
    why: 'A developer pushes a signed archive; the server checks every file and the signature, as hfx apply would, before storing it.',
    counted: (n) => `${plural(n, 'archive')} on the server`,
    cli: () => ['hfx push HOTFIX.zip'],
  },
  'first-report': {
    title: 'Link an installation',
    why:
      `On the installation: link it with its token (on standard input, never as an argument) and ${ROOT_SOURCE}, both handed over out of band; ` +
      'then send its first report.',
    counted: (n) => `${plural(n, 'installation')} reporting`,
    cli: () => [loginLine('acme-prod-1'), 'hfx state --report --home DIR'],
  },
};

/** The vendor's first screen: the way in on a fresh server, then what needs attention now. */
export function OverviewView() {
  const o = useApi<Overview>('/v1/overview');
  const d = o.data;
  const done = d?.setup.filter((s) => s.done).length ?? 0;
  const setting = d !== null && done < d.setup.length;
  return (
    <Layout
      title="Overview"
      description={
        setting
          ? 'A few steps take this server from empty to a customer’s installation reporting its first fix.'
          : 'What needs attention now: red hotfixes, urgent cases, failed notifications and reverts.'
      }
    >
      <ErrorBox error={o.error} />
      {o.loading && !d && <Loading what="the overview" />}
      {d && setting && <Checklist steps={d.setup} done={done} onChange={o.reload} />}
      {d && (
        <>
          <div className="stats">
            <Stat
              icon={Workflow}
              label="Hotfixes red in a pipeline"
              value={d.red.length}
              href="#attention-red"
              tone={d.red.length ? 'red' : 'green'}
            />
            <Stat
              icon={LifeBuoy}
              label="Open S1/S2 cases"
              value={d.cases.length}
              href="#attention-cases"
              tone={d.cases.length ? 'amber' : 'green'}
            />
            <Stat
              icon={Bell}
              label="Failed notifications"
              value={d.failedNotifications.length}
              href="#attention-notifications"
              tone={d.failedNotifications.length ? 'red' : 'green'}
            />
            <Stat
              icon={Undo2}
              label="Reverts, last 30 days"
              value={d.reverted.length}
              href="#attention-reverts"
              tone={d.reverted.length ? 'amber' : 'green'}
            />
          </div>
          <Attention d={d} />
        </>
      )}
    </Layout>
  );
}

function Checklist({ steps, done, onChange }: { steps: SetupStep[]; done: number; onChange: () => void }) {
  const can = useCan();
  const customers = useApi<{ customers: CustomerRow[] }>(can('admin') ? '/v1/customers' : null);
  // A step done here stays open until the page is left: the token it made is shown only this once.
  const [kept, setKept] = useState<StepId | null>(null);
  const next = steps.find((s) => !s.done)?.id;
  const here: Partial<Record<StepId, ReactNode>> = {
    ...(can('admin')
      ? {
          'publisher-key': (
            <Reveal label="Trust a key" icon={ShieldCheck} primary={next === 'publisher-key'}>
              <TrustKeyForm onDone={onChange} />
            </Reveal>
          ),
          customer: (
            <Reveal label="Add a customer" icon={CustomerIcon} primary={next === 'customer'}>
              <AddCustomerForm
                onDone={() => {
                  onChange();
                  customers.reload();
                }}
              />
            </Reveal>
          ),
          'installation-token': (
            <Reveal label="Make an installation token" icon={KeyRound} primary={next === 'installation-token'}>
              {(customers.data?.customers.length ?? 0) === 0 ? (
                <p className="muted">Add a customer first.</p>
              ) : (
                <InstallationTokenForm
                  customers={customers.data?.customers ?? []}
                  onDone={() => {
                    setKept('installation-token');
                    onChange();
                  }}
                />
              )}
            </Reveal>
          ),
        }
      : {}),
    ...(can('release-manager')
      ? {
          product: (
            <Reveal label="Register a product" icon={Package} primary={next === 'product'}>
              <RegisterProduct onDone={onChange} />
            </Reveal>
          ),
        }
      : {}),
    ...(can('developer')
      ? {
          'first-push': (
            <Link href="/archives" className={`button${next === 'first-push' ? ' primary' : ''}`}>
              <Upload size={16} />
              Push from Archives
            </Link>
          ),
        }
      : {}),
  };
  return (
    <Card
      title="Set up hfx"
      className="checklist"
      description={`${done} of ${steps.length} steps done.`}
      actions={
        <progress max={steps.length} value={done} aria-label={`Set-up: ${done} of ${steps.length} steps done`} />
      }
    >
      <ol className="steps">
        {steps.map((s, i) => {
          const step = STEPS[s.id];
          return (
            <li
              key={s.id}
              className={`step${s.done ? ' done' : ''}${s.id === next ? ' next' : ''}`}
              data-step={s.id}
              data-done={s.done ? 'true' : 'false'}
              aria-labelledby={`step-${s.id}`}
            >
              <span className="step-mark" aria-hidden="true">
                {s.done ? <CircleCheck size={22} /> : <CircleDashed size={22} />}
              </span>
              <div className="step-body">
                <h3 id={`step-${s.id}`} className="step-title">
                  <span className="muted">{i + 1}.</span> {step.title}{' '}
                  {s.done ? <Badge tone="green">done</Badge> : <Badge tone="grey">to do</Badge>}
                  {s.count > 0 && <span className="muted step-count">{step.counted(s.count)}</span>}
                </h3>
                {(!s.done || kept === s.id) && (
                  <>
                    <p className="step-why">{step.why}</p>
                    {step.cli().map((c) => (
                      <Command key={c}>{c}</Command>
                    ))}
                    {here[s.id] && <div className="step-here">{here[s.id]}</div>}
                  </>
                )}
              </div>
            </li>
          );
        })}
      </ol>
    </Card>
  );
}

function Attention({ d }: { d: Overview }) {
  const can = useCan();
  return (
    <div className="attention">
      <Card
        title={<span id="attention-red">Hotfixes red in the pipeline</span>}
        description="Deployed to an environment while an earlier one lacks them: propagate them back, or they are lost at the next release."
      >
        {d.red.length === 0 ? (
          <AllClear>Every hotfix is in every earlier environment.</AllClear>
        ) : (
          <div className="table-wrap">
            <table className="stack" aria-label="Red hotfixes">
              <Head cols={['Hotfix', 'Product', 'In', 'Missing in']} />
              <tbody>
                {d.red.map((r) => (
                  <tr key={`${r.product}/${r.environment}/${r.hotfix}`}>
                    <td data-label="Hotfix">
                      <Link href={`/pipeline/${encodeURIComponent(r.product)}`}>{r.hotfix}</Link>
                    </td>
                    <td data-label="Product">{r.product}</td>
                    <td data-label="In">{r.environment}</td>
                    <td data-label="Missing in">
                      <Badge tone="red">not propagated</Badge> {r.missingIn.join(', ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title={<span id="attention-cases">Open S1 and S2 cases, oldest first</span>}>
        {d.cases.length === 0 ? (
          <AllClear>No severe case is open.</AllClear>
        ) : (
          <div className="table-wrap">
            <table className="stack" aria-label="Open severe cases">
              <Head cols={['#', 'Title', 'Severity', 'State', 'Customer', 'Age']} />
              <tbody>
                {d.cases.map((c) => (
                  <tr key={c.id}>
                    <td data-label="#" className="num">
                      {c.id}
                    </td>
                    <td data-label="Title">
                      <Link href={`/cases/${c.id}`}>{c.title}</Link>
                    </td>
                    <td data-label="Severity">
                      <SeverityBadge severity={c.severity} />
                    </td>
                    <td data-label="State">
                      <StateBadge state={c.state} />
                    </td>
                    <td data-label="Customer">{c.customer ?? <span className="muted">—</span>}</td>
                    <td data-label="Age" className="num" title={new Date(c.createdAt).toISOString()}>
                      {c.ageDays === 0 ? 'today' : plural(c.ageDays, 'day')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card
        title={<span id="attention-notifications">Failed notifications</span>}
        actions={
          can('release-manager') ? (
            <Link href="/notifications" className="button small">
              All deliveries
            </Link>
          ) : undefined
        }
      >
        {d.failedNotifications.length === 0 ? (
          <AllClear>Every notification was delivered or is still being tried.</AllClear>
        ) : (
          <div className="table-wrap">
            <table className="stack" aria-label="Failed notifications">
              <Head cols={['Event', 'By', 'To', 'Error', 'Failed']} />
              <tbody>
                {d.failedNotifications.map((n) => (
                  <tr key={n.id}>
                    <td data-label="Event">{n.event}</td>
                    <td data-label="By">{n.kind}</td>
                    <td data-label="To" className="clip">
                      {n.target ?? <span className="muted">hidden</span>}
                    </td>
                    <td data-label="Error" className="clip" title={n.lastError ?? undefined}>
                      <Badge tone="red">failed</Badge> {n.lastError ?? ''}
                    </td>
                    <td data-label="Failed">
                      <When at={n.failedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card
        title={<span id="attention-reverts">Installations that reverted a hotfix</span>}
        description="In the last 30 days, with the reason the installation gave."
      >
        {d.reverted.length === 0 ? (
          <AllClear>No installation reverted a hotfix.</AllClear>
        ) : (
          <div className="table-wrap">
            <table className="stack" aria-label="Reverts">
              <Head cols={['Hotfix', 'Installation', 'Customer', 'Why', 'When']} />
              <tbody>
                {d.reverted.map((r, i) => (
                  <tr key={`${r.installation}-${i}`}>
                    <td data-label="Hotfix">
                      {r.hotfix ? (
                        <Link href={`/fleet/hotfixes/${encodeURIComponent(r.hotfix)}`}>{r.hotfix}</Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td data-label="Installation" title={r.installation}>
                      {r.name}
                    </td>
                    <td data-label="Customer">{r.customer ?? 'in-house'}</td>
                    <td data-label="Why">{r.reason ?? <span className="muted">no reason given</span>}</td>
                    <td data-label="When">
                      <When at={r.at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

function AllClear({ children }: { children: ReactNode }) {
  return (
    <p className="all-clear">
      <CircleCheck size={16} />
      {children}
    </p>
  );
}

/** Releases, Updates, Pipeline and the rest start from a product: without one, say how one is made. */
export function NoProducts({ onDone }: { onDone: () => void }) {
  const can = useCan();
  return (
    <EmptyState icon={Package} title="No products yet">
      <p>
        A product appears once it is registered: pushing its first signed archive does it
        {can('release-manager') ? ', or register it here' : ''}.
      </p>
      <Command>hfx push HOTFIX.zip</Command>
      {can('release-manager') && (
        <Reveal label="Register a product" icon={Package}>
          <RegisterProduct onDone={onDone} />
        </Reveal>
      )}
    </EmptyState>
  );
}

/**
 * The head of a view that shows one product at a time (Releases, Updates, Pipeline): the products loading,
 * none yet, or the chooser once one is `chosen`. Choosing goes to `${base}/PRODUCT`, so each product's page
 * is a link; `children` join the chooser's row.
 */
export function ProductBar({
  products,
  chosen,
  base,
  children,
}: {
  products: Loaded<{ products: Product[] }>;
  chosen: string | null;
  base: string;
  children?: ReactNode;
}) {
  const [, navigate] = useLocation();
  return (
    <>
      {products.loading && !products.data && <Loading what="products" />}
      {products.data?.products.length === 0 && <NoProducts onDone={products.reload} />}
      {chosen && (
        <div className="toolbar">
          <ProductPicker
            value={chosen}
            products={products.data?.products ?? []}
            onChange={(x) => navigate(`${base}/${encodeURIComponent(x)}`)}
          />
          {children}
        </div>
      )}
    </>
  );
}
