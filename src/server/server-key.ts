import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { generateKeys, keyId, signManifest } from '../engine/archive/signature.js';
import type { Store } from '../store/store.js';

/** Domain tag of metadata signatures (archive manifests use hfx-archive/1). */
export const METADATA_DOMAIN = 'hfx-targets/1';

export interface ServerKey {
  keyid: string;
  publicPem: string;
  sign(signed: unknown): { keyid: string; sig: string };
}

/**
 * The key that signs distribution metadata. Made at the first start; when several servers
 * start at once on one database, the first insert wins and everyone reads that one.
 */
export async function loadServerKey(store: Store): Promise<ServerKey> {
  const k = generateKeys();
  await store.db.insertInto('server_keys').values({ id: 'metadata', keyid: k.keyid, private_pem: k.privatePem, public_pem: k.publicPem }).onConflict((c) => c.column('id').doNothing()).execute();
  const row = await store.db.selectFrom('server_keys').selectAll().where('id', '=', 'metadata').executeTakeFirstOrThrow();
  const priv: KeyObject = createPrivateKey(row.private_pem);
  return {
    keyid: keyId(createPublicKey(row.public_pem)),
    publicPem: row.public_pem,
    sign: (signed) => signManifest(signed, priv, METADATA_DOMAIN),
  };
}
