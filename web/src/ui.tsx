import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { ApiError } from './api.js';
import { useSession } from './session.js';
import type { Product } from './types.js';
import { useApi } from './use-api.js';

const NAV = [
  ['/pipeline', 'Pipeline'],
  ['/cases', 'Cases'],
  ['/fleet', 'Fleet'],
  ['/archives', 'Archives'],
  ['/releases', 'Releases'],
  ['/updates', 'Updates'],
  ['/tokens', 'Tokens'],
] as const;

export function Layout({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const { me, signOut } = useSession();
  const [path] = useLocation();
  useEffect(() => {
    document.title = `${title} · hfx`;
  }, [title]);
  useEffect(() => {
    // A new view from the navigation: move focus to its content, so keyboard and screen-reader
    // users start there. A control inside the view that navigated (a product picker) keeps it.
    const main = document.getElementById('main');
    if (main && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
  }, [path]);
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <Link href="/" className="brand">hfx</Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}><Link href={href} aria-current={path.startsWith(href) ? 'page' : undefined}>{label}</Link></li>
            ))}
          </ul>
        </nav>
        {me && (
          <div className="who">
            <span>{me.username} <span className="role">{me.role}</span></span>
            <button type="button" className="link" onClick={() => void signOut()}>Sign out</button>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <div className="title-row">
          <h1>{title}</h1>
          {actions}
        </div>
        {children}
      </main>
    </>
  );
}

/** An API refusal as the CLI shows it: what happened, the stable code, and what to do next. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'HFX_E_INTERNAL', String(error));
  return (
    <div className="error" role="alert">
      <strong>{e.message}</strong> <code>{e.code}</code>
      {e.hint && <p>{e.hint}</p>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" role="status">Loading {what}…</p>;
}

export function Field({ label, children, hint }: { label: string; children: (id: string) => ReactNode; hint?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small className="muted">{hint}</small>}
    </div>
  );
}

/** A form that posts once at a time and shows the server's refusal in place. */
export function ActionForm({ label, onSubmit, children, danger }: { label: string; onSubmit: (form: FormData) => Promise<void>; children?: ReactNode; danger?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(new FormData(ev.currentTarget));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="action" onSubmit={(e) => void submit(e)} aria-label={label}>
      {children}
      <button type="submit" disabled={busy} className={danger ? 'danger' : undefined}>{busy ? `${label}…` : label}</button>
      <ErrorBox error={error} />
    </form>
  );
}

export function str(f: FormData, k: string): string | undefined {
  const v = f.get(k);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

// One formatter for every date on a page: making one per call costs more than the rest of a table row.
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  const d = new Date(at);
  return <time dateTime={d.toISOString()} title={d.toISOString()}>{DATE.format(d)}</time>;
}

export function Badge({ children, tone }: { children: ReactNode; tone?: 'red' | 'green' | 'amber' | 'grey' }) {
  return <span className={`badge ${tone ?? ''}`}>{children}</span>;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function useProducts() {
  return useApi<{ products: Product[] }>('/v1/products');
}

/** The product chooser most views start with; its value lives in the URL so views can be linked. */
export function ProductPicker({ value, onChange, products, allowAll }: { value: string; onChange: (p: string) => void; products: Product[]; allowAll?: boolean }) {
  return (
    <Field label="Product">
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          {allowAll && <option value="">All products</option>}
          {products.map((p) => <option key={p.name} value={p.name}>{p.title && p.title !== p.name ? `${p.title} (${p.name})` : p.name}</option>)}
        </select>
      )}
    </Field>
  );
}

/** Read and write the query string: filters survive reloads and can be shared as links. */
export function useQuery(): [URLSearchParams, (patch: Record<string, string | null>) => void] {
  const [path, navigate] = useLocation();
  const q = new URLSearchParams(useSearch());
  const set = (patch: Record<string, string | null>) => {
    const n = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(patch)) if (v === null || v === '') n.delete(k); else n.set(k, v);
    const s = n.toString();
    navigate(`${path}${s ? `?${s}` : ''}`);
  };
  return [q, set];
}
