// The fleet counted by the server: by update level and by hotfix over every installation the
// caller may see (not a page of them), filtered by product and release; a customer sees its own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Insertable } from 'kysely';
import type { Database } from '../src/store/schema.js';
import { prng } from './helpers/crash.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';

/** An installation as written straight into the store. */
type Row = Insertable<Database['installations']>;

for (const store of STORES)
  describe(`fleet summary on ${store}`, () => {
    let s: Awaited<ReturnType<typeof testServer>>;
    let admin = '';
    let acme = '';
    const rows: Row[] = [];
    before(async () => {
      s = await testServer({ store });
      admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
        .token;
      for (const id of ['acme', 'beta'])
        assert.equal((await api(s.url, 'POST', '/v1/customers', admin, { id, name: id })).status, 201);
      acme = (await api(s.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'acme-fleet' })).body.token;
      // 1,500 installations, more than a page of the list: written straight to the store.
      const rnd = prng(7);
      const customers = ['acme', 'beta', null] as const;
      for (let i = 0; i < 1500; i++) {
        const customer = customers[Math.floor(rnd() * 3)] ?? null;
        const release = rnd() < 0.7 ? '1.0.0' : '2.0.0';
        const hotfixes = ['HF-ALL-1', 'HF-ALL-2', ...(customer ? [`HF-${customer.toUpperCase()}-1`] : [])].filter(
          () => rnd() < 0.5,
        );
        rows.push({
          id: `inst-${i}`,
          customer_id: customer,
          name: `inst-${i}`,
          product: i % 10 === 0 ? 'other' : 'demo',
          release,
          level: Math.floor(rnd() * 4),
          channel: 'full',
          hotfixes: JSON.stringify(hotfixes),
          reported_at: new Date(),
        });
      }
      for (let i = 0; i < rows.length; i += 500)
        await s.store.db
          .insertInto('installations')
          .values(rows.slice(i, i + 500))
          .execute();
    });
    after(async () => {
      await maybe(s)?.dispose();
    });

    /** What the summary must say, counted here from the rows written. */
    const expected = (keep: (r: Row) => boolean) => {
      const mine = rows.filter(keep);
      const levels = new Map<string, { product: string; release: string; level: number; n: number }>();
      const hotfixes = new Map<string, number>();
      for (const r of mine) {
        const k = `${r.product}\0${r.release}\0${String(r.level).padStart(3, '0')}`;
        levels.set(k, { product: r.product, release: r.release, level: r.level, n: (levels.get(k)?.n ?? 0) + 1 });
        for (const h of JSON.parse(r.hotfixes) as string[]) hotfixes.set(h, (hotfixes.get(h) ?? 0) + 1);
      }
      return {
        total: mine.length,
        byLevel: [...levels].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v),
        byHotfix: [...hotfixes]
          .map(([hotfix, n]) => ({ hotfix, n }))
          .sort((a, b) => b.n - a.n || (a.hotfix < b.hotfix ? -1 : 1)),
        hotfixesCapped: false,
      };
    };

    test('an admin: the whole fleet, and narrowed by product and release', async () => {
      const all = await api(s.url, 'GET', '/v1/fleet/summary', admin);
      assert.equal(all.status, 200);
      assert.deepEqual(
        all.body,
        expected(() => true),
      );
      assert.equal(all.body.total, 1500, 'every installation, not a page');
      assert.deepEqual(
        (await api(s.url, 'GET', '/v1/fleet/summary?product=demo', admin)).body,
        expected((r) => r.product === 'demo'),
      );
      assert.deepEqual(
        (await api(s.url, 'GET', '/v1/fleet/summary?product=demo&release=2.0.0', admin)).body,
        expected((r) => r.product === 'demo' && r.release === '2.0.0'),
      );
      assert.deepEqual((await api(s.url, 'GET', '/v1/fleet/summary?product=nothing', admin)).body, {
        total: 0,
        byLevel: [],
        byHotfix: [],
        hotfixesCapped: false,
      });
    });

    test("a customer counts its own installations only, and never sees another customer's hotfix ids", async () => {
      const mine = await api(s.url, 'GET', '/v1/fleet/summary', acme);
      assert.deepEqual(
        mine.body,
        expected((r) => r.customer_id === 'acme'),
      );
      assert.equal(JSON.stringify(mine.body).includes('HF-BETA'), false);
    });

    test('refusals: no token is 401, a bad filter 400; many hotfixes are capped at the 500 most applied', async () => {
      assert.equal((await api(s.url, 'GET', '/v1/fleet/summary', null)).status, 401);
      const bad = await api(s.url, 'GET', '/v1/fleet/summary?product=../x', admin);
      assert.deepEqual([bad.status, bad.body.error.code], [400, 'HFX_E_USAGE']);
      await s.store.db
        .insertInto('installations')
        .values({
          id: 'many',
          customer_id: null,
          name: 'many',
          product: 'many',
          release: '1.0.0',
          level: 0,
          channel: 'full',
          hotfixes: JSON.stringify(Array.from({ length: 510 }, (_, i) => `HF-M-${String(i).padStart(3, '0')}`)),
          reported_at: new Date(),
        })
        .execute();
      const many = (await api(s.url, 'GET', '/v1/fleet/summary?product=many', admin)).body;
      assert.equal(many.byHotfix.length, 500);
      assert.equal(many.hotfixesCapped, true);
      assert.equal(many.byHotfix[0].hotfix, 'HF-M-000');
    });
  });
