import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { imageCommand } from '../src/cli/commands/image/index.js';
import { makeCtx, parse } from '../src/cli/command.js';
import { Output } from '../src/cli/output.js';
import { isHfxError } from '../src/errors.js';
import { applyHotfix, revertHotfix, verifyHome } from '../src/engine/index.js';
import { buildImage, defaultTag, type ImageResult } from '../src/image/image.js';
import { parseRef } from '../src/image/registry.js';
import { snapshot, tmp, world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { htpasswdLine, registryForTests, startRegistry, type TestRegistry } from './helpers/registry.js';

const PREFIX = '/opt/demo';
/** Repositories unique to this run, so a shared registry (HFX_TEST_REGISTRY) starts empty for us. */
const RUN = `r${process.pid}x${Date.now().toString(36)}`;

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Unpacks an image of an OCI layout with umoci and returns the snapshot of the tree under the prefix. */
function unpack(t: { after(fn: () => void): void }, layoutDir: string, tag: string): Record<string, string> {
  const bundle = join(tmp(t, 'hfx-bundle-'), 'b');
  sh('umoci', ['unpack', '--rootless', '--image', `${layoutDir}:${tag}`, bundle]);
  return snapshot(join(bundle, 'rootfs', PREFIX));
}

/** Reads a tar (optionally gzipped) into name → content. */
function untar(buf: Buffer): Map<string, { type: string; data: Buffer }> {
  const out = new Map<string, { type: string; data: Buffer }>();
  let off = 0;
  let paxPath: string | null = null;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('ascii'), 8);
    const type = String.fromCharCode(h[156]!);
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      paxPath = m ? m[1]! : null;
      continue;
    }
    out.set(paxPath ?? (prefix ? `${prefix}/${name}` : name), { type, data: Buffer.from(data) });
    paxPath = null;
  }
  return out;
}

