// When a request to the hfx server is sent again: shared by the CLI (http.ts) and the dashboard
// (web/src/api.ts), which must behave alike.

/** A read answered 503 (the server lost its database for a moment) is sent again this often. */
const READ_RETRIES = 2;

/**
 * Only reads, only on 503: a write cut off by a lost database connection may have been committed,
 * so it is reported, never repeated.
 */
export function shouldRetry(method: string, status: number, attempt: number): boolean {
  return status === 503 && (method === 'GET' || method === 'HEAD') && attempt < READ_RETRIES;
}

/** The wait before trying again: Retry-After in seconds, at most 5; 1 when absent or unreadable. */
export function retryDelayMs(retryAfter: string | null): number {
  const s = Number(retryAfter ?? '1');
  return (Number.isFinite(s) ? Math.min(5, Math.max(0, s)) : 1) * 1000;
}
