import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

export interface Presence {
  everywhere: boolean;
  environments: { name: string; present: boolean; how: 'hotfix' | 'update' | 'merged' | null }[];
  /** Set when the environments module could not answer. */
  unavailable?: string;
}

type FixPresence = (db: Kysely<Database>, q: { product: string; hotfixId: string }) => Promise<Presence>;

/**
 * Asks the environments module (src/server/environments/presence.ts, another part of issue 5)
 * whether the fix is present everywhere. Loaded at run time so cases build and run without it; when
 * it is missing the answer is "not everywhere", so "solved" needs the admin override.
 */
export async function presenceOf(db: Kysely<Database>, product: string, hotfixId: string): Promise<Presence> {
  let fn: FixPresence | undefined;
  const path = '../environments/presence.js';
  try {
    fn = ((await import(path)) as { fixPresence?: FixPresence }).fixPresence;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  if (!fn) return { everywhere: false, environments: [], unavailable: 'environments are not available on this server' };
  return fn(db, { product, hotfixId });
}
