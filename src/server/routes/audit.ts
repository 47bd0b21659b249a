import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

/** Appends to the audit log; every change the server makes goes through here. */
export async function audit(db: Kysely<Database>, actor: string, action: string, objectType: string, objectId: string, details: unknown = {}): Promise<void> {
  await db.insertInto('audit_log').values({ actor, action, object_type: objectType, object_id: objectId, details: JSON.stringify(details) }).execute();
}
