import { HfxError, type ErrorCode, ERRORS } from '../errors.js';
import { retryDelayMs, shouldRetry } from '../wire/retry.js';

export interface Remote {
  url: string;
  token: string | null;
}

/** Calls the hfx server; its error bodies become the same HfxErrors the server raised. */
export async function call<T>(r: Remote, method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(r, method, path, body);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export async function send(
  r: Remote,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await sendOnce(r, method, path, body, headers);
    if (!shouldRetry(method, res.status, attempt)) return check(r, res);
    await res.body?.cancel();
    await new Promise((ok) => setTimeout(ok, retryDelayMs(res.headers.get('retry-after'))));
  }
}

async function sendOnce(
  r: Remote,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<Response> {
  const h: Record<string, string> = { ...headers };
  if (r.token) h.authorization = `Bearer ${r.token}`;
  let payload: RequestInit['body'] | undefined;
  if (
    body instanceof Uint8Array ||
    (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
  ) {
    payload = body as RequestInit['body'];
    h['content-type'] ??= 'application/zip';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  try {
    return await fetch(new URL(path, r.url), {
      method,
      headers: h,
      ...(payload !== undefined ? { body: payload, duplex: 'half' } : {}),
    });
  } catch (e) {
    // fetch's own error says only "fetch failed"; what went wrong is its cause (an Error from undici).
    const cause: unknown = (e as Error).cause;
    const said = cause instanceof Error ? cause.message : (e as Error).message;
    throw new HfxError('HFX_E_NETWORK', `cannot reach ${r.url}: ${said}`, {
      hint: 'Check the URL and that the server runs (`hfx serve`).',
    });
  }
}

async function check(r: Remote, res: Response): Promise<Response> {
  if (res.ok || res.status === 304) return res;
  let err: { code?: string; message?: string; hint?: string; details?: unknown } = {};
  try {
    err = ((await res.json()) as { error?: typeof err }).error ?? {};
  } catch {
    /* not JSON */
  }
  const code = (
    err.code && err.code in ERRORS ? err.code : res.status >= 500 ? 'HFX_E_NETWORK' : 'HFX_E_USAGE'
  ) as ErrorCode;
  throw new HfxError(code, `${r.url}: ${err.message ?? `HTTP ${res.status}`}`, {
    ...(err.hint ? { hint: err.hint } : {}),
    ...(err.details !== undefined ? { details: err.details } : {}),
  });
}
