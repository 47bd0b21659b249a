import { useEffect, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import {
  ArchiveIcon,
  ArrowLeft,
  Bell,
  CircleArrowUp,
  CustomerIcon,
  House,
  KeyRound,
  Layers,
  LayoutDashboard,
  LifeBuoy,
  LogOut,
  Menu,
  RolloutIcon,
  Server,
  ShieldCheck,
  Tag,
  Users,
  Workflow,
  X,
  type Icon,
} from './icons.js';
import { ROLE_LABEL, useSession } from './session.js';
import type { Me, Role } from './types.js';
import { ROLES } from '../../src/wire/roles.js';

interface NavItem {
  href: string;
  label: string;
  icon: Icon;
  min?: Role;
}
interface NavSection {
  title: string | null;
  items: NavItem[];
}

/** The vendor's navigation: what a role cannot use is not shown (the server refuses it anyway). */
const VENDOR_NAV: NavSection[] = [
  {
    title: null,
    items: [
      { href: '/', label: 'Overview', icon: LayoutDashboard },
      { href: '/pipeline', label: 'Pipeline', icon: Workflow },
      { href: '/cases', label: 'Cases', icon: LifeBuoy },
      { href: '/fleet', label: 'Fleet', icon: Server },
    ],
  },
  {
    title: 'Shipping',
    items: [
      { href: '/archives', label: 'Archives', icon: ArchiveIcon },
      { href: '/rollouts', label: 'Rollouts', icon: RolloutIcon },
      { href: '/releases', label: 'Releases', icon: Tag },
      { href: '/updates', label: 'Updates', icon: Layers },
    ],
  },
  {
    title: 'Settings',
    items: [
      { href: '/users', label: 'Users', icon: Users, min: 'admin' },
      { href: '/customers', label: 'Customers', icon: CustomerIcon, min: 'release-manager' },
      { href: '/publisher-keys', label: 'Publisher keys', icon: ShieldCheck },
      { href: '/notifications', label: 'Notifications', icon: Bell },
      { href: '/tokens', label: 'Tokens', icon: KeyRound },
    ],
  },
];

/** A customer's people see their own things only: every vendor route answers them 403. */
const CUSTOMER_NAV: NavSection[] = [
  {
    title: null,
    items: [
      { href: '/', label: 'Home', icon: House },
      { href: '/cases', label: 'Cases', icon: LifeBuoy },
      { href: '/archives', label: 'Fixes and updates', icon: CircleArrowUp },
      { href: '/fleet', label: 'Installations', icon: Server },
    ],
  },
];

function navFor(me: Me): NavSection[] {
  if (me.kind === 'customer-user') return CUSTOMER_NAV;
  const at = ROLES.indexOf(me.role);
  return VENDOR_NAV.map((s) => ({ ...s, items: s.items.filter((i) => !i.min || at >= ROLES.indexOf(i.min)) })).filter(
    (s) => s.items.length > 0,
  );
}

const current = (path: string, href: string) =>
  href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);

export function Layout({
  title,
  children,
  actions,
  description,
  back,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
  description?: ReactNode;
  back?: { href: string; label: string };
}) {
  const { me, signOut } = useSession();
  const [path] = useLocation();
  const [menu, setMenu] = useState(false);
  useEffect(() => {
    document.title = `${title} · hfx`;
  }, [title]);
  useEffect(() => {
    setMenu(false);
    // A new view from the navigation: move focus to its content, so keyboard and screen-reader
    // users start there. A control inside the view that navigated (a product picker) keeps it.
    const main = document.getElementById('main');
    if (main && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
  }, [path]);
  const who = me?.kind === 'customer-user' ? `${ROLE_LABEL.customer} · ${me.customer}` : me ? ROLE_LABEL[me.role] : '';
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <button
          type="button"
          className="icon-only menu-button"
          aria-expanded={menu}
          aria-controls="side-nav"
          onClick={() => setMenu((m) => !m)}
        >
          {menu ? <X size={20} /> : <Menu size={20} />}
          <span className="sr-only">Menu</span>
        </button>
        <Link href="/" className="brand" aria-label="hfx home">
          <Logo />
          <span>hfx</span>
        </Link>
        {me && (
          <div className="who">
            <span className="avatar" aria-hidden="true">
              {me.username.slice(0, 1).toUpperCase()}
            </span>
            <span className="who-text">
              <span className="who-name" data-testid="who-name">
                {me.username}
              </span>
              <span className="who-role" data-testid="who-role">
                {who}
              </span>
            </span>
            <button type="button" className="ghost" onClick={() => void signOut()}>
              <LogOut size={16} />
              <span className="sign-out-label">Sign out</span>
            </button>
          </div>
        )}
      </header>
      <div className="shell">
        {me && (
          <nav id="side-nav" className="side" aria-label="Main" data-open={menu || undefined}>
            {navFor(me).map((s) => (
              <div key={s.title ?? 'main'} className="side-section">
                {s.title && <h2 className="side-title">{s.title}</h2>}
                <ul>
                  {s.items.map(({ href, label, icon: I }) => (
                    <li key={href}>
                      <Link href={href} aria-current={current(path, href) ? 'page' : undefined}>
                        <I size={16} />
                        {label}
                      </Link>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </nav>
        )}
        <main id="main" tabIndex={-1}>
          <div className="page-head">
            {back && (
              <Link className="back" href={back.href}>
                <ArrowLeft size={14} />
                {back.label}
              </Link>
            )}
            <div className="title-row">
              <h1>{title}</h1>
              {actions && <div className="title-actions">{actions}</div>}
            </div>
            {description && <p className="lead">{description}</p>}
          </div>
          {children}
        </main>
      </div>
    </>
  );
}

/** The mark: a patch over a stack (a hotfix on a pack). Drawn here, so it costs no request. */
export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <rect x="2" y="2" width="20" height="20" rx="5" fill="currentColor" />
      <path d="M7 7v10M17 7v10M7 12h10" stroke="var(--logo-ink)" strokeWidth="2.4" strokeLinecap="round" fill="none" />
    </svg>
  );
}
