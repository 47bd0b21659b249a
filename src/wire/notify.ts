// Notifications: the events the server announces, subscriptions to them and the outbox.

export const NOTIFY_EVENTS = [
  'case.created',
  'case.ready',
  'case.deployed',
  'case.solved',
  'security-update.published',
  'rollout.paused',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export interface Subscription {
  id: number;
  kind: 'webhook' | 'email';
  target: string;
  customer_id: string | null;
  username: string | null;
  events: string[];
  created_by: string;
  created_at: string;
}

/** One row of the notification outbox (GET /v1/notifications). */
export interface OutboxRow {
  id: number;
  event_id: string;
  event: string;
  kind: string;
  target: string;
  attempts: number;
  next_at: string | null;
  delivered_at: string | null;
  failed_at: string | null;
  last_error: string | null;
  created_at: string;
}
