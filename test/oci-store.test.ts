// `hfx serve --blobs oci://REGISTRY/REPO` (docs/server.md): archives kept in a real docker-registry
// instead of a directory. Uploads are validated and then pushed before their row exists; downloads
// stream from the registry with ETag and Range as before; the registry holds what `hfx push --oci`
// would, so installations may also apply from it directly. With the registry stopped, stuck
// (SIGSTOP) or refusing the login, uploads and downloads answer 503 with Retry-After and nothing is
// recorded, while update checks, which never touch it, answer 200; once it is back, uploads succeed.
// Runs on PGlite and, when HFX_TEST_DATABASE_URL is set, PostgreSQL.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test, type TestContext } from 'node:test';
import { check, loginToken } from '../src/client/remote.js';
import { revertHotfix } from '../src/engine/ops/revert.js';
import { archiveTag } from '../src/oci/artifact.js';
import { hfx } from './helpers/cli.js';
import { snapshot, tmp, world, type World } from './helpers/fixtures.js';
import { htpasswdLine, startRegistry, type TestRegistry } from './helpers/registry.js';
import { api, seedVendor, STORES, testServer } from './helpers/server.js';
import { offered } from './helpers/tuf.js';
import { requireTools } from './helpers/tools.js';
import { maybe } from './helpers/hooks.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** The registry's calls time out after this in these tests, so a stuck registry fails a request in seconds. */
const TIMEOUT_MS = 1500;

