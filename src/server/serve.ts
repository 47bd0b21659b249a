import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openStore, type Store } from '../store/store.js';
import { buildApp } from './app.js';
import { hashPassword } from './auth.js';
import { HfxError } from '../errors.js';
import { openArchiveBlobs, type ArchiveBlobs, type BlobsOptions } from './blobs/store.js';
import { audit } from './audit.js';
import { settleVersion } from './metadata-version.js';
import { developmentTufKeys, loadTufKeys, type TufServerKeys } from './tuf/keys-dir.js';
import { sweepLoginFailures } from './login-throttle.js';
import { limitsOf, type ServerLimits } from './limits.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** Data directory: the embedded database (without DATABASE_URL) and the blob store. */
  dataDir: string;
  /** PostgreSQL connection string; without it the embedded PGlite store is used. */
  databaseUrl?: string | undefined;
  /** Blob directory (default DATA/blobs), or `oci://REGISTRY/REPO`; servers sharing one PostgreSQL must share it too. */
  blobDir?: string | undefined;
  /** The registry's login, http and timeout, when blobDir is `oci://…`. */
  blobRegistry?: Omit<BlobsOptions, 'dataDir'>;
  adminUser?: string;
  adminPassword?: string | undefined;
  logger?: boolean;
  maxUpload?: number;
  /** The TUF directory (`hfx tuf init` made it: online.key, N.root.json, N.targets.json); see docs/distribution.md. */
  tufKeys?: string | undefined;
  /** Told when the server made development TUF keys for itself (no --tuf-keys, embedded store). */
  onDevelopmentKeys?: (dir: string, made: boolean) => void;
  limits?: Partial<ServerLimits>;
  /** Told once, on the very first start, the admin credentials it made. */
  onAdminCreated?: (username: string, password: string, generated: boolean) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  store: Store;
  blobs: ArchiveBlobs;
  close(graceMs?: number): Promise<void>;
}

/** First start: make the admin. With several servers starting at once only one insert wins. */
async function ensureAdmin(store: Store, opts: ServeOptions): Promise<void> {
  const any = await store.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return;
  const username = opts.adminUser ?? 'admin';
  const generated = !opts.adminPassword;
  const password = opts.adminPassword ?? randomBytes(18).toString('base64url');
  const r = await store.db
    .insertInto('users')
    .values({ username, password_hash: await hashPassword(password), role: 'admin' })
    .onConflict((c) => c.column('username').doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0) > 0) {
    await audit(store.db, 'hfx', 'create', 'user', username, { role: 'admin', firstStart: true });
    opts.onAdminCreated?.(username, password, generated);
  }
}

/**
 * The server's TUF keys: --tuf-keys when given; else, on the embedded store, development keys made
 * once in DATA/tuf. Several processes on one PostgreSQL must sign with the same keys, so there
 * --tuf-keys is required.
 */
function tufKeysFor(opts: ServeOptions, kind: 'pglite' | 'postgres'): TufServerKeys {
  if (opts.tufKeys) return loadTufKeys(resolve(opts.tufKeys), process.env);
  if (kind === 'postgres') {
    throw new HfxError(
      'HFX_E_USAGE',
      'with DATABASE_URL, hfx serve needs --tuf-keys DIR (HFX_TUF_KEYS): every process must sign with the same keys',
      {
        hint: 'Make them on an offline machine: `hfx tuf init --out DIR`; give every server DIR/server.',
      },
    );
  }
  const dev = developmentTufKeys(resolve(opts.dataDir));
  opts.onDevelopmentKeys?.(dev.keys.dir, dev.made);
  return dev.keys;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const dataDir = resolve(opts.dataDir);
  // Connection errors come from the pool before the app (and its logger) exists.
  let onStoreError: (e: Error) => void = () => undefined;
  const store = await openStore({ url: opts.databaseUrl, dataDir, onError: (e) => onStoreError(e) });
  try {
    await ensureAdmin(store, opts);
    const tufKeys = tufKeysFor(opts, store.kind);
    // A rotation (new top-level targets or online key) or archives left unoffered: sign afresh.
    await settleVersion(store.db, { targets: tufKeys.targetsVersion, online: tufKeys.online.keyid });
    const blobs = openArchiveBlobs(opts.blobDir ?? join(dataDir, 'blobs'), { dataDir, ...opts.blobRegistry });
    const app = await buildApp({
      store,
      blobs,
      tufKeys,
      logger: opts.logger ?? false,
      ...(opts.maxUpload ? { maxUpload: opts.maxUpload } : {}),
      ...(opts.limits ? { limits: opts.limits } : {}),
    });
    onStoreError = (err) =>
      app.log.warn({ err }, 'database connection lost; the pool opens a new one for the next query');
    const address = await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
    void blobs
      .check?.()
      .catch((err: unknown) =>
        app.log.warn(
          { err },
          'the archive registry cannot be reached now: uploads and downloads answer 503 until it can',
        ),
      );
    const port = Number(new URL(address).port);
    // A long-running server also clears what processes killed since its start left behind.
    const sweeper = setInterval(() => {
      try {
        const n = blobs.sweep();
        if (n > 0) app.log.info({ removed: n }, 'removed partial uploads untouched for a day');
      } catch (err) {
        // A shared mount that hiccups must not end the server; the next hour tries again.
        app.log.warn({ err }, 'could not sweep the blob temp directory');
      }
      sweepLoginFailures(store.db).catch((err: unknown) => app.log.warn({ err }, 'could not sweep old login failures'));
    }, 3600 * 1000).unref();
    return {
      url: address,
      port,
      app,
      store,
      blobs,
      // Requests in flight get the grace period to finish (new ones are answered 503); then
      // their connections are cut, so a stuck or slow client cannot hold a shutdown open.
      close: async (graceMs = limitsOf(opts.limits).shutdownGraceMs) => {
        clearInterval(sweeper);
        const cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
        try {
          await app.close();
        } finally {
          clearTimeout(cut);
        }
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
