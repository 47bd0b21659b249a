import { useId, useState, type ComponentProps, type ReactNode, type SubmitEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { ApiError } from './api.js';
import { Check, CircleCheck, CircleDot, CircleMinus, CircleX, Copy, Info, type Icon } from './icons.js';
import type { CustomerRow, Product } from './types.js';
import { useApi } from './use-api.js';

export { Layout } from './layout.js';

/** What a thrown value says: an Error its message, a string or number itself; anything else nothing readable. */
const said = (v: unknown): string =>
  v instanceof Error
    ? v.message
    : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
      ? String(v)
      : 'unexpected error';

/** An API refusal as the CLI shows it: what happened, the stable code, and what to do next. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'HFX_E_INTERNAL', said(error));
  return (
    <div className="error" role="alert">
      <CircleX size={16} className="error-icon" />
      <div>
        <strong>{e.message}</strong> <code>{e.code}</code>
        {e.hint && <p>{e.hint}</p>}
      </div>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted loading" role="status">
      <span className="spinner" aria-hidden="true" />
      Loading {what}…
    </p>
  );
}

export function Field({
  label,
  children,
  hint,
}: {
  label: string;
  children: (id: string) => ReactNode;
  hint?: ReactNode;
}) {
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
export function ActionForm({
  label,
  onSubmit,
  children,
  danger,
  submit,
  icon: I,
  className,
}: {
  label: string;
  onSubmit: (form: FormData) => Promise<void>;
  children?: ReactNode;
  danger?: boolean;
  submit?: string;
  icon?: Icon;
  className?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const go = async (ev: SubmitEvent<HTMLFormElement>) => {
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
  const text = submit ?? label;
  return (
    <form className={`action${className ? ` ${className}` : ''}`} onSubmit={(e) => void go(e)} aria-label={label}>
      {children}
      <div className="form-actions">
        <button type="submit" disabled={busy} className={danger ? 'danger' : 'primary'}>
          {I && <I size={16} />}
          {busy ? `${text}…` : text}
        </button>
      </div>
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
const DAY = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A moment, in the reader's time zone (the exact UTC time on hover); `date` alone where the hour says nothing. */
export function When({ at, date }: { at: string | null | undefined; date?: boolean }) {
  if (!at) return <span className="muted">—</span>;
  const d = new Date(at);
  return (
    <time dateTime={d.toISOString()} title={d.toISOString()}>
      {(date ? DAY : DATE).format(d)}
    </time>
  );
}

export type Tone = 'red' | 'green' | 'amber' | 'grey' | 'blue';
const TONE_ICON: Record<Tone, Icon> = {
  red: CircleX,
  green: CircleCheck,
  amber: CircleDot,
  grey: CircleMinus,
  blue: Info,
};

/** A status: its colour always comes with an icon of its own shape and a word, so it reads without colour too. */
export function Badge({ children, tone, icon }: { children: ReactNode; tone?: Tone; icon?: Icon | null }) {
  const I = icon === null ? null : (icon ?? (tone ? TONE_ICON[tone] : null));
  return (
    <span className={`badge ${tone ?? ''}`}>
      {I && <I size={12} strokeWidth={2.5} />}
      {children}
    </span>
  );
}

/** A size in bytes; a missing one (an archive pushed again is answered without it) reads as a dash. */
export function bytes(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function useProducts() {
  return useApi<{ products: Product[] }>('/v1/products');
}

/** The product chooser most views start with; its value lives in the URL so views can be linked. */
export function ProductPicker({
  value,
  onChange,
  products,
  allowAll,
}: {
  value: string;
  onChange: (p: string) => void;
  products: Product[];
  allowAll?: boolean;
}) {
  return (
    <Field label="Product">
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          {allowAll && <option value="">All products</option>}
          {products.map((p) => (
            <option key={p.name} value={p.name}>
              {p.title && p.title !== p.name ? `${p.title} (${p.name})` : p.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * The customer chooser of the forms that act for one customer: every customer as "id — name" after an
 * empty first choice (`none`), so a form with `required` cannot be sent before one is chosen.
 */
export function CustomerSelect({
  customers,
  none = 'Choose…',
  ...select
}: { customers: Pick<CustomerRow, 'id' | 'name'>[]; none?: string } & ComponentProps<'select'>) {
  return (
    <select {...select}>
      <option value="">{none}</option>
      {customers.map((c) => (
        <option key={c.id} value={c.id}>
          {c.id} — {c.name}
        </option>
      ))}
    </select>
  );
}

/** Read and write the query string: filters survive reloads and can be shared as links. */
export function useQuery(): [URLSearchParams, (patch: Record<string, string | null>) => void] {
  const [path, navigate] = useLocation();
  const q = new URLSearchParams(useSearch());
  const set = (patch: Record<string, string | null>) => {
    const n = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(patch))
      if (v === null || v === '') n.delete(k);
      else n.set(k, v);
    const s = n.toString();
    navigate(`${path}${s ? `?${s}` : ''}`);
  };
  return [q, set];
}

/** A bordered box with a heading row, as GitHub's settings and Grafana's admin pages group things. */
export function Card({
  title,
  actions,
  children,
  className,
  headingLevel = 2,
  description,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  headingLevel?: 2 | 3;
  description?: ReactNode;
}) {
  const id = useId();
  const H = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <section className={`card${className ? ` ${className}` : ''}`} aria-labelledby={id}>
      <div className="card-head">
        <div>
          <H id={id}>{title}</H>
          {description && <p className="card-desc">{description}</p>}
        </div>
        {actions && <div className="card-actions">{actions}</div>}
      </div>
      <div className="card-body">{children}</div>
    </section>
  );
}

/** What would fill an empty view, and the way to get it there. */
export function EmptyState({
  icon: I,
  title,
  children,
  actions,
  level = 2,
}: {
  icon: Icon;
  title: string;
  children?: ReactNode;
  actions?: ReactNode;
  level?: 2 | 3;
}) {
  const H = level === 2 ? 'h2' : 'h3';
  return (
    <div className={`empty${level === 3 ? ' compact' : ''}`} role="note" aria-label={title}>
      <span className="empty-icon">
        <I size={24} />
      </span>
      <H className="empty-title">{title}</H>
      {children && <div className="empty-body">{children}</div>}
      {actions && <div className="empty-actions">{actions}</div>}
    </div>
  );
}

/** Puts `text` on the clipboard (the API needs a secure context; a selection and execCommand otherwise). */
async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Not allowed here (plain http to another host, or no permission): the old way below.
  }
  const t = document.createElement('textarea');
  t.value = text;
  t.setAttribute('readonly', '');
  t.className = 'offscreen';
  document.body.append(t);
  t.select();
  // Deprecated, and the only way to copy where the Clipboard API is refused (see above).
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- no replacement exists for this case
  document.execCommand('copy');
  t.remove();
}

export function CopyButton({ text, what }: { text: string; what: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="small copy"
      aria-label={`Copy ${what}`}
      onClick={() => {
        void copyText(text).then(() => {
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        });
      }}
    >
      {done ? <Check size={14} /> : <Copy size={14} />}
      <span aria-live="polite">{done ? 'Copied' : 'Copy'}</span>
    </button>
  );
}

/** A command to run, with a button that copies it. */
export function Command({ children, what = 'the command' }: { children: string; what?: string }) {
  return (
    <div className="cmd">
      <code>
        <span className="prompt" aria-hidden="true">
          ${' '}
        </span>
        {children}
      </code>
      <CopyButton text={children} what={what} />
    </div>
  );
}

/**
 * A button that shows its form or panel below it (and hides it again): the main actions are
 * buttons, not disclosure triangles. The panel is mounted only while open, so it fetches nothing before.
 */
export function Reveal({
  label,
  icon: I,
  children,
  startOpen = false,
  primary,
  className,
}: {
  label: string;
  icon?: Icon;
  children: ReactNode;
  startOpen?: boolean;
  primary?: boolean;
  className?: string;
}) {
  const [open, setOpen] = useState(startOpen);
  const id = useId();
  return (
    <div className={`reveal${className ? ` ${className}` : ''}`}>
      <button
        type="button"
        className={primary ? 'primary' : undefined}
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
      >
        {I && <I size={16} />}
        {label}
      </button>
      <div id={id} className="panel" hidden={!open}>
        {open && children}
      </div>
    </div>
  );
}

/** A one-time secret (a token, a webhook secret): shown once, with a copy button. */
export function Secret({
  value,
  what,
  children,
  testId,
}: {
  value: string;
  what: string;
  children?: ReactNode;
  testId?: string;
}) {
  return (
    <div className="made" role="status">
      <p>
        <strong>Copy it now:</strong> it is shown only this once.
      </p>
      <div className="cmd secret">
        <code data-testid={testId}>{value}</code>
        <CopyButton text={value} what={what} />
      </div>
      {children}
    </div>
  );
}

/** A table's header row: a column is its name, or { label, num } (right-aligned) or { label, hidden } (for screen readers only). */
export function Head({ cols }: { cols: (string | { label: string; num?: boolean; hidden?: boolean })[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c, i) => {
          const col = typeof c === 'string' ? { label: c } : c;
          const text = col.hidden ? <span className="sr-only">{col.label}</span> : col.label;
          // Keyed by place: labels may repeat (Compare's are environments' names, any of which may be "Path").
          return (
            <th key={i} scope="col" className={col.num ? 'num' : undefined}>
              {text}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}

/** The one row a table's body shows when a filter or a fresh server leaves nothing to list: it spans all `cols`. */
export function EmptyRow({ cols, children }: { cols: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={cols} className="muted empty-row">
        {children}
      </td>
    </tr>
  );
}

/** The button that shows or hides a view's form (its panel is elsewhere on the page, named by `controls`). */
export function Toggle({
  open,
  onToggle,
  controls,
  icon: I,
  children,
  primary,
}: {
  open: boolean;
  onToggle: (open: boolean) => void;
  controls: string;
  icon: Icon;
  children: ReactNode;
  primary?: boolean;
}) {
  return (
    <button
      type="button"
      className={primary ? 'primary' : undefined}
      aria-expanded={open}
      aria-controls={controls}
      onClick={() => onToggle(!open)}
    >
      <I size={16} />
      {children}
    </button>
  );
}
