import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { SessionProvider, useSession } from './session.js';
import { EmptyState, Layout, Loading } from './ui.js';
import { CircleX } from './icons.js';
import { ArchivesView, ArchiveView } from './views/archives.js';
import { CaseView } from './views/case-detail.js';
import { CasesView, NewCaseView } from './views/cases.js';
import { CustomerCasesView, CustomerCaseView } from './views/customer-cases.js';
import { CustomerHomeView } from './views/customer-home.js';
import { CustomersView } from './views/customers.js';
import { FleetView, HotfixSpreadView } from './views/fleet.js';
import { NotificationsView } from './views/notifications.js';
import { OverviewView } from './views/overview.js';
import { PipelineView } from './views/pipeline.js';
import { PublisherKeysView } from './views/publisher-keys.js';
import { ReleasesView } from './views/releases.js';
import { RolloutsView } from './views/rollouts.js';
import { SignInView } from './views/sign-in.js';
import { TokensView } from './views/tokens.js';
import { UpdatesView } from './views/updates.js';
import { UsersView } from './views/users.js';
import './styles.css';

/** wouter leaves %-escapes such as %2B (a `+` in a product or hotfix id) in its params. */
function dec(s: string): string;
function dec(s: string | undefined): string | null;
function dec(s: string | undefined): string | null {
  if (s === undefined) return null;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function Routes() {
  const { me, checking } = useSession();
  const [path] = useLocation();
  if (checking) return <Loading what="your session" />;
  if (!me) {
    if (path === '/sign-in') return <SignInView />;
    return <Redirect to={`/sign-in?next=${encodeURIComponent(path + window.location.search)}`} replace />;
  }
  if (me.kind === 'customer-user') return <CustomerRoutes />;
  return (
    <Switch>
      <Route path="/sign-in">
        <Redirect to="/" replace />
      </Route>
      <Route path="/">
        <OverviewView />
      </Route>
      <Route path="/pipeline/:product?">{(p) => <PipelineView product={dec(p.product)} />}</Route>
      <Route path="/cases/new">
        <NewCaseView />
      </Route>
      <Route path="/cases/:id">{(p) => <CaseView id={Number(p.id)} />}</Route>
      <Route path="/cases">
        <CasesView />
      </Route>
      <Route path="/fleet/hotfixes/:id">{(p) => <HotfixSpreadView id={dec(p.id)} />}</Route>
      <Route path="/fleet">
        <FleetView />
      </Route>
      <Route path="/archives/:id">{(p) => <ArchiveView id={dec(p.id)} />}</Route>
      <Route path="/archives">
        <ArchivesView />
      </Route>
      <Route path="/rollouts">
        <RolloutsView />
      </Route>
      <Route path="/releases/:product?">{(p) => <ReleasesView product={dec(p.product)} />}</Route>
      <Route path="/tokens">
        <TokensView />
      </Route>
      <Route path="/updates/:product?">{(p) => <UpdatesView product={dec(p.product)} />}</Route>
      <Route path="/users">
        <UsersView />
      </Route>
      <Route path="/customers/:id?">{(p) => <CustomersView selected={dec(p.id)} />}</Route>
      <Route path="/publisher-keys">
        <PublisherKeysView />
      </Route>
      <Route path="/notifications">
        <NotificationsView />
      </Route>
      <Route>
        <NotFound />
      </Route>
    </Switch>
  );
}

/** A customer's people: their own cases, fixes and installations; every other address is not found. */
function CustomerRoutes() {
  return (
    <Switch>
      <Route path="/sign-in">
        <Redirect to="/" replace />
      </Route>
      <Route path="/">
        <CustomerHomeView />
      </Route>
      <Route path="/cases/:id">{(p) => <CustomerCaseView id={Number(p.id)} />}</Route>
      <Route path="/cases">
        <CustomerCasesView />
      </Route>
      <Route path="/archives/:id">{(p) => <ArchiveView id={dec(p.id)} />}</Route>
      <Route path="/archives">
        <ArchivesView />
      </Route>
      <Route path="/fleet">
        <FleetView />
      </Route>
      <Route>
        <NotFound />
      </Route>
    </Switch>
  );
}

function NotFound() {
  return (
    <Layout title="Not found">
      <EmptyState
        icon={CircleX}
        title="There is no page here"
        actions={
          <Link href="/" className="button">
            Go to the start page
          </Link>
        }
      >
        <p>The address may be mistyped, or the page is not one your account can open.</p>
      </EmptyState>
    </Layout>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <SessionProvider>
      <Routes />
    </SessionProvider>
  </StrictMode>,
);
