/** The dashboard's only way to the server: the same JSON API the CLI uses, with the user's token. */
import { retryDelayMs, shouldRetry } from '../../src/wire/retry.js';

const TOKEN_KEY = 'hfx.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);
}

const ME_KEY = 'hfx.me';

export function setToken(t: string | null, remember = false, me?: unknown): void {
  for (const s of [sessionStorage, localStorage]) {
    s.removeItem(TOKEN_KEY);
    s.removeItem(ME_KEY);
  }
  if (!t) return;
  const s = remember ? localStorage : sessionStorage;
  s.setItem(TOKEN_KEY, t);
  if (me !== undefined) s.setItem(ME_KEY, JSON.stringify(me));
}

/** Who the token was for when it was stored: lets the first view load at once while /v1/me confirms it. */
export function storedMe(): unknown {
  const raw = sessionStorage.getItem(ME_KEY) ?? localStorage.getItem(ME_KEY);
  try {
    return raw ? (JSON.parse(raw) as unknown) : null;
  } catch {
    return null;
  }
}

/** Told when the server no longer accepts the token, so the app can ask to sign in again. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

async function request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  let payload: BodyInit | undefined;
  if (body instanceof Blob) {
    headers['content-type'] = 'application/zip';
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch(path, { method, headers, body: payload ?? null, signal: signal ?? null });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(
        0,
        'HFX_E_NETWORK',
        'the server did not answer',
        'Check that `hfx serve` is running, then try again.',
      );
    }
    if (!shouldRetry(method, res.status, attempt)) break;
    await new Promise((ok) => setTimeout(ok, retryDelayMs(res.headers.get('retry-after'))));
  }
  if (res.ok) return res;
  let err: { code?: string; message?: string; hint?: string; details?: unknown } = {};
  try {
    err = ((await res.json()) as { error?: typeof err }).error ?? {};
  } catch {
    // Not our JSON (a proxy's page): the status says enough.
  }
  if (res.status === 401 && path !== '/v1/login') onUnauthorized();
  throw new ApiError(
    res.status,
    err.code ?? 'HFX_E_INTERNAL',
    err.message ?? `HTTP ${res.status}`,
    err.hint,
    err.details,
  );
}

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await request(method, path, body, signal);
  return (await res.json()) as T;
}

export async function apiText(path: string, signal?: AbortSignal): Promise<string> {
  return (await request('GET', path, undefined, signal)).text();
}

/** Downloads with the token (a plain link cannot send it), then hands the bytes to the browser. */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await (await request('GET', path)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A query string from the set values only. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