async function download(
  url: string,
  token: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

for (const store of STORES) {
  describe(`archives in a registry (hfx serve --blobs oci://…), on ${store}`, () => {
    let reg: TestRegistry;
    let s: Awaited<ReturnType<typeof testServer>>;
    let w: World;
    let tok: Record<string, string>;
    const cleanups: (() => void)[] = [];
    const suite = { after: (fn: () => void) => cleanups.push(fn) };
    const REPO = 'hfx/archives';
    let hf1: Uint8Array;

    before(async () => {
      requireTools('docker-registry', 'skopeo', 'htpasswd');
      reg = await startRegistry({ htpasswd: htpasswdLine('hfx', 'store-secret-1') });
      s = await testServer({
        store,
        blobDir: `oci://${reg.host}/${REPO}`,
        blobRegistry: { creds: { username: 'hfx', password: 'store-secret-1' }, timeoutMs: TIMEOUT_MS },
      });
      w = await world(suite);
      tok = await seedVendor(s.url, s.adminPassword, readFileSync(w.pub, 'utf8'));
      hf1 = new Uint8Array(
        readFileSync(
          await w.hotfix('HF-REG-1', (d) => writeFileSync(join(d, 'lib/core.jar'), Buffer.alloc(300_000, 7))),
        ),
      );
    });
    after(async () => {
      await maybe(s)?.dispose();
      await maybe(reg)?.stop();
      for (const f of cleanups) f();
    });

    const spool = () => readdirSync(join(s.dir, 'upload-tmp'));
    const rows = async () =>
      (await api(s.url, 'GET', '/v1/archives', tok.admin!)).body.archives.map((a: { id: string }) => a.id) as string[];

    test('upload, download, Range and ETag through the registry; the registry holds the artifact, which hfx apply oci:// takes', async () => {
      const up = await api(s.url, 'POST', '/v1/archives', tok.dev!, hf1);
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.equal(up.body.sha256, sha(hf1));
      assert.deepEqual(spool(), [], 'the received upload is not kept locally');
      const again = await api(s.url, 'POST', '/v1/archives', tok.dev!, hf1);
      assert.equal(again.status, 200);
      assert.equal(again.body.existed, true);

      const full = await download(s.url, tok.acme!, '/v1/archives/HF-REG-1/download');
      assert.equal(full.status, 200);
      assert.equal(sha(full.body), sha(hf1));
      assert.equal(full.headers.get('etag'), `"${sha(hf1)}"`);
      assert.equal(full.headers.get('content-length'), String(hf1.length));
      assert.equal(full.headers.get('accept-ranges'), 'bytes');
      const part = await download(s.url, tok.acme!, '/v1/archives/HF-REG-1/download', { range: 'bytes=1000-70999' });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 1000-70999/${hf1.length}`);
      assert.ok(part.body.equals(Buffer.from(hf1.subarray(1000, 71000))));
      const tail = await download(s.url, tok.acme!, '/v1/archives/HF-REG-1/download', { range: 'bytes=-100' });
      assert.equal(tail.status, 206);
      assert.ok(tail.body.equals(Buffer.from(hf1.subarray(hf1.length - 100))));
      const resumed = await download(s.url, tok.acme!, '/v1/archives/HF-REG-1/download', {
        range: 'bytes=5-9',
        'if-range': `"${sha(hf1)}"`,
      });
      assert.equal(resumed.status, 206);
      const stale = await download(s.url, tok.acme!, '/v1/archives/HF-REG-1/download', {
        range: 'bytes=5-9',
        'if-range': '"other"',
      });
      assert.equal(stale.status, 200, 'If-Range with another ETag: the whole archive');
      assert.equal(
        (await download(s.url, tok.acme!, '/v1/archives/HF-REG-1/download', { range: `bytes=${hf1.length}-` })).status,
        416,
      );
      assert.equal(
        (await download(s.url, tok.acme!, '/v1/archives/HF-REG-1/download', { 'if-none-match': `"${sha(hf1)}"` }))
          .status,
        304,
      );
      // The TUF target route streams from the registry too.
      const target = await download(s.url, tok.acme!, `/v1/tuf/acme/targets/${sha(hf1)}.HF-REG-1.zip`);
      assert.equal(target.status, 200);
      assert.equal(sha(target.body), sha(hf1));

      // What the registry holds is the artifact `hfx push --oci` makes, tagged with the id.
      const raw = JSON.parse(
        spawnSync(
          'skopeo',
          [
            'inspect',
            '--raw',
            '--tls-verify=false',
            '--creds',
            'hfx:store-secret-1',
            `docker://${reg.host}/${REPO}:${archiveTag('HF-REG-1')}`,
          ],
          { encoding: 'utf8' },
        ).stdout,
      ) as { artifactType: string; layers: { digest: string }[] };
      assert.equal(raw.artifactType, 'application/vnd.hfx.archive.v1');
      assert.equal(raw.layers[0]!.digest, `sha256:${sha(hf1)}`);
      const before1 = snapshot(w.home);
      const a = await hfx(['apply', `oci://${reg.host}/${REPO}:HF-REG-1`, '--home', w.home], {
        env: { NO_COLOR: '1', HFX_REGISTRY_USER: 'hfx', HFX_REGISTRY_PASSWORD: 'store-secret-1' },
      });
      assert.equal(a.code, 0, a.stderr);
      await revertHotfix({ home: w.home });
      assert.deepEqual(snapshot(w.home), before1);
    });

    test('registry stopped: uploads and downloads answer 503 with Retry-After, no row is recorded, update checks answer 200; restarted: the upload succeeds', async () => {
      const hf2 = new Uint8Array(
        readFileSync(
          await w.hotfix('HF-REG-2', (d) => writeFileSync(join(d, 'docs/README'), 'two\n'), { customer: 'acme' }),
        ),
      );
      // An installation linked to the server with tuf-js, as in the field.
      const inst = await world(suite);
      await loginToken({}, s.url, tok.acme!, inst.home, { root: readFileSync(s.rootFile) });
      assert.ok([200, 201].includes((await api(s.url, 'POST', '/v1/archives', tok.dev!, hf1)).status));
      const seenBefore = (await check(inst.home)).hotfixes.map((h) => h.id);
      await reg.halt();
      try {
        const up = await api(s.url, 'POST', '/v1/archives', tok.dev!, hf2);
        assert.equal(up.status, 503, JSON.stringify(up.body));
        assert.equal(up.body.error.code, 'HFX_E_UNAVAILABLE');
        assert.match(up.body.error.message, /registry that holds the archives/);
        assert.ok(Number(up.headers.get('retry-after')) > 0, 'Retry-After');
        assert.ok(!(await rows()).includes('HF-REG-2'), 'no row for an archive the registry did not take');
        assert.equal((await api(s.url, 'GET', '/v1/archives/HF-REG-2', tok.admin!)).status, 404);
        assert.deepEqual(spool(), [], 'nothing left in the spool');
        const down = await download(s.url, tok.acme!, '/v1/archives/HF-REG-1/download');
        assert.equal(down.status, 503);
        assert.ok(Number(down.headers.get('retry-after')) > 0);
        assert.equal(down.headers.get('content-disposition'), null, 'a plain error, not a download');
        assert.equal(JSON.parse(down.body.toString()).error.code, 'HFX_E_UNAVAILABLE');
        // Update checks never touch the registry.
        assert.equal((await api(s.url, 'GET', '/v1/tuf/acme/metadata/timestamp.json', tok.acme!)).status, 200);
        assert.ok((await offered(s.url, 'acme', tok.acme!)).includes('HF-REG-1.zip'));
        assert.deepEqual(
          (await check(inst.home)).hotfixes.map((h) => h.id),
          seenBefore,
        );
      } finally {
        await reg.restart();
      }
      const up = await api(s.url, 'POST', '/v1/archives', tok.dev!, hf2);
      assert.equal(up.status, 201, JSON.stringify(up.body));
      const d = await download(s.url, tok.acme!, '/v1/archives/HF-REG-2/download');
      assert.equal(sha(d.body), sha(hf2));
      assert.ok(
        (await check(inst.home)).hotfixes.some((h) => h.id === 'HF-REG-2'),
        'offered once stored',
      );
    });

    test('registry stuck (SIGSTOP): uploads and downloads give up after the timeout with 503; update checks stay fast; resumed, the upload succeeds', async () => {
      const hf3 = new Uint8Array(
        readFileSync(await w.hotfix('HF-REG-3', (d) => writeFileSync(join(d, 'docs/README'), 'three\n'))),
      );
      reg.pause();
      try {
        let t0 = Date.now();
        const up = await api(s.url, 'POST', '/v1/archives', tok.dev!, hf3);
        const upMs = Date.now() - t0;
        assert.equal(up.status, 503, JSON.stringify(up.body));
        assert.match(up.body.error.message, /did not answer within 1\.5 s/);
        assert.ok(Number(up.headers.get('retry-after')) > 0);
        assert.ok(upMs < TIMEOUT_MS * 4, `gave up after ${upMs} ms`);
        assert.ok(!(await rows()).includes('HF-REG-3'));
        t0 = Date.now();
        const down = await download(s.url, tok.acme!, '/v1/archives/HF-REG-2/download');
        const downMs = Date.now() - t0;
        assert.equal(down.status, 503);
        assert.ok(Number(down.headers.get('retry-after')) > 0);
        assert.ok(downMs < TIMEOUT_MS * 4, `gave up after ${downMs} ms`);
        t0 = Date.now();
        for (let i = 0; i < 20; i++)
          assert.equal((await api(s.url, 'GET', '/v1/tuf/acme/metadata/timestamp.json', tok.acme!)).status, 200);
        assert.ok(Date.now() - t0 < TIMEOUT_MS, `20 update checks took ${Date.now() - t0} ms`);
      } finally {
        reg.resume();
      }
      const up = await api(s.url, 'POST', '/v1/archives', tok.dev!, hf3);
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.equal(sha((await download(s.url, tok.acme!, '/v1/archives/HF-REG-3/download')).body), sha(hf3));
    });

    test('under load, the registry stopped and restarted twice: only 2xx or 503 with Retry-After, update checks all 200, every acknowledged upload listed and downloadable, no row without its blob', async (t) => {
      const N = 16;
      const archives: { id: string; bytes: Uint8Array; acked: boolean; tries: number }[] = [];
      for (let i = 0; i < N; i++) {
        const id = `HF-LOAD-${String(i).padStart(2, '0')}`;
        const bytes = new Uint8Array(
          readFileSync(
            await w.hotfix(id, (d) => writeFileSync(join(d, 'lib/core.jar'), randomBytes(32 * 1024 * (1 + (i % 4)))), {
              compressionLevel: 0,
            }),
          ),
        );
        archives.push({ id, bytes, acked: false, tries: 0 });
      }
      const answers = new Map<string, number>();
      const count = (k: string) => answers.set(k, (answers.get(k) ?? 0) + 1);
      const sorted = (res: { status: number; headers: Headers }, body: unknown) => {
        const code = (body as { error?: { code?: string } } | null)?.error?.code;
        return res.status === 503
          ? `503 ${String(code)} retry-after=${res.headers.get('retry-after') !== null}`
          : String(res.status);
      };
      let running = true;
      let cutDownloads = 0;
      let badDownloads = 0;
      const known = sha(hf1);
      assert.ok([200, 201].includes((await api(s.url, 'POST', '/v1/archives', tok.dev!, hf1)).status));
      const downloaders = Array.from({ length: 3 }, async () => {
        while (running) {
          try {
            const res = await fetch(`${s.url}/v1/archives/HF-REG-1/download`, {
              headers: { authorization: `Bearer ${tok.acme!}` },
            });
            const body = Buffer.from(await res.arrayBuffer());
            count(`download ${sorted(res, res.status === 200 ? null : JSON.parse(body.toString()))}`);
            if (res.status === 200 && sha(body) !== known) badDownloads++;
            if (res.status === 503) await new Promise((r) => setTimeout(r, 100));
          } catch {
            // Cut off mid-body by the registry going down after the answer began: the client sees
            // a broken download (never a complete one with other bytes) and resumes it.
            cutDownloads++;
          }
        }
      });
      const checkers = Array.from({ length: 2 }, async () => {
        while (running) {
          const r = await api(s.url, 'GET', '/v1/tuf/acme/metadata/timestamp.json', tok.acme!);
          count(`check ${r.status}`);
        }
      });
      let next = 0;
      const uploaders = Array.from({ length: 3 }, async () => {
        while (next < archives.length) {
          const a = archives[next++]!;
          for (;;) {
            a.tries++;
            const r = await api(s.url, 'POST', '/v1/archives', tok.dev!, a.bytes);
            count(`upload ${sorted(r, r.body)}`);
            if (r.status === 200 || r.status === 201) {
              a.acked = true;
              break;
            }
            if (r.status !== 503) break;
            // As a client would: after Retry-After (shortened here), send it again.
            await new Promise((res) => setTimeout(res, 200));
          }
        }
      });
      const outages = (async () => {
        for (let i = 0; i < 2; i++) {
          await new Promise((r) => setTimeout(r, 400));
          await reg.halt();
          await new Promise((r) => setTimeout(r, 1200));
          await reg.restart();
        }
      })();
      await Promise.all([...uploaders, outages]);
      running = false;
      await Promise.all([...downloaders, ...checkers]);
      t.diagnostic(
        `answers: ${JSON.stringify(Object.fromEntries(answers))}; downloads cut off: ${cutDownloads}; upload tries: ${archives.reduce((n, a) => n + a.tries, 0)}`,
      );

      const allowed =
        /^(upload (200|201|503 HFX_E_UNAVAILABLE retry-after=true)|download (200|503 HFX_E_UNAVAILABLE retry-after=true)|check 200)$/;
      assert.deepEqual(
        [...answers.keys()].filter((k) => !allowed.test(k)),
        [],
        'only 2xx, or 503 HFX_E_UNAVAILABLE with Retry-After',
      );
      assert.ok(
        [...answers.keys()].some((k) => k.startsWith('upload 503')),
        'the outages were felt by uploads',
      );
      assert.equal(badDownloads, 0, 'no complete download with other bytes');
      assert.deepEqual(
        archives.filter((a) => !a.acked).map((a) => a.id),
        [],
        'every archive stored in the end',
      );
      // No row without its blob: everything listed downloads with its bytes.
      const listed = new Set(await rows());
      for (const a of archives) {
        assert.ok(listed.has(a.id), a.id);
        const d = await download(s.url, tok.acme!, `/v1/archives/${a.id}/download`);
        assert.equal(d.status, 200, a.id);
        assert.equal(sha(d.body), sha(a.bytes), a.id);
      }
      assert.deepEqual(spool(), [], 'no temp file left');
    });
  });
}

