import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/schema.js';

/** Appends to the audit log; every change the server makes goes through here. */
export async function audit(
  db: Kysely<Database>,
  actor: string,
  action: string,
  objectType: string,
  objectId: string,
  details: unknown = {},
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ actor, action, object_type: objectType, object_id: objectId, details: JSON.stringify(details) })
    .execute();
}

export interface AuditFilter {
  actor?: string | undefined;
  objectType?: string | undefined;
  objectId?: string | undefined;
  limit?: number | undefined;
}

/** The log, newest first; an empty filter value filters nothing, as the API has always read it. */
export async function auditEntries(db: Kysely<Database>, f: AuditFilter): Promise<Selectable<Database['audit_log']>[]> {
  let q = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(f.limit ?? 100);
  if (f.actor) q = q.where('actor', '=', f.actor);
  if (f.objectType) q = q.where('object_type', '=', f.objectType);
  if (f.objectId) q = q.where('object_id', '=', f.objectId);
  return q.execute();
}
