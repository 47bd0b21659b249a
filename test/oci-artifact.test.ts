// hfx archives as OCI artifacts (docs/oci.md): `hfx push --oci` to a real docker-registry, with and
// without basic auth; what `skopeo inspect --raw` sees; `skopeo copy` to another registry and to an
// OCI layout, and `hfx apply|update` from each onto a real installation, byte-identical to applying
// the file; and every refusal (tampered blob, other media types, a tag holding another archive,
// missing tags, an unreachable registry, bad flags) with its code and nothing changed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from '../src/image/registry.js';
import {
  ARTIFACT_TYPE,
  EMPTY_CONFIG,
  EMPTY_CONFIG_BYTES,
  LAYER_MEDIA_TYPE,
  MANIFEST_MEDIA_TYPE,
  archiveTag,
  artifactManifest,
} from '../src/oci/artifact.js';
import { parseArchiveSource, parseRegistryRepo } from '../src/oci/reference.js';
import { revertHotfix } from '../src/engine/ops/revert.js';
import { applyHotfix } from '../src/engine/ops/apply.js';
import { hfx, type CliResult } from './helpers/cli.js';
import { snapshot, tmp, world, type World } from './helpers/fixtures.js';
import { freePort, htpasswdLine, registryForTests, startRegistry, type TestRegistry } from './helpers/registry.js';
import { requireTools } from './helpers/tools.js';
import { maybe } from './helpers/hooks.js';

const RUN = `oci${process.pid}x${Date.now().toString(36)}`;
const ENV = { NO_COLOR: '1' };

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The pack and the state an installation is in: equal means nothing changed. */
function everything(home: string): { pack: Record<string, string>; state: string } {
  return { pack: snapshot(home), state: readFileSync(join(home, '.hfx', 'state.json'), 'utf8') };
}

function code(r: CliResult): string {
  return r.code === 0
    ? 'ok'
    : ((r.json as { error?: { code?: string } } | undefined)?.error?.code ?? `exit ${r.code}: ${r.stderr}`);
}

