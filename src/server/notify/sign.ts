import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a webhook delivery. */
export const EVENT_ID_HEADER = 'x-hfx-event-id';
export const SIGNATURE_HEADER = 'x-hfx-signature';
export const TIMESTAMP_HEADER = 'x-hfx-timestamp';

/** `sha256=` + hex HMAC-SHA256 over `${timestamp}.${body}` with the subscription's secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time. */
export function verifyWebhook(secret: string, timestamp: string, body: string, signature: string): boolean {
  const want = Buffer.from(signWebhook(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}
