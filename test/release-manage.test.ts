import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { makeReleaseCommand, type ReleaseCommandDeps } from '../src/cli/commands/release/index.js';
import { HfxError } from '../src/errors.js';
import type { ReleaseManifest } from '../src/release/schema.js';
import { parse } from '../src/cli/command.js';
import { runCommand, type CliResult } from './helpers/cli.js';
import { snapshot, tmp } from './helpers/fixtures.js';
import { releaseManifest } from './helpers/release.js';

// ---- helpers (kept in this file: test/helpers/ belongs to everyone) ----

type Run = CliResult;

const NOW = '2026-03-04T05:06:07.000Z';

async function release(args: string[], o: { cwd: string; deps?: ReleaseCommandDeps }): Promise<Run> {
  const cmd = makeReleaseCommand({ now: () => new Date(NOW), ...o.deps });
  return runCommand(cmd, args, { cwd: o.cwd, env: { PATH: process.env.PATH, NO_COLOR: '1' } });
}

const SHA = (c: string) => c.repeat(64);

function repo(t: TestContext, files: Record<string, Record<string, unknown> | string>): { cwd: string; dir: string } {
  const cwd = tmp(t, 'hfx-release-');
  const dir = join(cwd, 'releases');
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return { cwd, dir };
}

const draft = (version: string, extra: Record<string, unknown> = {}) =>
  releaseManifest(version, { status: 'draft', published_at: undefined, base: '1.7.0', hotfixes: ['HF-1'], ...extra });

// ---- list ----

test('list: every release in version order, the build configuration and stray files left out', async (t) => {
  const { cwd, dir } = repo(t, {
    '1.10.0.json': releaseManifest('1.10.0'),
    '1.9.0.json': releaseManifest('1.9.0', { channels: [] }),
    '1.7.1.json': draft('1.7.1'),
    '1.7.1-rc.1.json': draft('1.7.1-rc.1'),
    '1.7.0.json': releaseManifest('1.7.0'),
    'hfx-release.config.json': { images: {} },
    'README.md': 'notes',
    'latest.json': '{}',
  });
  const j = await release(['list', '--json'], { cwd });
  assert.equal(j.code, 0);
  assert.equal(j.json.dir, dir);
  assert.deepEqual(
    j.json.releases.map((r: { version: string }) => r.version),
    ['1.7.0', '1.7.1-rc.1', '1.7.1', '1.9.0', '1.10.0'],
  );
  assert.deepEqual(j.json.releases[2], {
    version: '1.7.1',
    name: 'acme-platform',
    status: 'draft',
    released_at: '2026-01-01T00:00:00.000Z',
    base: '1.7.0',
    channels: ['stable'],
  });
  const h = await release(['list'], { cwd });
  assert.equal(h.code, 0);
  assert.match(
    h.stdout,
    /^VERSION\s+STATUS\s+RELEASED\s+BASE\s+CHANNELS\n1\.7\.0\s+published\s+2026-01-01T00:00:00\.000Z\s+-\s+stable\n/,
  );
  assert.match(h.stdout, /1\.9\.0\s+published\s+\S+\s+-\s+-\n/);
  assert.match(h.stderr, /latest\.json is not named <version>\.json: ignored/);
  const empty = repo(t, {});
  assert.match((await release(['list'], { cwd: empty.cwd })).stdout, /no releases in/);
});

