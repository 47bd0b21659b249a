import { gzipSync } from 'node:zlib';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { EVERYONE, onlineTargets, snapshot, timestamp } from '../../tuf/metadata.js';
import {
  hourOf,
  metadataVersion,
  periodExpires,
  periodOfHour,
  splitMetadataVersion,
  timestampExpires,
} from '../../tuf/metadata-versions.js';
import type { VersionKeeper } from '../metadata-version.js';
import type { TufServerKeys } from './keys-dir.js';
import type { HfxCustom, RolloutOffer, TargetEntry } from '../../wire/metadata.js';

/** A metadata file as served: its bytes, and gzipped once when large enough to be worth it. */
export interface Served {
  body: Buffer;
  gz?: Buffer;
}

const CACHE_MAX = 20_000;

/**
 * Each repository's online metadata, signed on demand and kept in memory. Nothing is stored: a
 * version names its inputs (docs/distribution.md, src/tuf/metadata-versions.ts), so any process asked for
 * it signs the same bytes, and an answer from another process never contradicts this one's.
 */
export class TufRepos {
  private readonly cache = new Map<string, Served>();
  private customers = { at: 0, ids: new Set<string>() };

  constructor(
    private readonly db: Kysely<Database>,
    readonly keys: TufServerKeys,
    private readonly version: VersionKeeper,
  ) {}

  /** Whether `repo` exists: the vendor's, or a customer's (known customers are re-read at most every 5 s). */
  async exists(repo: string): Promise<boolean> {
    if (repo === EVERYONE) return true;
    if (this.customers.ids.has(repo) && Date.now() - this.customers.at < 5000) return true;
    const rows = await this.db.selectFrom('customers').select('id').execute();
    this.customers = { at: Date.now(), ids: new Set(rows.map((r) => r.id)) };
    return this.customers.ids.has(repo);
  }

  /**
   * timestamp.json: this hour's, for the current metadata version. `since` is the version the
   * installation already trusts (hfx's client sends it): never answered with less, whichever
   * process answers, as long as it is no more than an hour ahead of this process's clock.
   */
  async timestamp(repo: string, since = 0): Promise<Served> {
    const seen = splitMetadataVersion(since);
    const now = hourOf(Date.now());
    const h = Math.max(now, Math.min(seen.hi, now + 1));
    const s = await this.version.current(seen.s);
    return this.memo(`${repo}|timestamp|${h}|${s}`, () =>
      timestamp(metadataVersion(h, s), timestampExpires(h), metadataVersion(periodOfHour(h), s), this.keys.online),
    );
  }

  /** {N}.snapshot.json and {N}.online.json, for any N a timestamp of the last days named. */
  async versioned(repo: string, role: 'snapshot' | 'online', v: number): Promise<Served | null> {
    const { hi: w, s } = splitMetadataVersion(v);
    const nowW = periodOfHour(hourOf(Date.now()));
    if (w < nowW - 2 || w > nowW + 1 || s > (await this.version.current(s))) return null;
    if (role === 'snapshot')
      return this.memo(`${repo}|snapshot|${v}`, () =>
        snapshot(v, periodExpires(w), this.keys.targetsVersion, v, this.keys.online),
      );
    const key = `${repo}|online|${v}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const entries = await this.entries(repo, s);
    return this.memo(key, () => onlineTargets(v, periodExpires(w), entries, this.keys.online));
  }

  /** The archives repository `repo` offers at metadata version `s`: everyone's, and its customer's. */
  async entries(repo: string, s: number): Promise<TargetEntry[]> {
    let q = this.db
      .selectFrom('archives')
      .select([
        'id',
        'kind',
        'product',
        'release',
        'level',
        'to_level',
        'security',
        'includes',
        'severity',
        'title',
        'digest',
        'sha256',
        'size',
        'customer_id',
      ])
      .where('seq', 'is not', null)
      .where('seq', '<=', s)
      .orderBy('id');
    q =
      repo === EVERYONE
        ? q.where('customer_id', 'is', null)
        : q.where((e) => e.or([e('customer_id', 'is', null), e('customer_id', '=', repo)]));
    const rows = await q.execute();
    const offers = await this.rollouts(
      repo,
      s,
      rows.map((a) => a.id),
    );
    return rows.map((a) => {
      const rollouts = offers.get(a.id);
      return {
        sha256: a.sha256,
        size: a.size,
        custom: {
          kind: a.kind,
          id: a.id,
          product: a.product,
          release: a.release,
          level: a.level,
          toLevel: a.to_level,
          channel: a.security ? 'security' : 'full',
          includes: a.includes,
          severity: a.severity,
          title: a.title,
          digest: a.digest,
          customer: a.customer_id,
          ...(rollouts ? { rollouts } : {}),
        } satisfies HfxCustom,
      };
    });
  }

  /** Each archive's rollouts as they were at metadata version `s`, as repository `repo` may know them. */
  private async rollouts(repo: string, s: number, archives: string[]): Promise<Map<string, RolloutOffer[]>> {
    const out = new Map<string, RolloutOffer[]>();
    if (archives.length === 0) return out;
    const rs = await this.db
      .selectFrom('rollouts')
      .select(['id', 'archive_id', 'customer_id', 'env_product', 'seed'])
      .where('archive_id', 'in', archives)
      .orderBy('id')
      .execute();
    if (rs.length === 0) return out;
    const log = await this.db
      .selectFrom('rollout_log')
      .select(['rollout_id', 'state', 'percent', 'installations', 'seq', 'id'])
      .where(
        'rollout_id',
        'in',
        rs.map((r) => r.id),
      )
      .where('seq', '<=', s)
      .orderBy('seq')
      .orderBy('id')
      .execute();
    const last = new Map(log.map((l) => [l.rollout_id, l]));
    const customer = repo === EVERYONE ? null : repo;
    for (const r of rs) {
      const l = last.get(r.id);
      if (!l) continue;
      const base = { id: r.id, state: l.state, percent: l.percent };
      let offer: RolloutOffer;
      if (r.customer_id !== null)
        offer =
          r.customer_id === customer ? { ...base, scope: 'customer', seed: r.seed } : { ...base, scope: 'outside' };
      else if (r.env_product !== null) {
        const mine = ((l.installations ?? []) as unknown as { id: string; customer: string | null }[])
          .filter((i) => i.customer === customer)
          .map((i) => i.id);
        offer = mine.length
          ? { ...base, scope: 'env', seed: r.seed, installations: mine }
          : { ...base, scope: 'outside' };
      } else offer = { ...base, scope: 'all', seed: r.seed };
      out.set(r.archive_id, [...(out.get(r.archive_id) ?? []), offer]);
    }
    return out;
  }

  private memo(key: string, make: () => unknown): Served {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const body = Buffer.from(JSON.stringify(make()));
    const served: Served = body.length > 4096 ? { body, gz: gzipSync(body) } : { body };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, served);
    return served;
  }
}
