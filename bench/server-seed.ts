/**
 * Seeds a server database for bench/server.ts straight through the store's Kysely db (no HTTP),
 * in batches: customers, one product and release, updates and hotfixes (archive rows whose blobs
 * are not needed for the metadata route), installations, and one installation token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { newToken } from '../src/server/auth.js';
import { bumpVersion } from '../src/server/metadata-version.js';
import type { BlobStore } from '../src/server/blobs.js';
import type { Store } from '../src/store/store.js';

export const PRODUCT = 'bench';
export const RELEASE = '1.0.0';
/** Levels 0…LEVELS-1 exist; the update check asks at the middle one. */
export const LEVELS = 50;
export const CHECK_LEVEL = 25;

export interface Seeded {
  customers: number;
  archives: number;
  installations: number;
  /** An installation token of customer c-0007, for the update check. */
  token: string;
  customer: string;
  seconds: number;
}

const hex = (n: number) => randomBytes(n).toString('hex');

async function inBatches<T>(rows: T[], size: number, insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

export async function seed(
  store: Store,
  opts: { archives: number; installations: number; customers: number },
): Promise<Seeded> {
  const t0 = process.hrtime.bigint();
  const db = store.db;
  const customers = Array.from({ length: opts.customers }, (_, i) => `c-${String(i).padStart(4, '0')}`);
  await inBatches(
    customers.map((id) => ({ id, name: `Customer ${id}` })),
    1000,
    (b) => db.insertInto('customers').values(b).execute(),
  );
  await db.insertInto('products').values({ name: PRODUCT, title: 'Bench product' }).execute();
  await db.insertInto('releases').values({ product: PRODUCT, version: RELEASE }).execute();

  // One update per level (level → level + 1, every third one security), then hotfixes dealt over
  // the levels in rounds: even rounds are for everyone, odd rounds each for one customer (so at
  // any level customer c-0007 sees about ten hotfixes for everyone and one of its own).
  const updates = Math.min(LEVELS, opts.archives);
  const archives = Array.from({ length: opts.archives }, (_, i) => {
    const update = i < updates;
    const level = update ? i : (i - updates) % LEVELS;
    const round = Math.floor((i - updates) / LEVELS);
    const customer = !update && round % 2 === 1 ? customers[(round >> 1) % customers.length]! : null;
    const id = update
      ? `U-${RELEASE}-${String(level + 1).padStart(3, '0')}`
      : `HF-${RELEASE}-${level}-${String(i).padStart(5, '0')}`;
    return {
      id,
      kind: update ? ('update' as const) : ('hotfix' as const),
      product: PRODUCT,
      release: RELEASE,
      level,
      to_level: update ? level + 1 : null,
      security: update && level % 3 === 0,
      customer_id: customer,
      title: `${update ? 'Update' : 'Hotfix'} ${id}`,
      severity: 'S3',
      sha256: hex(32),
      size: 10_000 + i,
      digest: hex(32),
      signer: 'bench',
      manifest: JSON.stringify({ id, bench: true }),
      includes: '[]',
      uploaded_by: 'bench',
    };
  });
  await inBatches(archives, 500, (b) => db.insertInto('archives').values(b).execute());
  // As an upload does: the metadata version moves and the new archives are offered from it.
  await bumpVersion(db);

  const hotfixIds = archives.filter((a) => a.kind === 'hotfix').map((a) => a.id);
  const now = new Date();
  const installations = Array.from({ length: opts.installations }, (_, i) => {
    const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    return {
      id,
      customer_id: customers[i % customers.length]!,
      name: `host-${i}`,
      product: PRODUCT,
      release: RELEASE,
      level: i % LEVELS,
      channel: i % 5 === 0 ? 'security' : 'full',
      hotfixes: JSON.stringify(
        hotfixIds.length ? [hotfixIds[i % hotfixIds.length]!, hotfixIds[(i * 7) % hotfixIds.length]!] : [],
      ),
      reported_at: now,
    };
  });
  await inBatches(installations, 1000, (b) => db.insertInto('installations').values(b).execute());

  const customer = customers[Math.min(7, customers.length - 1)]!;
  const t = newToken();
  await db
    .insertInto('tokens')
    .values({ hash: t.hash, name: 'bench-install', user_id: null, customer_id: customer })
    .execute();
  return {
    customers: customers.length,
    archives: archives.length,
    installations: installations.length,
    token: t.token,
    customer,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}

/**
 * Writes `bytes` of incompressible data as a blob (content-addressed, like an upload) and adds
 * an archive row for it. Returns its id, path and sha256.
 */
export async function seedBigArchive(
  store: Store,
  blobs: BlobStore,
  bytes: number,
  existing?: { path: string; sha256: string },
): Promise<{ id: string; path: string; sha256: string; size: number }> {
  let sha256: string;
  let path: string;
  if (existing) {
    ({ sha256, path } = existing);
  } else {
    const tmp = join(blobs.dir, 'tmp', `bench-${process.pid}`);
    mkdirSync(dirname(tmp), { recursive: true });
    const h = createHash('sha256');
    const out = createWriteStream(tmp);
    const chunk = 1024 * 1024;
    for (let done = 0; done < bytes; done += chunk) {
      const b = randomBytes(Math.min(chunk, bytes - done));
      h.update(b);
      if (!out.write(b)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => resolve());
    });
    sha256 = h.digest('hex');
    path = blobs.path(sha256);
    mkdirSync(dirname(path), { recursive: true });
    renameSync(tmp, path);
  }
  const id = 'HF-BENCH-BIG';
  await store.db
    .insertInto('archives')
    .values({
      id,
      kind: 'hotfix',
      product: PRODUCT,
      release: RELEASE,
      level: 0,
      to_level: null,
      security: false,
      customer_id: null,
      title: 'Big',
      severity: 'S3',
      sha256,
      size: bytes,
      digest: sha256,
      signer: 'bench',
      manifest: JSON.stringify({ id }),
      includes: '[]',
      uploaded_by: 'bench',
    })
    .execute();
  return { id, path, sha256, size: bytes };
}