const BIN = fileURLToPath(new URL('../../bin/hfx.js', import.meta.url));

/** `hfx serve` as a process, resolved once it listens. */
async function serveProcess(
  t: TestContext,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start in 60 s:\n${output}`)), 60_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      const m = /hfx server on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${String(code)}:\n${output}`)));
  });
  return { url, child, output: () => output };
}

describe('hfx serve --blobs oci://… as a process', () => {
  test('bad values are HFX_E_USAGE before serving: the reference, half a login, the timeout', async (t) => {
    const data = tmp(t);
    const refused = async (args: string[], env: NodeJS.ProcessEnv, said: RegExp) => {
      const r = await hfx(['serve', '--port', '0', '--data', data, ...args], { env: { NO_COLOR: '1', ...env } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /HFX_E_USAGE/);
      assert.match(r.stderr, said);
    };
    await refused(['--blobs', 'oci://127.0.0.1:5000'], {}, /--blobs .*name the registry and the repository/);
    await refused(['--blobs', 'oci://127.0.0.1:5000/Hfx/Archives'], {}, /must be lowercase/);
    await refused(['--blobs', 'oci://127.0.0.1:5000/hfx/archives:v1'], {}, /give the repository alone/);
    await refused(
      [],
      { HFX_BLOBS: 'oci://127.0.0.1:5000/hfx', HFX_REGISTRY_USER: 'hfx' },
      /set both HFX_REGISTRY_USER and HFX_REGISTRY_PASSWORD/,
    );
    await refused(
      ['--blobs', 'oci://127.0.0.1:5000/hfx'],
      { HFX_BLOBS_TIMEOUT: 'soon' },
      /HFX_BLOBS_TIMEOUT must be a duration/,
    );
  });

  test('HFX_BLOBS=oci://…: starts while the registry is down (a warning), answers 503 until it is up; a wrong login is 503 too; a blob removed from the registry is 404 until the archive is sent again', async (t) => {
    requireTools('docker-registry', 'htpasswd');
    const reg = await startRegistry({ htpasswd: htpasswdLine('hfx', 'proc-secret-1') });
    t.after(() => reg.stop());
    const w = await world(t);
    await reg.halt();
    const data = tmp(t);
    const srv = await serveProcess(t, ['--data', data], {
      HFX_BLOBS: `oci://${reg.host}/hfx/proc`,
      HFX_REGISTRY_USER: 'hfx',
      HFX_REGISTRY_PASSWORD: 'proc-secret-1',
      HFX_BLOBS_TIMEOUT: '2s',
      HFX_ADMIN_PASSWORD: 'proc-admin-pass-1',
    });
    const said = new RegExp(`Archives in the registry oci://${reg.host.replace(/\./g, '\\.')}/hfx/proc`);
    for (let i = 0; i < 50 && !said.test(srv.output()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(srv.output(), said);
    const tok = await seedVendor(srv.url, 'proc-admin-pass-1', readFileSync(w.pub, 'utf8'));
    const zip = new Uint8Array(
      readFileSync(await w.hotfix('HF-PROC-1', (d) => writeFileSync(join(d, 'docs/README'), 'proc\n'))),
    );
    const down = await api(srv.url, 'POST', '/v1/archives', tok.dev!, zip);
    assert.equal(down.status, 503);
    for (let i = 0; i < 50 && !srv.output().includes('the archive registry cannot be reached now'); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(srv.output(), /the archive registry cannot be reached now/);
    await reg.restart();
    const up = await api(srv.url, 'POST', '/v1/archives', tok.dev!, zip);
    assert.equal(up.status, 201, JSON.stringify(up.body));

    // A blob removed behind the server's back: the download is 404, not a hang or a 500.
    const del = await fetch(`http://${reg.host}/v2/hfx/proc/blobs/sha256:${sha(zip)}`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from('hfx:proc-secret-1').toString('base64')}` },
    });
    assert.equal(del.status, 202);
    const gone = await download(srv.url, tok.acme!, '/v1/archives/HF-PROC-1/download');
    assert.equal(gone.status, 404);
    assert.equal(JSON.parse(gone.body.toString()).error.code, 'HFX_E_NOT_FOUND');
    // Sending the archive again puts it back.
    const again = await api(srv.url, 'POST', '/v1/archives', tok.dev!, zip);
    assert.equal(again.status, 200);
    assert.equal(again.body.existed, true);
    assert.equal(sha((await download(srv.url, tok.acme!, '/v1/archives/HF-PROC-1/download')).body), sha(zip));

    // The same server with a wrong registry password: uploads 503, naming the refusal.
    srv.child.kill('SIGTERM');
    await new Promise((r) => srv.child.once('exit', r));
    const wrong = await serveProcess(t, ['--data', data, '--blobs', `oci://${reg.host}/hfx/proc`], {
      HFX_REGISTRY_USER: 'hfx',
      HFX_REGISTRY_PASSWORD: 'wrong',
      HFX_ADMIN_PASSWORD: 'proc-admin-pass-1',
    });
    const zip2 = new Uint8Array(
      readFileSync(await w.hotfix('HF-PROC-2', (d) => writeFileSync(join(d, 'docs/README'), 'proc 2\n'))),
    );
    const refused = await api(wrong.url, 'POST', '/v1/archives', tok.dev!, zip2);
    assert.equal(refused.status, 503);
    assert.match(refused.body.error.message, /refused the user name or password/);
    assert.equal((await api(wrong.url, 'GET', '/v1/archives/HF-PROC-2', tok.dev!)).status, 404);
  });
});