test('list fails on an invalid manifest, naming each; and on a missing directory', async (t) => {
  const { cwd } = repo(t, {
    '1.7.0.json': releaseManifest('1.7.0'),
    '1.7.1.json': releaseManifest('1.7.2'),
    '1.7.3.json': '{ not json',
    '1.7.4.json': releaseManifest('1.7.4', { images: { ui: 'nginx:1.25' } }),
  });
  const r = await release(['list', '--json'], { cwd });
  assert.equal(r.code, 4);
  assert.equal(r.json.error.code, 'HFX_E_MANIFEST');
  assert.match(r.json.error.message, /^3 invalid release manifests: .*1\.7\.1\.json holds version 1\.7\.2/);
  assert.deepEqual(
    r.json.error.details.map((d: { file: string }) => d.file.replace(/.*\//, '')),
    ['1.7.1.json', '1.7.3.json', '1.7.4.json'],
  );
  assert.match(r.json.error.details[1].error.message, /not JSON/);
  assert.match(r.json.error.details[2].error.message, /docker\.io\/library\/nginx:1\.25/);
  const none = await release(['list', '--dir', 'nowhere'], { cwd });
  assert.equal(none.error?.code, 'HFX_E_NOT_FOUND');
  assert.match(none.error.message, /no releases directory/);
});

// ---- show ----

test('show: the manifest, in JSON and as text', async (t) => {
  const { cwd, dir } = repo(t, {
    '1.7.1.json': draft('1.7.1', { notes: 'line one\nline two' }),
    '1.7.0.json': releaseManifest('1.7.0'),
  });
  const j = await release(['show', '1.7.1', '--json'], { cwd });
  assert.equal(j.code, 0);
  assert.deepEqual(j.json.release, JSON.parse(readFileSync(join(dir, '1.7.1.json'), 'utf8')));
  assert.equal(j.json.file, join(dir, '1.7.1.json'));
  const h = await release(['show', '1.7.1', '--dir', dir], { cwd: '/' });
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^acme-platform 1\.7\.1 {2}draft/);
  assert.match(h.stdout, /base {6}1\.7\.0\n {2}hotfixes {2}HF-1\n/);
  assert.match(h.stdout, /api {2}registry\.example\.com:5000\/team\/api:1\.7\.1\n/);
  assert.match(h.stdout, /notes:\n {4}line one\n {4}line two\n/);
});

test('show refuses unknown, malformed and mismatched versions', async (t) => {
  const { cwd } = repo(t, {
    '1.7.0.json': releaseManifest('1.7.0', { extra: true }),
    '1.7.1.json': releaseManifest('1.7.2'),
  });
  const cases: [string[], string, RegExp][] = [
    [['show', '1.6.0'], 'HFX_E_NOT_FOUND', /no release 1\.6\.0/],
    [['show', '../etc/passwd'], 'HFX_E_USAGE', /not a semantic version/],
    [['show'], 'HFX_E_USAGE', /missing/],
    [['show', '1.7.0', '1.7.1'], 'HFX_E_USAGE', /too many arguments/],
    [['show', '1.7.0'], 'HFX_E_MANIFEST', /extra/],
    [['show', '1.7.1'], 'HFX_E_MANIFEST', /holds version 1\.7\.2/],
  ];
  for (const [args, code, msg] of cases) {
    const r = await release(args, { cwd });
    assert.equal(r.error?.code, code, args.join(' '));
    assert.match(r.error.message, msg, args.join(' '));
  }
});

// ---- diff ----

test('diff: images added, removed and changed with old → new, components, notes, channels, hotfixes, commit', async (t) => {
  const a = releaseManifest('1.7.0', {
    images: { api: 'registry.example.com:5000/team/api:1.7.0', ui: 'docker.io/library/nginx:1.25', old: 'r.io/old:1' },
    components: { schema: '41', cli: '1' },
    channels: ['stable', 'lts'],
  });
  const b = draft('1.7.1', {
    images: {
      api: `registry.example.com:5000/team/api@sha256:${SHA('d')}`,
      ui: 'docker.io/library/nginx:1.25',
      metrics: 'r.io/metrics:2',
    },
    components: { schema: '42', agent: '3' },
    channels: ['stable', 'beta'],
    hotfixes: ['HF-1', 'HF-2'],
    commit: 'd'.repeat(40),
    notes: 'Fix token expiry',
  });
  const { cwd } = repo(t, { '1.7.0.json': a, '1.7.1.json': b });
  const j = await release(['diff', '1.7.0', '1.7.1', '--json'], { cwd });
  assert.equal(j.code, 0);
  const { ok: _ok, ...d } = j.json;
  assert.deepEqual(d, {
    from: '1.7.0',
    to: '1.7.1',
    images: {
      added: [{ name: 'metrics', value: 'r.io/metrics:2' }],
      removed: [{ name: 'old', value: 'r.io/old:1' }],
      changed: [
        {
          name: 'api',
          from: 'registry.example.com:5000/team/api:1.7.0',
          to: `registry.example.com:5000/team/api@sha256:${SHA('d')}`,
        },
      ],
    },
    components: {
      added: [{ name: 'agent', value: '3' }],
      removed: [{ name: 'cli', value: '1' }],
      changed: [{ name: 'schema', from: '41', to: '42' }],
    },
    channels: { added: ['beta'], removed: ['lts'] },
    hotfixes: { added: ['HF-1', 'HF-2'], removed: [] },
    notes: { from: 'release 1.7.0', to: 'Fix token expiry' },
    commit: { from: 'c'.repeat(40), to: 'd'.repeat(40) },
    same: false,
  });
  const h = await release(['diff', '1.7.0', '1.7.1'], { cwd });
  assert.match(
    h.stdout,
    /^1\.7\.0 → 1\.7\.1\n {2}images:\n {4}~ api\s+registry\.example\.com:5000\/team\/api:1\.7\.0 → registry\.example\.com:5000\/team\/api@sha256:d+\n {4}\+ metrics\s+r\.io\/metrics:2\n {4}- old\s+r\.io\/old:1\n/,
  );
  assert.match(h.stdout, /channels: \+beta -lts\n/);
  assert.match(h.stdout, /hotfixes: \+HF-1 \+HF-2\n/);
  assert.match(h.stdout, /notes:\n {4}- release 1\.7\.0\n {4}\+ Fix token expiry\n/);
  // Reverse direction, and a release against itself.
  const back = await release(['diff', '1.7.1', '1.7.0', '--json'], { cwd });
  assert.deepEqual(back.json.hotfixes, { added: [], removed: ['HF-1', 'HF-2'] });
  const same = await release(['diff', '1.7.0', '1.7.0'], { cwd });
  assert.match(same.stdout, /no differences/);
});

test('diff refuses unknown versions and a wrong number of arguments', async (t) => {
  const { cwd } = repo(t, { '1.7.0.json': releaseManifest('1.7.0') });
  assert.equal((await release(['diff', '1.7.0', '1.8.0'], { cwd })).error?.code, 'HFX_E_NOT_FOUND');
  assert.equal((await release(['diff', '1.7.0'], { cwd })).error?.code, 'HFX_E_USAGE');
  assert.equal((await release(['diff', '1.7.0', '1.7.0', '1.7.0'], { cwd })).error?.code, 'HFX_E_USAGE');
});

// ---- publish ----

test('publish: draft → published with published_at, in the manifest itself, atomically; twice is an error', async (t) => {
  const { cwd, dir } = repo(t, { '1.7.0.json': releaseManifest('1.7.0'), '1.7.1.json': draft('1.7.1') });
  const before = JSON.parse(readFileSync(join(dir, '1.7.1.json'), 'utf8'));
  const r = await release(['publish', '1.7.1', '--json'], { cwd });
  assert.equal(r.code, 0, r.stdout);
  const after = JSON.parse(readFileSync(join(dir, '1.7.1.json'), 'utf8'));
  assert.deepEqual(after, { ...before, status: 'published', published_at: NOW });
  assert.deepEqual(Object.keys(after).slice(0, 4), ['name', 'version', 'status', 'published_at']);
  assert.deepEqual(r.json.release, after);
  assert.deepEqual(r.json.targets, []);
  assert.deepEqual(readdirSync(dir).sort(), ['1.7.0.json', '1.7.1.json'], 'no temp file left');

  const snap = snapshot(dir);
  const again = await release(['publish', '1.7.1'], { cwd });
  assert.equal(again.error?.code, 'HFX_E_ALREADY_PUBLISHED');
  assert.equal(again.code, 8);
  assert.match(
    again.stderr,
    /HFX_E_ALREADY_PUBLISHED: release 1\.7\.1 is already published \(at 2026-03-04T05:06:07\.000Z\)/,
  );
  assert.deepEqual(snapshot(dir), snap);
  assert.equal((await release(['publish', '1.7.0'], { cwd })).error?.code, 'HFX_E_ALREADY_PUBLISHED');
  assert.equal((await release(['publish', '1.7.9'], { cwd })).error?.code, 'HFX_E_NOT_FOUND');
  assert.equal((await release(['publish'], { cwd })).error?.code, 'HFX_E_USAGE');
  assert.deepEqual(snapshot(dir), snap);
});

test('publish: other targets are told first; a failing target leaves the draft as it was', async (t) => {
  const { cwd, dir } = repo(t, { '1.7.1.json': draft('1.7.1') });
  const seen: ReleaseManifest[] = [];
  const failing = {
    name: 'server https://hfx.example.com',
    publish: () => Promise.reject(new HfxError('HFX_E_IO', 'connection refused')),
  };
  const snap = snapshot(dir);
  const mirror = {
    name: 'mirror',
    publish: (m: ReleaseManifest) => {
      seen.push(m);
      return Promise.resolve();
    },
  };
  const bad = await release(['publish', '1.7.1'], { cwd, deps: { targets: [mirror, failing] } });
  assert.equal(bad.error?.code, 'HFX_E_IO');
  assert.deepEqual(snapshot(dir), snap);
  assert.equal(seen[0]?.status, 'published');
  const ok = await release(['publish', '1.7.1', '--json'], { cwd, deps: { targets: [mirror] } });
  assert.equal(ok.code, 0);
  assert.deepEqual(ok.json.targets, ['mirror']);
  assert.equal(seen.length, 2);
  assert.equal(JSON.parse(readFileSync(join(dir, '1.7.1.json'), 'utf8')).status, 'published');
});

// ---- the command line ----

test('release: subcommands and flags are checked', async (t) => {
  const { cwd } = repo(t, { '1.7.0.json': releaseManifest('1.7.0') });
  const cases: [string[], RegExp][] = [
    [[], /subcommand is missing/],
    [['ship'], /unknown subcommand "ship"/],
    [['list', 'extra'], /too many arguments/],
    [['list', '--build', 'api'], /--build is a flag of `hfx release new`/],
    [['publish', '1.7.0', '--yes'], /--yes is a flag/],
    [['new', 'extra', '--base', '1.7.0'], /too many arguments/],
  ];
  for (const [args, msg] of cases) {
    const r = await release(args, { cwd });
    assert.equal(r.error?.code, 'HFX_E_USAGE', args.join(' '));
    assert.match(r.error.message, msg, args.join(' '));
    assert.equal(r.code, 2);
  }
  const cmd = makeReleaseCommand();
  assert.ok(cmd.examples.every((e) => e.startsWith('$ hfx') || e.startsWith('      ')));
  assert.throws(
    () => parse(cmd, ['list', '--frobnicate']),
    (e: unknown) => e instanceof HfxError && e.code === 'HFX_E_USAGE',
  );
});