function layerTar(layoutDir: string, digest: string): Map<string, { type: string; data: Buffer }> {
  return untar(gunzipSync(readFileSync(join(layoutDir, 'blobs', 'sha256', digest.slice(7)))));
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isHfxError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

describe('hfx image', () => {
  let w: World;
  let hf1: string;
  let hf2: string;
  let reg: TestRegistry;
  const cleanups: (() => void)[] = [];
  const ctx = { after: (fn: () => void) => void cleanups.push(fn) };

  before(async () => {
    w = await world(ctx, {
      'bin/server.sh': { content: '#!/bin/sh\necho start\n', mode: 0o755 },
      'lib/core.jar': 'core 1.0\n'.repeat(100),
      'lib/old.jar': 'old library\n',
      'conf/server.toml': '[server]\nport = 9443\n',
      'conf/secret.key': { content: 'k\n', mode: 0o600 },
      'docs/README': 'read me\n',
      'docs/current': { symlink: 'README' },
      [`deep/${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(80)}.txt`]: 'long name\n',
    });
    hf1 = await w.hotfix('HF-1', (d) => {
      writeFileSync(join(d, 'lib/core.jar'), 'core 1.0.1\n'.repeat(100));
      writeFileSync(join(d, 'lib/cache.jar'), 'cache\n');
      unlinkSync(join(d, 'lib/old.jar'));
    });
    hf2 = await w.hotfix(
      'HF-2',
      (d) => {
        writeFileSync(join(d, 'lib/core.jar'), 'core 1.0.2\n'.repeat(100));
        writeFileSync(join(d, 'conf/server.toml'), '[server]\nport = 9444\n');
        chmodSync(join(d, 'bin/server.sh'), 0o750);
      },
      { requires: ['HF-1'], from: join(w.dir, 'new-1') },
    );
    reg = await registryForTests();
  });
  after(async () => {
    await maybe(reg)?.stop();
    for (const f of cleanups) f();
  });

  test('the default tag is product:version.level[-hotfixes], sanitised', () => {
    const s = { product: 'WSO2 AM', version: '4.2.0', level: 12, hotfixes: [{ id: 'HF+1' }, { id: 'HF-2' }] } as never;
    assert.equal(defaultTag(s), 'wso2-am:4.2.0.12-HF_1-HF-2');
    assert.equal(defaultTag({ product: 'am', version: '1', level: 0, hotfixes: [] } as never), 'am:1.0');
    const long = defaultTag({
      product: 'am',
      version: '1',
      level: 0,
      hotfixes: Array.from({ length: 30 }, (_, i) => ({ id: `HF-${i}` })),
    } as never);
    assert.ok(long.split(':')[1]!.length <= 128);
    assert.throws(() => parseRef('Demo:1', { needRegistry: false }), /not a valid image reference/);
    assert.throws(() => parseRef('demo:bad/tag!', { needRegistry: false }), /not a valid image reference/);
    assert.throws(() => parseRef('demo:1', { needRegistry: true }), /registry/);
  });

  test('an OCI layout, reproducible, equal to the pack after umoci unpack; push; skopeo inspect and copy', async (t) => {
    const d = tmp(t);
    const r1 = await buildImage({ home: w.home, oci: join(d, 'a') });
    assert.equal(r1.tag, '1.0.0.0');
    assert.equal(r1.layers.length, 1);
    // reproducible: a second build, without the cache, gives the same digests
    const r2 = await buildImage({ home: w.home, oci: join(d, 'b'), cacheDir: join(d, 'cache2') });
    assert.equal(r2.layers[0]!.cached, false);
    assert.equal(r2.manifestDigest, r1.manifestDigest);
    assert.deepEqual(readFileSync(join(d, 'a', 'index.json')), readFileSync(join(d, 'b', 'index.json')));
    // the tar itself: uid/gid 0, fixed mtime, sorted, a PAX path for the long name
    const entries = layerTar(join(d, 'a'), r1.layers[0]!.digest);
    const names = [...entries.keys()];
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes('opt/demo/lib/core.jar'));
    assert.ok(names.some((n) => n.endsWith(`${'f'.repeat(80)}.txt`) && n.length > 200));
    const raw = gunzipSync(readFileSync(join(d, 'a', 'blobs', 'sha256', r1.layers[0]!.digest.slice(7))));
    assert.equal(raw.subarray(136, 147).toString(), '00000000000'); // mtime
    assert.equal(raw.subarray(108, 115).toString(), '0000000'); // uid
    const gz = readFileSync(join(d, 'a', 'blobs', 'sha256', r1.layers[0]!.digest.slice(7)));
    assert.deepEqual([...gz.subarray(4, 8)], [0, 0, 0, 0]); // gzip mtime
    assert.deepEqual(unpack(t, join(d, 'a'), '1.0.0.0'), snapshot(w.home));
    // the layer cache in .hfx/ is not part of the pack
    assert.ok(existsSync(join(w.home, '.hfx', 'image-cache', 'layers')));
    assert.equal((await verifyHome({ home: w.home })).ok, true);

    // SOURCE_DATE_EPOCH changes the timestamps and so the digests
    const r3 = await buildImage({ home: w.home, oci: join(d, 'c'), epoch: 1_700_000_000 });
    assert.notEqual(r3.layers[0]!.digest, r1.layers[0]!.digest);

    // push, inspect and copy back
    const ref = `${reg.host}/hfx-${RUN}/demo:1.0.0.0`;
    const p = await buildImage({ home: w.home, tag: ref, push: true });
    assert.equal(p.manifestDigest, r1.manifestDigest); // the tag is not part of the image
    const info = JSON.parse(sh('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`])) as {
      Labels: Record<string, string>;
      Digest: string;
      Layers: string[];
    };
    assert.equal(info.Labels['io.hfx.product'], 'demo');
    assert.equal(info.Labels['io.hfx.release'], '1.0.0');
    assert.equal(info.Labels['io.hfx.level'], '0');
    assert.equal(info.Labels['org.opencontainers.image.version'], '1.0.0.0');
    assert.equal(info.Digest, p.manifestDigest);
    const tags = JSON.parse(
      sh('skopeo', ['list-tags', '--tls-verify=false', `docker://${reg.host}/hfx-${RUN}/demo`]),
    ) as { Tags: string[] };
    assert.ok(tags.Tags.includes('1.0.0.0'));
    const back = join(d, 'back');
    sh('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${back}:copy`]);
    assert.deepEqual(unpack(t, back, 'copy'), snapshot(w.home));
  });

  test('hotfix layers: earlier digests kept, whiteouts, only the new layer pushed, revert gives the image before', async (t) => {
    const d = tmp(t);
    const ref = `${reg.host}/hfx-${RUN}/layers`;
    const r0 = await buildImage({ home: w.home, tag: `${ref}:base`, oci: join(d, 'oci'), push: true });
    await applyHotfix({ home: w.home, archive: hf1 });
    const r1 = await buildImage({ home: w.home, tag: `${ref}:hf1`, oci: join(d, 'oci'), push: true });
    assert.equal(r1.layers.length, 2);
    assert.equal(r1.layers[0]!.digest, r0.layers[0]!.digest);
    assert.equal(r1.layers[0]!.cached, true);
    assert.equal(r1.layers[1]!.cached, false);
    // only the new layer and the new config were uploaded
    assert.equal(r1.push!.blobsUploaded, 2);
    assert.equal(r1.push!.blobsSkipped, 1);
    const thin = layerTar(join(d, 'oci'), r1.layers[1]!.digest);
    assert.deepEqual([...thin.keys()], ['opt/demo/lib/.wh.old.jar', 'opt/demo/lib/cache.jar', 'opt/demo/lib/core.jar']);
    assert.deepEqual(unpack(t, join(d, 'oci'), 'hf1'), snapshot(w.home));
    assert.ok(!('lib/old.jar' in unpack(t, join(d, 'oci'), 'hf1')));

    await applyHotfix({ home: w.home, archive: hf2 });
    // a fresh cache: HF-1's layer is rebuilt from HF-2's backups, with the same digest
    const r2 = await buildImage({ home: w.home, tag: `${ref}:hf2`, oci: join(d, 'oci'), cacheDir: join(d, 'fresh') });
    assert.deepEqual(
      r2.layers.slice(0, 2).map((l) => l.digest),
      r1.layers.map((l) => l.digest),
    );
    assert.equal(r2.layers[1]!.cached, false);
    assert.deepEqual(unpack(t, join(d, 'oci'), 'hf2'), snapshot(w.home));
    assert.equal(r2.tag, 'hf2');
    const r2b = await buildImage({ home: w.home, oci: join(d, 'oci') });
    assert.equal(r2b.tag, '1.0.0.0-HF-1-HF-2');
    // --squash: one layer holding the pack as it is now, whiteouts resolved
    const sq = await buildImage({ home: w.home, tag: `${ref}:squashed`, oci: join(d, 'oci'), squash: true });
    assert.equal(sq.layers.length, 1);
    assert.ok(![...layerTar(join(d, 'oci'), sq.layers[0]!.digest).keys()].some((k) => k.includes('.wh.')));
    assert.deepEqual(unpack(t, join(d, 'oci'), 'squashed'), snapshot(w.home));

    await revertHotfix({ home: w.home });
    const back1 = await buildImage({ home: w.home, tag: `${ref}:hf1`, oci: join(d, 'after-revert') });
    assert.equal(back1.manifestDigest, r1.manifestDigest);
    await revertHotfix({ home: w.home });
    const back0 = await buildImage({ home: w.home, tag: `${ref}:base`, oci: join(d, 'after-revert') });
    assert.equal(back0.manifestDigest, r0.manifestDigest);
  });

  test('docker-archive: manifest.json names the config and the layers in order', async (t) => {
    const d = tmp(t);
    const r = await buildImage({ home: w.home, tag: 'demo:x', dockerArchive: join(d, 'img.tar') });
    const files = untar(readFileSync(join(d, 'img.tar')));
    const m = JSON.parse(files.get('manifest.json')!.data.toString()) as {
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }[];
    assert.equal(m.length, 1);
    assert.deepEqual(m[0]!.RepoTags, ['demo:x']);
    assert.equal(m[0]!.Config, `blobs/sha256/${r.configDigest.slice(7)}`);
    assert.deepEqual(
      m[0]!.Layers,
      r.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
    );
    for (const n of [m[0]!.Config, ...m[0]!.Layers]) assert.ok(files.has(n), n);
    const cfg = JSON.parse(files.get(m[0]!.Config)!.data.toString()) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(
      cfg.rootfs.diff_ids,
      r.layers.map((l) => l.diffId),
    );
    // skopeo reads it as docker-archive
    const info = JSON.parse(sh('skopeo', ['inspect', `docker-archive:${join(d, 'img.tar')}`])) as {
      Labels: Record<string, string>;
    };
    assert.equal(info.Labels['io.hfx.product'], 'demo');
  });

  test('a base image from an OCI layout and from a registry: its layers come first', async (t) => {
    const d = tmp(t);
    const base = await buildImage({
      home: w.home,
      tag: 'base:1',
      oci: join(d, 'base'),
      prefix: '/srv/base',
      entrypoint: ['/bin/true'],
      env: ['A=1'],
    });
    const r = await buildImage({
      home: w.home,
      tag: 'app:1',
      oci: join(d, 'out'),
      baseLayout: join(d, 'base'),
      env: ['B=2'],
    });
    assert.equal(r.layers.length, 2);
    assert.equal(r.layers[0]!.digest, base.layers[0]!.digest);
    const cfg = JSON.parse(readFileSync(join(d, 'out', 'blobs', 'sha256', r.configDigest.slice(7)), 'utf8')) as {
      config: { Env: string[]; Entrypoint: string[] };
      rootfs: { diff_ids: string[] };
    };
    assert.deepEqual(cfg.config.Env, ['A=1', 'B=2']);
    assert.deepEqual(cfg.config.Entrypoint, ['/bin/true']);
    assert.equal(cfg.rootfs.diff_ids.length, 2);
    const bundle = join(tmp(t), 'b');
    sh('umoci', ['unpack', '--rootless', '--image', `${join(d, 'out')}:1`, bundle]);
    assert.deepEqual(snapshot(join(bundle, 'rootfs', 'srv/base')), snapshot(w.home));
    assert.deepEqual(snapshot(join(bundle, 'rootfs', PREFIX)), snapshot(w.home));

    // from the registry, pushed to the same registry: the base layer is already there
    await buildImage({ home: w.home, tag: `${reg.host}/hfx-${RUN}/base:1`, push: true, prefix: '/srv/base' });
    const p = await buildImage({
      home: w.home,
      tag: `${reg.host}/hfx-${RUN}/app:1`,
      push: true,
      base: `${reg.host}/hfx-${RUN}/base:1`,
      oci: join(d, 'out2'),
    });
    assert.equal(p.layers.length, 2);
    // the base layer is mounted from hfx/base, not uploaded; our layer and the config are uploaded
    assert.deepEqual(
      { up: p.push!.blobsUploaded, mounted: p.push!.blobsMounted },
      { up: 2, mounted: 1 },
      JSON.stringify(p.push),
    );
    assert.ok(existsSync(join(d, 'out2', 'blobs', 'sha256', p.layers[0]!.digest.slice(7))));
  });

  test('failures: bad tag, drifted pack, unreachable registry, no output', async (t) => {
    const d = tmp(t);
    assert.equal(await code(buildImage({ home: w.home, tag: 'Bad Tag', oci: join(d, 'x') })), 'HFX_E_USAGE');
    assert.equal(await code(buildImage({ home: w.home, tag: 'demo:x' })), 'HFX_E_USAGE');
    assert.equal(await code(buildImage({ home: w.home, tag: 'demo:x', push: true })), 'HFX_E_USAGE');
    assert.equal(await code(buildImage({ home: join(d, 'nowhere'), oci: join(d, 'x') })), 'HFX_E_NOT_INITIALISED');
    assert.equal(
      await code(buildImage({ home: w.home, tag: 'demo:x', oci: join(d, 'x'), baseLayout: join(d, 'missing') })),
      'HFX_E_NOT_FOUND',
    );
    // nothing listens on port 9 of loopback
    assert.equal(await code(buildImage({ home: w.home, tag: '127.0.0.1:9/demo:x', push: true })), 'HFX_E_NETWORK');

    // a registry that answers 500: HFX_E_REGISTRY; a base image that does not exist: HFX_E_NOT_FOUND
    const { createServer } = await import('node:http');
    const broken = createServer((_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    t.after(() => broken.close());
    const bport = (broken.address() as { port: number }).port;
    assert.equal(
      await code(buildImage({ home: w.home, tag: `127.0.0.1:${bport}/demo:x`, push: true })),
      'HFX_E_REGISTRY',
    );
    assert.equal(
      await code(
        buildImage({ home: w.home, tag: 'demo:x', oci: join(d, 'x'), base: `${reg.host}/hfx-${RUN}/nothing:1` }),
      ),
      'HFX_E_NOT_FOUND',
    );

    // drift: same size, other content → caught when the layer is built (fresh cache)
    const f = join(w.home, 'conf/server.toml');
    const orig = readFileSync(f);
    writeFileSync(f, orig.toString().replace('9443', '9999'));
    try {
      assert.equal(await code(buildImage({ home: w.home, oci: join(d, 'x'), cacheDir: join(d, 'c1') })), 'HFX_E_DRIFT');
      assert.ok(!existsSync(join(d, 'c1', 'layers')) || sh('ls', [join(d, 'c1', 'layers')]).trim() === '');
    } finally {
      writeFileSync(f, orig);
    }
    // drift of size with a cached layer → caught by the stat check
    await buildImage({ home: w.home, oci: join(d, 'x'), cacheDir: join(d, 'c2') });
    writeFileSync(f, orig.toString() + '#');
    try {
      assert.equal(await code(buildImage({ home: w.home, oci: join(d, 'x'), cacheDir: join(d, 'c2') })), 'HFX_E_DRIFT');
    } finally {
      writeFileSync(f, orig);
    }
    rmSync(join(d, 'x'), { recursive: true, force: true });
  });

  test('basic auth against an htpasswd registry: right, wrong and missing password', async (t) => {
    const r = await startRegistry({ htpasswd: htpasswdLine('alice', 's3cret') });
    t.after(() => r.stop());
    const tag = `${r.host}/hfx-${RUN}/auth:1`;
    assert.equal(await code(buildImage({ home: w.home, tag, push: true })), 'HFX_E_AUTH');
    assert.equal(
      await code(buildImage({ home: w.home, tag, push: true, creds: { username: 'alice', password: 'wrong' } })),
      'HFX_E_AUTH',
    );
    const ok = await buildImage({ home: w.home, tag, push: true, creds: { username: 'alice', password: 's3cret' } });
    assert.equal(ok.push!.blobsUploaded, 2);
    const info = JSON.parse(
      sh('skopeo', ['inspect', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${tag}`]),
    ) as { Digest: string };
    assert.equal(info.Digest, ok.manifestDigest);
  });

  test('bearer token auth: the challenge flow', async (t) => {
    // A small token service in front of the plain registry: /v2/ answers 401 Bearer until a token comes.
    const { createServer } = await import('node:http');
    const token = 'tok-123';
    let tokenRequests = 0;
    const srv = createServer((req, res) => {
      if (req.url!.startsWith('/token')) {
        tokenRequests++;
        const ok = req.headers.authorization === `Basic ${Buffer.from('bob:pw').toString('base64')}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(ok ? JSON.stringify({ token }) : '{}');
        return;
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="http://127.0.0.1:${(srv.address() as { port: number }).port}/token",service="test",scope="repository:hfx/bearer:pull,push"`,
        });
        res.end();
        return;
      }
      // proxy to the real registry
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      const proxy = async () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && !['host', 'authorization', 'content-length', 'connection'].includes(k))
            headers[k] = v;
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const withBody = body && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {};
        const up = await fetch(`http://${reg.host}${req.url!}`, {
          method: req.method!,
          headers,
          ...withBody,
          redirect: 'manual',
        });
        const h: Record<string, string> = {};
        up.headers.forEach((v, k) => {
          if (k === 'location')
            h[k] = v.replace(`http://${reg.host}`, `http://127.0.0.1:${(srv.address() as { port: number }).port}`);
          else if (!['content-encoding', 'transfer-encoding', 'connection'].includes(k)) h[k] = v;
        });
        const b = Buffer.from(await up.arrayBuffer());
        res.writeHead(up.status, h);
        res.end(req.method === 'HEAD' ? undefined : b);
      };
      req.on('end', () => void proxy());
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    t.after(() => srv.close());
    const host = `127.0.0.1:${(srv.address() as { port: number }).port}`;
    assert.equal(
      await code(
        buildImage({
          home: w.home,
          tag: `${host}/hfx-${RUN}/bearer:1`,
          push: true,
          creds: { username: 'bob', password: 'no' },
        }),
      ),
      'HFX_E_AUTH',
    );
    const r = await buildImage({
      home: w.home,
      tag: `${host}/hfx-${RUN}/bearer:1`,
      push: true,
      creds: { username: 'bob', password: 'pw' },
    });
    assert.ok(tokenRequests >= 2);
    const info = JSON.parse(
      sh('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/hfx-${RUN}/bearer:1`]),
    ) as { Digest: string };
    assert.equal(info.Digest, r.manifestDigest);
  });

  test('the CLI: create-docker alias, --json, --entrypoint/--env/--user/--workdir/--label, SOURCE_DATE_EPOCH', async (t) => {
    const d = tmp(t);
    const run = async (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      stdout.on('data', (c: Buffer) => (out += c.toString()));
      stderr.on('data', (c: Buffer) => (out += c.toString()));
      const io = { cwd: d, env: { NO_COLOR: '1', ...env }, stdout, stderr };
      const o = new Output(io, argv.includes('--json'));
      try {
        return { code: await imageCommand.run(parse(imageCommand, argv), makeCtx(io, o)), out };
      } catch (e) {
        return { code: o.error(e), out };
      }
    };
    assert.ok(imageCommand.aliases?.includes('create-docker'));
    assert.ok(imageCommand.examples.every((e) => e.startsWith('$ hfx')));
    const r = await run(
      [
        '--home',
        w.home,
        '--oci',
        'o',
        '--json',
        '--entrypoint',
        '["/opt/demo/bin/server.sh","run"]',
        '--env',
        'JAVA_OPTS=-Xmx1g',
        '--user',
        '1000',
        '--workdir',
        '/opt/demo/bin',
        '--label',
        'vendor=acme',
      ],
      { SOURCE_DATE_EPOCH: '1700000000' },
    );
    assert.equal(r.code, 0, r.out);
    const res = JSON.parse(r.out) as ImageResult & { ok: boolean };
    const cfg = JSON.parse(readFileSync(join(d, 'o', 'blobs', 'sha256', res.configDigest.slice(7)), 'utf8')) as {
      created: string;
      config: Record<string, unknown>;
    };
    assert.equal(cfg.created, '2023-11-14T22:13:20Z');
    assert.deepEqual(cfg.config.Entrypoint, ['/opt/demo/bin/server.sh', 'run']);
    assert.deepEqual(cfg.config.Env, ['JAVA_OPTS=-Xmx1g']);
    assert.equal(cfg.config.User, '1000');
    assert.equal(cfg.config.WorkingDir, '/opt/demo/bin');
    assert.equal((cfg.config.Labels as Record<string, string>).vendor, 'acme');
    assert.equal((await run(['--home', w.home, '--oci', 'o', '--env', 'novalue'])).code, 2);
    assert.equal((await run(['--home', w.home, '--oci', 'o'], { SOURCE_DATE_EPOCH: 'yesterday' })).code, 2);
    assert.equal((await run(['--home', w.home, '--oci', 'o', '--bogus'])).code, 2);
    const human = await run(['--home', w.home, '--oci', 'o']);
    assert.equal(human.code, 0);
    assert.match(human.out, /demo:1\.0\.0\.0/);
  });
});