describe('archives as OCI artifacts', () => {
  let reg: TestRegistry;
  let other: TestRegistry;
  let w: World;
  let hf1: string;
  let hf2: string;
  let fileSnapshot: Record<string, string>;
  const suite = { after: (fn: () => void) => cleanups.push(fn) };
  const cleanups: (() => void)[] = [];

  before(async () => {
    requireTools('docker-registry', 'skopeo', 'htpasswd');
    reg = await registryForTests();
    other = await startRegistry();
    w = await world(suite);
    // Kept apart: a later test makes another archive with this id, which diff writes to the same name.
    hf1 = join(tmp(suite, 'hfx-oci-'), 'HF-OCI-1.zip');
    cpSync(
      await w.hotfix('HF-OCI-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'core 1.0.1 from a registry\n'), {
        severity: 'S2',
      }),
      hf1,
    );
    hf2 = await w.hotfix('HF-OCI-2', (d) => writeFileSync(join(d, 'docs/README'), 'other\n'));
    // What applying the file gives: every other way must give the same pack.
    const before0 = everything(w.home);
    await applyHotfix({ home: w.home, archive: hf1 });
    fileSnapshot = snapshot(w.home);
    await revertHotfix({ home: w.home });
    assert.deepEqual(everything(w.home).pack, before0.pack);
  });
  after(async () => {
    await maybe(reg)?.stop();
    await maybe(other)?.stop();
    for (const f of cleanups) f();
  });

  /** Applies from `source` (CLI, in-process), checks the pack is the file's, and reverts. */
  async function applyAndCompare(source: string, env: NodeJS.ProcessEnv = ENV): Promise<void> {
    const r = await hfx(['apply', source, '--home', w.home, '--json'], { env });
    assert.equal(r.code, 0, `${source}: ${r.stdout}${r.stderr}`);
    assert.equal(r.json.id, 'HF-OCI-1');
    assert.deepEqual(snapshot(w.home), fileSnapshot, `${source}: the pack is as applying the file leaves it`);
    assert.deepEqual(readdirSync(join(w.home, '.hfx', 'downloads')), [], 'the download is removed once applied');
    await revertHotfix({ home: w.home });
  }

  test("hfx push --oci: an artifact with hfx's artifactType, the empty config and the ZIP as its one layer, as skopeo sees it", async () => {
    const r = await hfx(['push', hf1, '--oci', `${reg.host}/${RUN}/demo`, '--json'], { env: ENV });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json.tag, 'HF-OCI-1');
    assert.equal(r.json.existed, false);
    const zip = readFileSync(hf1);
    const raw = sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/${RUN}/demo:HF-OCI-1`]);
    assert.equal(
      `sha256:${sha256(Buffer.from(raw))}`,
      r.json.manifestDigest,
      'skopeo reads the manifest hfx pushed, byte for byte',
    );
    const m = JSON.parse(raw) as Record<string, unknown>;
    assert.equal(m.schemaVersion, 2);
    assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(m.artifactType, 'application/vnd.hfx.archive.v1');
    assert.deepEqual(m.config, {
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
      data: 'e30=',
    });
    assert.deepEqual(m.layers, [
      {
        mediaType: 'application/vnd.hfx.archive.v1+zip',
        digest: `sha256:${sha256(zip)}`,
        size: zip.length,
        annotations: { 'org.opencontainers.image.title': 'HF-OCI-1.zip' },
      },
    ]);
    assert.deepEqual(m.annotations, {
      'dev.hfx.archive.id': 'HF-OCI-1',
      'dev.hfx.archive.kind': 'hotfix',
      'dev.hfx.archive.product': 'demo',
      'dev.hfx.archive.release': '1.0.0',
      'dev.hfx.archive.level': '0',
      'dev.hfx.archive.severity': 'S2',
      'org.opencontainers.image.created': '2026-01-01T00:00:00.000Z',
    });
    // The config blob is in the registry too, for registries and tools that do not read `data`.
    assert.equal(
      sh('skopeo', ['inspect', '--raw', '--config', '--tls-verify=false', `docker://${reg.host}/${RUN}/demo:HF-OCI-1`]),
      '{}',
    );
    // Pushing again changes nothing and says so.
    const again = await hfx(['push', hf1, '--oci', `oci://${reg.host}/${RUN}/demo`, '--json'], { env: ENV });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(again.json.existed, true);
    assert.equal(again.json.manifestDigest, r.json.manifestDigest);
  });

  test('hfx apply oci://REGISTRY/REPO:ID: the pack is byte-identical to applying the file; hfx update oci:// for an update', async () => {
    await applyAndCompare(`oci://${reg.host}/${RUN}/demo:HF-OCI-1`);
    // By digest too.
    const digest = (await hfx(['push', hf1, '--oci', `${reg.host}/${RUN}/demo`, '--json'], { env: ENV })).json
      .manifestDigest as string;
    await applyAndCompare(`oci://${reg.host}/${RUN}/demo@${digest}`);
    // An update archive, pushed and taken the same way.
    const upd = await w.hotfix('UPD-OCI-1', (d) => writeFileSync(join(d, 'lib/util.jar'), 'util 1.1\n'), {
      kind: 'update',
      toLevel: 1,
    });
    assert.equal((await hfx(['push', upd, '--oci', `${reg.host}/${RUN}/demo`], { env: ENV })).code, 0);
    const u = await hfx(['update', `oci://${reg.host}/${RUN}/demo:UPD-OCI-1`, '--home', w.home, '--json'], {
      env: ENV,
    });
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.equal(u.json.toLevel, 1);
    assert.equal(readFileSync(join(w.home, 'lib/util.jar'), 'utf8'), 'util 1.1\n');
    assert.equal((await hfx(['update', '--revert', '--home', w.home], { env: ENV })).code, 0);
  });

  test('skopeo copy to another registry and to an OCI layout (a USB disk): hfx apply from each gives the same pack', async () => {
    sh('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${reg.host}/${RUN}/demo:HF-OCI-1`,
      `docker://${other.host}/mirror/demo:HF-OCI-1`,
    ]);
    await applyAndCompare(`oci://${other.host}/mirror/demo:HF-OCI-1`);
    const usb = tmp(suite, 'hfx-usb-');
    sh('skopeo', [
      'copy',
      '--src-tls-verify=false',
      `docker://${reg.host}/${RUN}/demo:HF-OCI-1`,
      `oci:${join(usb, 'hfx')}:HF-OCI-1`,
    ]);
    sh('skopeo', [
      'copy',
      '--src-tls-verify=false',
      `docker://${other.host}/mirror/demo:HF-OCI-1`,
      `oci:${join(usb, 'hfx')}:also-this`,
    ]);
    await applyAndCompare(`oci-layout:${join(usb, 'hfx')}:HF-OCI-1`);
    // A relative directory is taken from the working directory.
    const r = await hfx(['apply', 'oci-layout:hfx:HF-OCI-1', '--home', w.home], { env: ENV, cwd: usb });
    assert.equal(r.code, 0, r.stderr);
    await revertHotfix({ home: w.home });
  });

  test('a registry with basic auth: refused without a login, pushed and applied with --username/--password or HFX_REGISTRY_USER/PASSWORD', async () => {
    const auth = await startRegistry({ htpasswd: htpasswdLine('ci', 'ci-secret-1') });
    try {
      const target = `${auth.host}/hfx/demo`;
      const none = await hfx(['push', hf1, '--oci', target, '--json'], { env: ENV });
      assert.equal(code(none), 'HFX_E_AUTH');
      assert.equal(none.code, 9);
      const wrong = await hfx(['push', hf1, '--oci', target, '--username', 'ci', '--password', 'nope', '--json'], {
        env: ENV,
      });
      assert.equal(code(wrong), 'HFX_E_AUTH');
      const ok = await hfx(['push', hf1, '--oci', target, '--username', 'ci', '--password', 'ci-secret-1'], {
        env: ENV,
      });
      assert.equal(ok.code, 0, ok.stderr);
      const before1 = everything(w.home);
      const anon = await hfx(['apply', `oci://${target}:HF-OCI-1`, '--home', w.home, '--json'], { env: ENV });
      assert.equal(code(anon), 'HFX_E_AUTH');
      assert.deepEqual(everything(w.home), before1);
      await applyAndCompare(`oci://${target}:HF-OCI-1`, {
        ...ENV,
        HFX_REGISTRY_USER: 'ci',
        HFX_REGISTRY_PASSWORD: 'ci-secret-1',
      });
    } finally {
      await auth.stop();
    }
  });

  test('refused, with nothing changed: a tampered blob, other media types, a tag holding another archive, missing tags and layouts, an unreachable registry', async () => {
    // A registry of the test's own, whose storage can be tampered with on disk.
    const own = await startRegistry();
    try {
      const repo = `${own.host}/t/demo`;
      assert.equal((await hfx(['push', hf1, '--oci', repo], { env: ENV })).code, 0);
      assert.equal((await hfx(['push', hf2, '--oci', repo], { env: ENV })).code, 0);
      const start = everything(w.home);
      const refused = async (source: string, expect: string, env: NodeJS.ProcessEnv = ENV) => {
        const r = await hfx(['apply', source, '--home', w.home, '--json'], { env });
        assert.equal(code(r), expect, `${source}: ${r.stdout}${r.stderr}`);
        assert.deepEqual(everything(w.home), start, `${source}: nothing changed`);
        assert.deepEqual(
          existsSync(join(w.home, '.hfx', 'downloads')) ? readdirSync(join(w.home, '.hfx', 'downloads')) : [],
          [],
          `${source}: no download left`,
        );
        return r;
      };
      const r1 = new Registry(own.host, 't/demo', null);
      const zip1 = readFileSync(hf1);
      const zip2 = readFileSync(hf2);
      const facts = {
        id: 'HF-OCI-1',
        kind: 'hotfix' as const,
        product: 'demo',
        release: '1.0.0',
        level: 0,
        toLevel: null,
        severity: 'S2' as const,
        createdAt: '2026-01-01T00:00:00.000Z',
      };

      // A tag holding another archive (HF-OCI-2's manifest under HF-OCI-1's tag elsewhere).
      const swapped = artifactManifest({ ...facts, id: 'HF-OCI-1' }, { sha256: sha256(zip2), size: zip2.length });
      await new Registry(own.host, 't/swapped', null).putBlob(EMPTY_CONFIG.digest, EMPTY_CONFIG_BYTES);
      await new Registry(own.host, 't/swapped', null).putBlob(`sha256:${sha256(zip2)}`, zip2);
      await new Registry(own.host, 't/swapped', null).putManifest('HF-OCI-1', swapped.bytes, MANIFEST_MEDIA_TYPE);
      const s = await refused(`oci://${own.host}/t/swapped:HF-OCI-1`, 'HFX_E_ARTIFACT');
      assert.match(s.json.error.message, /holds the archive HF-OCI-2, not HF-OCI-1/);
      assert.equal(s.code, 4);

      // Another artifactType; no artifactType (an image); another layer media type; two layers.
      const variants: [string, (m: Record<string, unknown>) => void, RegExp][] = [
        [
          'other-type',
          (m) => (m.artifactType = 'application/vnd.example.sbom.v1'),
          /artifactType is "application\/vnd.example.sbom.v1"/,
        ],
        ['image', (m) => delete m.artifactType, /no artifactType/],
        [
          'layer-type',
          (m) =>
            ((m.layers as Record<string, unknown>[])[0]!.mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip'),
          /its layer is "application\/vnd.oci.image.layer.v1.tar\+gzip"/,
        ],
        ['two-layers', (m) => (m.layers as unknown[]).push((m.layers as unknown[])[0]), /2 layers/],
      ];
      for (const [tag, change, said] of variants) {
        const m = JSON.parse(
          artifactManifest(facts, { sha256: sha256(zip1), size: zip1.length }).bytes.toString(),
        ) as Record<string, unknown>;
        change(m);
        await r1.putManifest(tag, JSON.stringify(m), MANIFEST_MEDIA_TYPE);
        const r = await refused(`oci://${repo}:${tag}`, 'HFX_E_ARTIFACT');
        assert.match(r.json.error.message, said, tag);
      }
      assert.equal(ARTIFACT_TYPE, 'application/vnd.hfx.archive.v1');
      assert.equal(LAYER_MEDIA_TYPE, 'application/vnd.hfx.archive.v1+zip');

      // Missing: a tag, a repository.
      await refused(`oci://${repo}:HF-NOPE-1`, 'HFX_E_NOT_FOUND');
      await refused(`oci://${own.host}/t/nothing-here:HF-OCI-1`, 'HFX_E_NOT_FOUND');

      // The blob in the registry's storage altered on disk (same size): the digest check refuses it.
      const blob = join(
        own.dir,
        'data',
        'docker',
        'registry',
        'v2',
        'blobs',
        'sha256',
        sha256(zip1).slice(0, 2),
        sha256(zip1),
        'data',
      );
      assert.ok(existsSync(blob), blob);
      const bad = Buffer.from(zip1);
      bad[bad.length - 30] = bad[bad.length - 30]! ^ 0xff;
      writeFileSync(blob, bad);
      const t = await refused(`oci://${repo}:HF-OCI-1`, 'HFX_E_INTEGRITY');
      assert.match(t.json.error.message, /does not match its digest/);
      writeFileSync(blob, Buffer.concat([zip1, Buffer.from('more')]));
      await refused(`oci://${repo}:HF-OCI-1`, 'HFX_E_INTEGRITY');
      writeFileSync(blob, zip1);

      // An OCI layout: altered blob, missing tag, not a layout.
      const usb = tmp(suite, 'hfx-usb-');
      const lay = join(usb, 'hfx');
      sh('skopeo', ['copy', '--src-tls-verify=false', `docker://${repo}:HF-OCI-1`, `oci:${lay}:HF-OCI-1`]);
      const copy = join(usb, 'copy');
      cpSync(lay, copy, { recursive: true });
      writeFileSync(join(copy, 'blobs', 'sha256', sha256(zip1)), bad);
      await refused(`oci-layout:${copy}:HF-OCI-1`, 'HFX_E_INTEGRITY');
      const n = await refused(`oci-layout:${lay}:HF-OCI-9`, 'HFX_E_NOT_FOUND');
      assert.match(n.json.error.hint, /It holds: HF-OCI-1/);
      await refused(`oci-layout:${usb}:HF-OCI-1`, 'HFX_E_NOT_FOUND');
      rmSync(join(copy, 'blobs', 'sha256', sha256(zip1)));
      await refused(`oci-layout:${copy}:HF-OCI-1`, 'HFX_E_NOT_FOUND');

      // An unreachable registry: a network error (exit 10).
      const port = await freePort();
      const down = await refused(`oci://127.0.0.1:${port}/t/demo:HF-OCI-1`, 'HFX_E_NETWORK');
      assert.equal(down.code, 10);

      // Untrusted is still untrusted: the registry is transport, not trust.
      const stranger = await world(suite, undefined, { trust: false });
      const u = await hfx(['apply', `oci://${repo}:HF-OCI-1`, '--home', stranger.home, '--json'], { env: ENV });
      assert.equal(code(u), 'HFX_E_UNTRUSTED');
    } finally {
      await own.stop();
    }
  });

  test('flags and references: every misuse is HFX_E_USAGE (exit 2); an unsigned archive or a taken tag is refused by push', async () => {
    const usage = async (args: string[], said: RegExp) => {
      const r = await hfx([...args, '--json'], { env: ENV });
      assert.equal(code(r), 'HFX_E_USAGE', `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.code, 2);
      assert.match(r.json.error.message, said, args.join(' '));
    };
    await usage(['apply', hf1, '--home', w.home, '--username', 'u'], /--username goes with a registry/);
    await usage(['update', hf1, '--home', w.home, '--insecure'], /--insecure goes with a registry/);
    await usage(['push', hf1, '--password', 'p'], /--password goes with a registry/);
    await usage(
      ['apply', `oci://${reg.host}/${RUN}/demo:HF-OCI-1`, '--home', w.home, '--username', 'u'],
      /no password for the registry user u/,
    );
    await usage(['apply', `oci://${reg.host}/${RUN}/demo`, '--home', w.home], /name the archive/);
    await usage(['apply', `oci://${reg.host}/${RUN}/Demo:HF-OCI-1`, '--home', w.home], /must be lowercase/);
    await usage(['apply', 'oci://nohost:HF-1', '--home', w.home], /name the registry and the repository/);
    await usage(
      ['apply', `oci://${reg.host}/${RUN}/demo:bad tag`, '--home', w.home],
      /neither an archive id nor a tag/,
    );
    await usage(['apply', `oci://${reg.host}/${RUN}/demo@sha256:abc`, '--home', w.home], /not a sha256/);
    await usage(['apply', 'oci-layout:/media/usb', '--home', w.home], /name the layout directory and the archive id/);
    await usage(['push', hf1, '--oci', `${reg.host}/${RUN}/demo:HF-OCI-1`], /give the repository alone/);
    await usage(
      ['push', hf1, '--oci', `${reg.host}/${RUN}/demo`, '--customer', 'acme'],
      /--oci goes without --customer/,
    );
    await usage(['push', hf1, '--oci', 'demo'], /name the registry and the repository/);
    // Push refuses an unsigned archive, and a tag that holds another archive with the same id.
    const unsigned = await w.hotfix('HF-OCI-UNSIGNED', (d) => writeFileSync(join(d, 'docs/README'), 'u\n'), {
      signKey: undefined,
    });
    const us = await hfx(['push', unsigned, '--oci', `${reg.host}/${RUN}/demo`, '--json'], { env: ENV });
    assert.equal(code(us), 'HFX_E_UNSIGNED');
    const imposter = await w.hotfix('HF-OCI-1', (d) => writeFileSync(join(d, 'docs/README'), 'an imposter\n'));
    const taken = await hfx(['push', imposter, '--oci', `${reg.host}/${RUN}/demo`, '--json'], { env: ENV });
    assert.equal(code(taken), 'HFX_E_ALREADY_APPLIED', taken.stdout);
    assert.match(taken.json.error.message, /already holds an archive with this id and other content/);
  });

  test('ids that are not tags: HF+1 is pushed as a tag of its own and applied by its id', async () => {
    assert.equal(archiveTag('HF-1.0_2'), 'HF-1.0_2');
    const t = archiveTag('HF+1');
    assert.match(t, /^_HF_1\.[0-9a-f]{16}$/);
    assert.notEqual(archiveTag('HF+1_2'), archiveTag('HF_1+2'));
    const long = `H${'+'.repeat(127)}`;
    assert.ok(archiveTag(long).length <= 128);
    assert.match(archiveTag(long), /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/);
    const plus = await w.hotfix('HF+1', (d) => writeFileSync(join(d, 'docs/README'), 'plus\n'));
    const r = await hfx(['push', plus, '--oci', `${reg.host}/${RUN}/demo`, '--json'], { env: ENV });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json.tag, t);
    const a = await hfx(['apply', `oci://${reg.host}/${RUN}/demo:HF+1`, '--home', w.home, '--json'], { env: ENV });
    assert.equal(a.code, 0, a.stdout + a.stderr);
    assert.equal(a.json.id, 'HF+1');
    await revertHotfix({ home: w.home });
    // The references parse as documented.
    assert.deepEqual(parseRegistryRepo('oci://r.example.com:5000/hfx/am/'), {
      registry: 'r.example.com:5000',
      repository: 'hfx/am',
    });
    assert.deepEqual(
      parseArchiveSource('oci-layout:/mnt/c:d/hfx:HF+1', (p) => p),
      { kind: 'layout', dir: '/mnt/c:d/hfx', tag: t, id: 'HF+1' },
    );
  });
});
