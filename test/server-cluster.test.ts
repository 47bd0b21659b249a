// Several `hfx serve` processes on one PostgreSQL database and one shared blob directory, as
// docs/server.md says is supported: started at the same moment they migrate and make the admin
// once; a write through one is read through the other; and when one is killed (SIGKILL) in the
// middle of a burst of uploads and downloads, every upload it acknowledged is still listed and
// downloadable, byte for byte, from the survivor. All of it again with the archives in a registry
// (`--blobs oci://…`) instead of the directory: then the processes share only PostgreSQL and it.
//
// Needs HFX_TEST_DATABASE_URL (a PostgreSQL the suite may create databases on); without it the
// suite says so in a test of its own rather than vanishing.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migrationProvider } from '../src/store/migrations.js';
import { initTuf } from '../src/tuf/offline.js';
import { world, type World } from './helpers/fixtures.js';
import { api, STORES } from './helpers/server.js';
import { offered } from './helpers/tuf.js';
import { registryForTests, type TestRegistry } from './helpers/registry.js';
import { requireTools } from './helpers/tools.js';

const BIN = fileURLToPath(new URL('../../bin/hfx.js', import.meta.url));
const BASE_URL = process.env.HFX_TEST_DATABASE_URL;

if (!BASE_URL) {
  test('server cluster: not run, HFX_TEST_DATABASE_URL is not set (it needs PostgreSQL)', (t) => {
    assert.ok(!STORES.includes('postgres'), 'STORES has no postgres');
    t.diagnostic('run it through `npm test`, which starts a PostgreSQL, or set HFX_TEST_DATABASE_URL');
  });
} else
  for (const blobStore of ['directory', 'registry'] as const)
    describe(`two hfx serve processes on one PostgreSQL and one ${blobStore === 'directory' ? 'blob directory' : 'registry (--blobs oci://…)'}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'hfx-cluster-'));
      let blobs = join(dir, 'blobs');
      let registry: TestRegistry | null = null;
      const adminPassword = randomBytes(12).toString('hex');
      const dbName = `hfx_cluster_${randomBytes(6).toString('hex')}`;
      const tuf = initTuf(join(dir, 'tuf'), { keys: 1, threshold: 1 });
      let databaseUrl = '';
      const nodes: Node[] = [];
      let admin = '';
      let w: World;
      const cleanups: (() => void)[] = [];
      const suite = { after: (fn: () => void) => cleanups.push(fn) };

      before(async () => {
        const c = new pg.Client({ connectionString: BASE_URL });
        await c.connect();
        await c.query(`create database ${dbName}`);
        await c.end();
        const u = new URL(BASE_URL);
        u.pathname = `/${dbName}`;
        databaseUrl = u.toString();
        w = await world(suite);
        if (blobStore === 'registry') {
          requireTools('docker-registry');
          registry = await registryForTests();
          blobs = `oci://${registry.host}/hfx-cluster-${randomBytes(6).toString('hex')}/archives`;
        }
      });
      after(async () => {
        for (const n of nodes) await n.stop();
        await registry?.stop();
        const c = new pg.Client({ connectionString: BASE_URL });
        await c.connect();
        await c.query(`drop database if exists ${dbName} with (force)`);
        await c.end();
        for (const f of cleanups) f();
        rmSync(dir, { recursive: true, force: true });
      });

      test('started at the same moment: migrations run once, the admin is made once; both serve the same TUF root', async () => {
        const ports = await freePorts(2);
        // Both spawned before either is awaited; they share the TUF keys, as they must (docs/distribution.md).
        const starting = ports.map((port, i) =>
          startNode(
            `s${i + 1}`,
            port,
            {
              DATABASE_URL: databaseUrl,
              HFX_ADMIN_PASSWORD: adminPassword,
              HFX_DATA: mkdtempSync(join(dir, `data${i + 1}-`)),
              HFX_TUF_KEYS: tuf.serverDir,
            },
            blobs,
          ),
        );
        nodes.push(...(await Promise.all(starting)));
        const firstStart = nodes.map((n) => (n.stderr.match(/First start/g) ?? []).length);
        assert.equal(
          firstStart[0]! + firstStart[1]!,
          1,
          `"First start" printed ${firstStart.join(' + ')} times:\n${nodes.map((n) => n.stderr).join('\n---\n')}`,
        );
        const db = new pg.Client({ connectionString: databaseUrl });
        await db.connect();
        try {
          const mig = await db.query('select name from kysely_migration order by name');
          const known = Object.keys(await migrationProvider.getMigrations()).sort();
          assert.deepEqual(
            mig.rows.map((r) => r.name),
            known,
            'each migration recorded exactly once',
          );
          assert.equal((await db.query('select count(*)::int as n from users')).rows[0].n, 1);
          assert.equal(
            (
              await db.query(
                "select count(*)::int as n from audit_log where object_type = 'user' and action = 'create'",
              )
            ).rows[0].n,
            1,
          );
        } finally {
          await db.end();
        }
        // Without the keys, a process on PostgreSQL refuses to start rather than sign with keys of its own.
        const alone = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--quiet'], {
          env: { ...process.env, DATABASE_URL: databaseUrl, HFX_DATA: mkdtempSync(join(dir, 'alone-')), NO_COLOR: '1' },
          encoding: 'utf8',
        });
        assert.equal(alone.status, 2, alone.stderr);
        assert.match(alone.stderr, /HFX_E_USAGE: with DATABASE_URL, hfx serve needs --tuf-keys/);
      });

      test('a write through one server is read through the other', async () => {
        const [s1, s2] = nodes as [Node, Node];
        const login = await api(s1.url, 'POST', '/v1/login', null, { username: 'admin', password: adminPassword });
        assert.equal(login.status, 201);
        admin = login.body.token;
        assert.equal(
          (await api(s2.url, 'GET', '/v1/me', admin)).body.username,
          'admin',
          'a token made by one is valid at the other',
        );
        assert.equal((await api(s1.url, 'POST', '/v1/customers', admin, { id: 'acme', name: 'ACME' })).status, 201);
        assert.deepEqual(
          (await api(s2.url, 'GET', '/v1/customers', admin)).body.customers.map((c: { id: string }) => c.id),
          ['acme'],
        );
        assert.equal(
          (await api(s2.url, 'POST', '/v1/customers', admin, { id: 'acme', name: 'again' })).status,
          400,
          'the other refuses the same id',
        );
        assert.equal(
          (
            await api(s2.url, 'POST', '/v1/publisher-keys', admin, {
              name: 'vendor',
              publicKey: readFileSync(w.pub, 'utf8'),
            })
          ).status,
          201,
        );
        const zip = new Uint8Array(
          readFileSync(
            await w.hotfix('HF-C-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'cluster\n'), { customer: 'acme' }),
          ),
        );
        const up = await api(s1.url, 'POST', '/v1/archives', admin, zip);
        assert.equal(up.status, 201, JSON.stringify(up.body));
        assert.deepEqual(
          (await api(s2.url, 'GET', '/v1/archives', admin)).body.archives.map((a: { id: string }) => a.id),
          ['HF-C-1'],
        );
        assert.deepEqual(await download(s2.url, admin, 'HF-C-1'), { status: 200, sha256: sha(zip) });
        const token = (await api(s2.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'prod' })).body.token;
        assert.deepEqual(await offered(s1.url, 'acme', token), ['HF-C-1.zip']);
        // Each process signs the same bytes for the same versions: one's answers never contradict the other's.
        const ts = await Promise.all(
          [s1, s2].map(async (n) =>
            Buffer.from(
              await (
                await fetch(`${n.url}/v1/tuf/acme/metadata/timestamp.json`, {
                  headers: { authorization: `Bearer ${token}` },
                })
              ).arrayBuffer(),
            ),
          ),
        );
        assert.deepEqual(ts[0], ts[1]);
      });

      test('TUF: a process answers with at least the timestamp the installation has seen (since), even just after an upload through another', async () => {
        const [s1, s2] = nodes as [Node, Node];
        const token = (await api(s1.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'since' })).body.token;
        const ts = async (n: Node, since?: number) =>
          (await api(n.url, 'GET', `/v1/tuf/acme/metadata/timestamp.json${since ? `?since=${since}` : ''}`, token)).body
            .signed.version as number;
        for (let round = 1; round <= 3; round++) {
          // s2 holds its copy of the version now.
          const v0 = await ts(s2);
          const id = `HF-C-SINCE-${round}`;
          const zip = new Uint8Array(
            readFileSync(
              await w.hotfix(id, (d) => writeFileSync(join(d, 'docs/README'), `since ${round}\n`), {
                customer: 'acme',
              }),
            ),
          );
          assert.equal((await api(s1.url, 'POST', '/v1/archives', admin, zip)).status, 201);
          const v1 = await ts(s1);
          assert.ok(v1 > v0, `the upload moved the timestamp: ${v0} -> ${v1}`);
          assert.ok((await offered(s1.url, 'acme', token)).includes(`${id}.zip`));
          // The installation then asks the other process, which has not read the version since.
          const other = await ts(s2, v1);
          assert.ok(other >= v1, `round ${round}: timestamp ${other} after ${v1} was seen`);
          assert.ok(
            (await offered(s2.url, 'acme', token)).includes(`${id}.zip`),
            `round ${round}: the new archive is offered`,
          );
        }
        // Without since, a process notices within a second.
        const v = await ts(s1);
        await new Promise((r) => setTimeout(r, 1100));
        assert.ok((await ts(s2)) >= v);
        // A version no process has (a replayed or invented one) is answered with the real one, which the client refuses.
        assert.equal(await ts(s2, v + 1000), v);
      });

      test('the same archive pushed through both at once is stored once; every push gets a 2xx', async () => {
        // A client retrying, or two release pipelines pushing the same build: the same bytes again are
        // "existed" (200), whoever wins the race. Three rounds of eight pushes at once.
        for (let round = 1; round <= 3; round++) {
          const id = `HF-C-TWICE-${round}`;
          const zip = new Uint8Array(
            readFileSync(await w.hotfix(id, (d) => writeFileSync(join(d, 'docs/README'), `twice ${round}\n`))),
          );
          const answers = await Promise.all(
            Array.from({ length: 8 }, (_, i) => api(nodes[i % 2]!.url, 'POST', '/v1/archives', admin, zip)),
          );
          const statuses = answers.map((a) => a.status);
          assert.ok(
            statuses.every((st) => st === 200 || st === 201),
            `round ${round}: statuses ${statuses.join(', ')}: ${JSON.stringify(answers.find((a) => a.status >= 300)?.body)}`,
          );
          assert.equal(
            statuses.filter((st) => st === 201).length,
            1,
            `round ${round}: exactly one 201 (created), the rest 200 (existed): ${statuses.join(', ')}`,
          );
          assert.deepEqual(await download(nodes[1]!.url, admin, id), { status: 200, sha256: sha(zip) });
        }
      });

      test('SIGKILL one in a burst of uploads and downloads: nothing acknowledged is lost', async (t) => {
        const [s1, s2] = nodes as [Node, Node];
        // Archives of 64 KiB to 2 MiB of incompressible content, so uploads are in flight when the kill comes.
        const N = 36;
        const archives: {
          id: string;
          bytes: Uint8Array;
          sha256: string;
          to: Node;
          acked: boolean;
          error: string | null;
        }[] = [];
        for (let i = 0; i < N; i++) {
          const id = `HF-BURST-${String(i).padStart(3, '0')}`;
          const size = 64 * 1024 * 2 ** (i % 6);
          const bytes = new Uint8Array(
            readFileSync(
              await w.hotfix(id, (d) => writeFileSync(join(d, 'lib/core.jar'), randomBytes(size)), {
                compressionLevel: 0,
              }),
            ),
          );
          archives.push({ id, bytes, sha256: sha(bytes), to: i % 2 === 0 ? s1 : s2, acked: false, error: null });
        }
        const known = { id: 'HF-C-1', sha256: (await download(s2.url, admin, 'HF-C-1')).sha256 };
        let uploading = true;
        let killedAt = -1;
        let inFlightAtKill = 0;
        const inFlight = new Set<string>();
        const downloads: { to: Node; ok: boolean; detail: string }[] = [];
        // Downloads on both servers for as long as the uploads last.
        const downloaders = [s1, s2, s1, s2].map(async (n) => {
          while (uploading) {
            try {
              const d = await download(n.url, admin, known.id);
              downloads.push({
                to: n,
                ok: d.status === 200 && d.sha256 === known.sha256,
                detail: `${d.status} ${d.sha256}`,
              });
            } catch (e) {
              downloads.push({ to: n, ok: false, detail: String((e as Error).cause ?? e) });
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        });
        let next = 0;
        let acked = 0;
        // Eight CI jobs, each with its own token (one token has at most a few uploads in flight).
        const jobTokens = await Promise.all(
          Array.from(
            { length: 8 },
            async (_, i) =>
              (await api(s2.url, 'POST', '/v1/tokens', admin, { name: `ci-job-${i}` })).body.token as string,
          ),
        );
        const uploaders = jobTokens.map(async (token) => {
          while (next < archives.length) {
            const a = archives[next++]!;
            inFlight.add(a.id);
            try {
              const res = await fetch(`${a.to.url}/v1/archives`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
                body: a.bytes as RequestInit['body'],
              });
              const text = await res.text();
              if (res.status >= 200 && res.status < 300) {
                a.acked = true;
                if (++acked === Math.floor(N / 3)) {
                  inFlightAtKill = [...inFlight].filter(
                    (id) => id !== a.id && archives.find((x) => x.id === id)!.to === s1,
                  ).length;
                  killedAt = acked;
                  s1.child.kill('SIGKILL');
                }
              } else a.error = `${res.status} ${text.slice(0, 200)}`;
            } catch (e) {
              a.error = String((e as Error).cause ?? e);
            } finally {
              inFlight.delete(a.id);
            }
          }
        });
        await Promise.all(uploaders);
        uploading = false;
        await Promise.all(downloaders);
        const exit = await s1.exited;
        assert.equal(exit.signal, 'SIGKILL', 'the first server was killed');
        assert.ok(killedAt > 0, 'the kill happened during the burst');
        t.diagnostic(
          `killed after ${killedAt} acknowledged uploads, with ${inFlightAtKill} uploads to it in flight; ${archives.filter((a) => a.acked).length}/${N} acknowledged; ${downloads.length} downloads`,
        );
        assert.ok(inFlightAtKill > 0, 'uploads to the killed server were in flight when it died');

        // The survivor served everything asked of it during the burst.
        const survivorUploads = archives.filter((a) => a.to === s2);
        const unacked = survivorUploads.filter((a) => !a.acked).map((a) => `${a.id}: ${String(a.error)}`);
        assert.deepEqual(unacked, [], 'uploads to the survivor');
        assert.deepEqual(
          downloads.filter((d) => d.to === s2 && !d.ok).map((d) => d.detail),
          [],
          'downloads from the survivor',
        );
        assert.ok(downloads.some((d) => d.to === s2 && d.ok));

        // Every acknowledged upload is listed and downloadable with the right bytes from the survivor;
        // so is anything listed at all (a row never points at a missing blob).
        const listed = new Map<string, { sha256: string; size: number }>(
          (await api(s2.url, 'GET', '/v1/archives', admin)).body.archives.map(
            (a: { id: string; sha256: string; size: number }) => [a.id, a],
          ),
        );
        const lost = archives.filter((a) => a.acked && !listed.has(a.id)).map((a) => a.id);
        assert.deepEqual(lost, [], 'acknowledged uploads missing from the list');
        for (const a of archives.filter((x) => listed.has(x.id))) {
          assert.equal(listed.get(a.id)!.sha256, a.sha256, `${a.id}: listed sha256`);
          assert.deepEqual(
            await download(s2.url, admin, a.id),
            { status: 200, sha256: a.sha256 },
            `${a.id}: downloaded bytes`,
          );
        }
        // An upload cut off by the kill can simply be sent again, to the survivor.
        for (const a of archives.filter((x) => !x.acked)) {
          const again = await api(s2.url, 'POST', '/v1/archives', admin, a.bytes);
          assert.ok(
            again.status === 200 || again.status === 201,
            `${a.id} again: ${again.status} ${JSON.stringify(again.body)}`,
          );
          assert.deepEqual(await download(s2.url, admin, a.id), { status: 200, sha256: a.sha256 });
        }
        assert.equal((await api(s2.url, 'GET', '/healthz', null)).status, 200);
        // The killed process's partial uploads: in the shared directory, or in its own data directory's (s1: data1-…) spool.
        const spools =
          blobStore === 'directory'
            ? [join(blobs, 'tmp')]
            : readdirSync(dir)
                .filter((n) => n.startsWith('data1-'))
                .map((n) => join(dir, n, 'upload-tmp'))
                .filter((p) => existsSync(p));
        const leftovers = spools.flatMap((p) => readdirSync(p));
        t.diagnostic(`${leftovers.length} temp file(s) of the killed server left in ${spools.join(', ')}`);
      });

      test('PostgreSQL dropping the connections (a restart, a failover) under load: the survivor stays up and answers 503, never 500', async (t) => {
        const s2 = nodes[1]!;
        assert.equal((await api(s2.url, 'GET', '/v1/me', admin)).status, 200, 'the pool holds connections now');
        // Connections are cut while requests are in flight, so some are checked out mid-query or
        // between queries: an unhandled 'error' on such a connection used to end the process.
        let loading = true;
        const answers = new Map<string, number>();
        const load = Array.from({ length: 12 }, async () => {
          while (loading && s2.child.exitCode === null) {
            const res = await fetch(`${s2.url}/v1/cases?limit=5`, { headers: { authorization: `Bearer ${admin}` } });
            const body = (await res.json()) as { error?: { code: string } };
            const retryAfter = String(res.headers.get('retry-after'));
            const key =
              res.status === 200 ? '200' : `${res.status} ${String(body.error?.code)} retry-after=${retryAfter}`;
            answers.set(key, (answers.get(key) ?? 0) + 1);
          }
        });
        let terminated = 0;
        for (let i = 0; i < 15; i++) {
          const c = new pg.Client({ connectionString: databaseUrl });
          await c.connect();
          try {
            const r = await c.query<{ n: number }>(
              'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity ' +
                'where datname = current_database() and pid <> pg_backend_pid()',
            );
            terminated += r.rows[0]!.n;
          } finally {
            await c.end();
          }
          await new Promise((r) => setTimeout(r, 60));
        }
        loading = false;
        await Promise.all(load);
        t.diagnostic(`${terminated} connections terminated; answers: ${JSON.stringify(Object.fromEntries(answers))}`);
        assert.ok(terminated > 0, 'the servers had connections to terminate');
        assert.equal(s2.child.exitCode, null, `the server exited:\n${s2.stderr.slice(-1500)}`);
        const bad = [...answers.keys()].filter((k) => k !== '200' && k !== '503 HFX_E_UNAVAILABLE retry-after=1');
        assert.deepEqual(bad, [], 'every failed answer is 503 HFX_E_UNAVAILABLE with Retry-After');
        assert.ok((answers.get('200') ?? 0) > 0);
        // Connections are made again: the next requests succeed.
        assert.equal((await api(s2.url, 'GET', '/v1/me', admin)).status, 200);
        assert.equal((await api(s2.url, 'GET', '/v1/cases', admin)).status, 200);
      });
    });

interface Node {
  name: string;
  url: string;
  child: ChildProcess;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** Spawns `hfx serve` and resolves once it listens (its "hfx server on URL" line). */
function startNode(name: string, port: number, env: Record<string, string>, blobs: string): Promise<Node> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--blobs', blobs, '--quiet'], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const node: Node = {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    stderr: '',
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
  child.stderr.setEncoding('utf8').on('data', (d: string) => (node.stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 90 s:\n${node.stderr}`)), 90_000);
    const check = () => {
      if (node.stderr.includes('hfx server on http')) {
        clearTimeout(timer);
        child.stderr.off('data', check);
        resolve(node);
      }
    };
    child.stderr.on('data', check);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${String(e.code ?? e.signal)}) before listening:\n${node.stderr}`));
    });
  });
}

/** Ports free right now: listen on port 0, note the port, close. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function download(url: string, token: string, id: string): Promise<{ status: number; sha256: string }> {
  const res = await fetch(`${url}/v1/archives/${id}/download`, { headers: { authorization: `Bearer ${token}` } });
  const h = createHash('sha256');
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) h.update(chunk);
  return { status: res.status, sha256: h.digest('hex') };
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
