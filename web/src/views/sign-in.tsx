import { useState, type SubmitEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { Logo } from '../layout.js';
import { useSession } from '../session.js';
import { ErrorBox, Field } from '../ui.js';

/** A text field's value; the form has no file inputs. */
const text = (v: FormDataEntryValue | null): string => (typeof v === 'string' ? v : '');

export function SignInView() {
  const { signIn } = useSession();
  const [, navigate] = useLocation();
  const next = new URLSearchParams(useSearch()).get('next');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (ev: SubmitEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await signIn(text(f.get('username')), text(f.get('password')), f.get('remember') === 'on');
      // Only a path on this site: never an address someone put in the link.
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="sign-in">
      <div className="sign-in-brand">
        <Logo />
        <span>hfx</span>
      </div>
      <h1>Sign in to hfx</h1>
      <form className="sign-in-card" onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <Field label="Username">
          {(id) => <input id={id} name="username" autoComplete="username" required autoFocus />}
        </Field>
        <Field label="Password">
          {(id) => <input id={id} name="password" type="password" autoComplete="current-password" required />}
        </Field>
        <div className="check">
          <input id="remember" name="remember" type="checkbox" />
          <label htmlFor="remember">Keep me signed in on this browser</label>
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorBox error={error} />
      </form>
      <p className="muted sign-in-foot">
        The first admin's password is printed by <code>npm start</code> on its first start. Customers' people sign in
        here too, with the account their vendor made. Tokens for the CLI: <code>hfx login URL</code>.
      </p>
    </main>
  );
}
