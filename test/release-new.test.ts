import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { makeReleaseCommand, type ReleaseCommandDeps } from '../src/cli/commands/release/index.js';
import { runCommand, type CliResult } from './helpers/cli.js';
import { snapshot, tmp } from './helpers/fixtures.js';
import { releaseManifest } from './helpers/release.js';

// ---- helpers (kept in this file: test/helpers/ belongs to everyone) ----

type Run = CliResult;

async function release(
  args: string[],
  o: {
    cwd: string;
    deps?: ReleaseCommandDeps;
    stdin?: NodeJS.ReadableStream;
    env?: NodeJS.ProcessEnv;
    onStdout?: (chunk: string) => void;
  },
): Promise<Run> {
  const cmd = makeReleaseCommand({ now: () => new Date('2026-03-04T05:06:07.000Z'), ...o.deps });
  return runCommand(cmd, args, {
    cwd: o.cwd,
    env: o.env ?? { PATH: process.env.PATH, NO_COLOR: '1' },
    ...(o.stdin ? { stdin: o.stdin } : {}),
    ...(o.onStdout ? { onStdout: o.onStdout } : {}),
  });
}

const D = (s: string) =>
  execFileSync('sh', ['-c', `printf %s "${s}" | sha256sum | cut -d' ' -f1`], { encoding: 'utf8' }).trim();
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** Three images (one pinned by digest) and a component that follows the version. */
function manifest(version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return releaseManifest(version, {
    images: {
      api: `registry.example.com:5000/team/api:${version}`,
      worker: `registry.example.com:5000/team/worker:${version}@sha256:${'b'.repeat(64)}`,
      ui: 'docker.io/library/nginx:1.25',
    },
    components: { schema: '41', cli: version },
    ...extra,
  });
}

/** A repository with releases/1.7.0.json (published) and a build configuration. */
function repo(t: TestContext, builds: Record<string, string> = {}): { cwd: string; dir: string } {
  const cwd = tmp(t, 'hfx-release-');
  const dir = join(cwd, 'releases');
  mkdirSync(dir);
  writeFileSync(join(dir, '1.7.0.json'), JSON.stringify(manifest('1.7.0'), null, 2));
  writeFileSync(
    join(dir, 'hfx-release.config.json'),
    JSON.stringify({ images: Object.fromEntries(Object.entries(builds).map(([k, v]) => [k, { build: v }])) }),
  );
  return { cwd, dir };
}

const read = (dir: string, v: string) => JSON.parse(readFileSync(join(dir, `${v}.json`), 'utf8'));

/** Prints a digest made from the image name, after noise on stdout and stderr; records its environment. */
const DIGEST_BUILD =
  'echo "building $HFX_IMAGE" >&2; echo "Step 1/2 : FROM scratch"; env | grep ^HFX_ | sort > "env-$HFX_IMAGE.txt"; echo "sha256:$(printf %s "$HFX_IMAGE" | sha256sum | cut -d" " -f1)"; echo Done.';

// ---- flags ----

test('new: builds with a real shell command, sets images and components, records base, commit, notes, hotfixes', async (t) => {
  const { cwd, dir } = repo(t, { api: DIGEST_BUILD });
  const r = await release(
    [
      'new',
      '--base',
      '1.7.0',
      '--build',
      'api',
      '--set',
      'worker=registry.example.com:5000/team/worker:1.7.0-2',
      '--set-component',
      'schema=42',
      '--notes',
      'Fix token expiry',
      '--hotfix',
      'HF-1.7.0-0001,HF-1.7.0-0002',
      '--commit',
      COMMIT,
      '--yes',
    ],
    { cwd },
  );
  assert.equal(r.code, 0, r.stderr);
  const m = read(dir, '1.7.1');
  assert.deepEqual(m, {
    name: 'acme-platform',
    version: '1.7.1',
    status: 'draft',
    base: '1.7.0',
    hotfixes: ['HF-1.7.0-0001', 'HF-1.7.0-0002'],
    commit: COMMIT,
    released_at: '2026-03-04T05:06:07.000Z',
    notes: 'Fix token expiry',
    channels: ['stable'],
    images: {
      api: `registry.example.com:5000/team/api@sha256:${D('api')}`,
      worker: 'registry.example.com:5000/team/worker:1.7.0-2',
      ui: 'docker.io/library/nginx:1.25',
    },
    components: { schema: '42', cli: '1.7.0' },
  });
  assert.equal(
    readFileSync(join(cwd, 'env-api.txt'), 'utf8'),
    'HFX_BASE_REF=registry.example.com:5000/team/api:1.7.0\nHFX_IMAGE=api\nHFX_VERSION=1.7.1\n',
  );
  assert.deepEqual(
    readdirSync(dir).sort(),
    ['1.7.0.json', '1.7.1.json', 'hfx-release.config.json'],
    'no temp file left',
  );
  assert.match(r.stdout, /draft release 1\.7\.1 from 1\.7\.0/);
  assert.match(
    r.stdout,
    /~ api\s+registry\.example\.com:5000\/team\/api:1\.7\.0 → registry\.example\.com:5000\/team\/api@sha256:/,
  );
  assert.match(r.stdout, /hfx release publish 1\.7\.1/);
  // Not a terminal: the build output is captured, not copied to stderr.
  assert.doesNotMatch(r.stderr, /building api/);
});

test('new: a build may print a full reference; the last line that is one wins; --json, --version, --channel, short --set', async (t) => {
  const { cwd, dir } = repo(t, {
    api: 'echo registry.example.com:5000/team/api:old; echo registry.example.com:5000/team/api:1.8.0-hf; echo "pushed."',
    worker: 'echo "sha256:$(printf %s w | sha256sum | cut -d" " -f1)"',
  });
  const r = await release(
    [
      'new',
      '--base',
      '1.7.0',
      '--version',
      '1.8.0-hf.1',
      '--build',
      'api',
      '--build',
      'worker',
      '--set',
      'ui=nginx:1.25.4',
      '--channel',
      'beta',
      '--commit',
      'ABCDEF0',
      '--json',
    ],
    { cwd },
  );
  assert.equal(r.code, 0, r.stdout);
  assert.equal(r.json.ok, true);
  assert.equal(r.json.file, join(dir, '1.8.0-hf.1.json'));
  assert.deepEqual(r.json.built, [
    { image: 'api', ref: 'registry.example.com:5000/team/api:1.8.0-hf' },
    { image: 'worker', ref: `registry.example.com:5000/team/worker@sha256:${D('w')}` },
  ]);
  assert.deepEqual(r.json.release, read(dir, '1.8.0-hf.1'));
  assert.equal(r.json.release.images.ui, 'docker.io/library/nginx:1.25.4');
  assert.deepEqual(r.json.release.channels, ['beta']);
  assert.equal(r.json.release.commit, 'abcdef0');
  assert.equal(r.json.release.notes, '');
  assert.deepEqual(r.json.release.hotfixes, []);
});

test('new: the commit defaults to git HEAD of the cwd; hotfixes accumulate from a hotfix base', async (t) => {
  const { cwd, dir } = repo(t);
  writeFileSync(
    join(dir, '1.7.1.json'),
    JSON.stringify(manifest('1.7.1', { base: '1.7.0', hotfixes: ['HF-1'], status: 'draft', published_at: undefined })),
  );
  const env = {
    PATH: process.env.PATH,
    HOME: cwd,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@e',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@e',
  };
  execFileSync('git', ['init', '-q'], { cwd, env });
  execFileSync('git', ['add', '.'], { cwd, env });
  execFileSync('git', ['commit', '-q', '-m', 'releases'], { cwd, env });
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, env, encoding: 'utf8' }).trim();
  const r = await release(['new', '--base', '1.7.1', '--hotfix', 'HF-2', '--yes'], {
    cwd,
    env: { ...env, NO_COLOR: '1' },
  });
  assert.equal(r.code, 0, r.stderr);
  const m = read(dir, '1.7.2');
  assert.equal(m.commit, head);
  assert.equal(m.base, '1.7.1');
  assert.deepEqual(m.hotfixes, ['HF-1', 'HF-2']);
  assert.deepEqual(m.images, manifest('1.7.1').images);
});

// ---- refusals: each leaves releases/ exactly as it was ----

async function refused(
  t: TestContext,
  args: string[],
  code: string,
  message: RegExp,
  setup?: (cwd: string, dir: string) => void,
): Promise<Run> {
  const { cwd, dir } = repo(t, {
    api: 'touch built-api; echo "sha256:$(printf %s api | sha256sum | cut -d" " -f1)"',
    worker: 'echo "compiling worker"; echo "error: missing semicolon" >&2; exit 3',
    ui: 'echo "all good"; echo done',
  });
  setup?.(cwd, dir);
  const before = snapshot(dir);
  const r = await release(args.includes('--commit') ? args : [...args, '--commit', COMMIT], { cwd });
  assert.equal(r.error?.code, code, `${args.join(' ')}: ${r.stderr}`);
  assert.match(r.error.message, message);
  assert.notEqual(r.code, 0);
  assert.deepEqual(snapshot(dir), before, `${args.join(' ')} changed releases/`);
  if (code !== 'HFX_E_BUILD')
    assert.equal(existsSync(join(cwd, 'built-api')), false, 'no build ran before the refusal');
  return r;
}

test('new refuses an existing version, and suggests the next free patch', async (t) => {
  const r = await refused(
    t,
    ['new', '--base', '1.7.0', '--yes'],
    'HFX_E_RELEASE_EXISTS',
    /release 1\.7\.1 already exists/,
    (_c, dir) => {
      writeFileSync(join(dir, '1.7.1.json'), JSON.stringify(manifest('1.7.1')));
      writeFileSync(join(dir, '1.7.2.json'), JSON.stringify(manifest('1.7.2')));
    },
  );
  assert.match(r.error!.hint!, /1\.7\.3/);
  assert.equal(r.code, 8);
  await refused(
    t,
    ['new', '--base', '1.7.0', '--version', '1.7.0', '--build', 'api'],
    'HFX_E_RELEASE_EXISTS',
    /1\.7\.0 already exists/,
  );
});

test('new refuses an unknown base, unknown images and components, bad values', async (t) => {
  await refused(t, ['new', '--base', '1.6.0', '--build', 'api'], 'HFX_E_NOT_FOUND', /no release 1\.6\.0/);
  const img = await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api', '--build', 'db'],
    'HFX_E_NOT_FOUND',
    /no image named "db"/,
  );
  assert.match(img.error!.hint!, /api, worker, ui/);
  await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api', '--set', 'db=r.io/db:1'],
    'HFX_E_NOT_FOUND',
    /no image named "db"/,
  );
  await refused(
    t,
    ['new', '--base', '1.7.0', '--set-component', 'kernel=5'],
    'HFX_E_NOT_FOUND',
    /no component named "kernel"/,
  );
  await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api', '--set', 'ui=NGINX:1'],
    'HFX_E_USAGE',
    /invalid image reference/,
  );
  await refused(t, ['new', '--base', '1.7.0', '--set', 'ui=nginx'], 'HFX_E_USAGE', /tag or a digest/);
  await refused(t, ['new', '--base', '1.7.0', '--set', 'ui'], 'HFX_E_USAGE', /NAME=VALUE/);
  await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api', '--set', 'api=r.io/api:1'],
    'HFX_E_USAGE',
    /both built/,
  );
  await refused(t, ['new', '--base', '1.7.0', '--version', 'v2'], 'HFX_E_USAGE', /not a semantic version/);
  await refused(t, ['new', '--base', '1.7.0', '--hotfix', 'HF 1'], 'HFX_E_USAGE', /hotfix id/);
  await refused(t, ['new', '--base', '1.7.0', '--commit', 'main'], 'HFX_E_USAGE', /not a git commit/);
  await refused(t, ['new', '--base', '../1.7.0'], 'HFX_E_USAGE', /not a semantic version/);
});

test('new refuses missing flags without a terminal: no prompts in scripts and CI', async (t) => {
  await refused(t, ['new', '--build', 'api'], 'HFX_E_USAGE', /--base is required/);
  const { cwd, dir } = repo(t);
  const before = snapshot(dir);
  // Not a git work tree and no --commit.
  const r = await release(['new', '--base', '1.7.0', '--json'], { cwd, stdin: new PassThrough() });
  assert.equal(r.code, 2);
  assert.equal(r.json.error.code, 'HFX_E_USAGE');
  assert.match(r.json.error.message, /--commit is required/);
  assert.deepEqual(snapshot(dir), before);
});

test('new: a failing build shows its output and writes nothing', async (t) => {
  const r = await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api,worker'],
    'HFX_E_BUILD',
    /the build of worker failed \(exit 3\)/,
  );
  assert.match(r.error!.message, /compiling worker/);
  assert.match(r.error!.message, /missing semicolon/);
  assert.match(r.stderr, /missing semicolon/);
  assert.equal(r.code, 1);
  assert.deepEqual((r.error!.details as { exitCode: number }).exitCode, 3);
});

test('new: a build that names no reference, or has no build command, writes nothing', async (t) => {
  await refused(t, ['new', '--base', '1.7.0', '--build', 'ui'], 'HFX_E_BUILD', /printed no image reference/);
  await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api'],
    'HFX_E_BUILD',
    /no build command for it/,
    (_c, dir) => {
      writeFileSync(join(dir, 'hfx-release.config.json'), JSON.stringify({ images: { ui: { build: 'true' } } }));
    },
  );
  await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api'],
    'HFX_E_BUILD',
    /there is no .*hfx-release\.config\.json/,
    (_c, dir) => {
      execFileSync('rm', [join(dir, 'hfx-release.config.json')]);
    },
  );
  await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api'],
    'HFX_E_BUILD',
    /not a valid build configuration/,
    (_c, dir) => {
      writeFileSync(
        join(dir, 'hfx-release.config.json'),
        JSON.stringify({ images: { api: { build: 'true', timeout: 5 } } }),
      );
    },
  );
  await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api'],
    'HFX_E_BUILD',
    /hfx-release\.config\.json is not JSON/,
    (_c, dir) => {
      writeFileSync(join(dir, 'hfx-release.config.json'), '{"images": ');
    },
  );
  // JSON null is a value, not a missing file: refused, not taken as "no configuration".
  await refused(
    t,
    ['new', '--base', '1.7.0', '--build', 'api'],
    'HFX_E_BUILD',
    /not a valid build configuration/,
    (_c, dir) => {
      writeFileSync(join(dir, 'hfx-release.config.json'), 'null');
    },
  );
  await refused(t, ['new', '--base', '1.7.0', '--build', 'api'], 'HFX_E_BUILD', /is larger than/, (_c, dir) => {
    writeFileSync(join(dir, 'hfx-release.config.json'), `{"images": {}, "x": "${'a'.repeat(4 * 1024 * 1024)}"}`);
  });
});

test('new: an invalid base manifest is refused with HFX_E_MANIFEST', async (t) => {
  await refused(
    t,
    ['new', '--base', '1.7.0'],
    'HFX_E_MANIFEST',
    /images\.ui: write the reference in full/,
    (_c, dir) => {
      writeFileSync(join(dir, '1.7.0.json'), JSON.stringify(manifest('1.7.0', { images: { ui: 'nginx:1.25' } })));
    },
  );
});

// ---- interactive ----

/** Scripted answers: each question must match the next pattern. */
function script(t: TestContext, steps: [RegExp, string][]): { ask: (q: string) => Promise<string>; asked: string[] } {
  const asked: string[] = [];
  t.after(() => assert.equal(steps.length, 0, `unanswered: ${steps.map((s) => s[0]).join(', ')}`));
  return {
    asked,
    ask: (q) => {
      asked.push(q);
      const next = steps.shift();
      if (!next) throw new Error(`unexpected question: ${q}`);
      assert.match(q, next[0]);
      return Promise.resolve(next[1]);
    },
  };
}

test('interactive: which base (numbered), which images to build (multi-select), which others to change and to what', async (t) => {
  const { cwd, dir } = repo(t, { api: DIGEST_BUILD, worker: DIGEST_BUILD });
  writeFileSync(join(dir, '1.6.0.json'), JSON.stringify(manifest('1.6.0')));
  writeFileSync(
    join(dir, '1.8.0-rc.1.json'),
    JSON.stringify(manifest('1.8.0-rc.1', { status: 'draft', published_at: undefined })),
  );
  const s = script(t, [
    [/Which release do you hotfix from\? \[1-3, Enter for 1\.7\.0\]/, '9'],
    [/Which release/, '2'],
    [/Which images do you build\?/, '1 2'],
    [/Which other images do you change/, 'ui'],
    [/New reference for ui \(now docker\.io\/library\/nginx:1\.25\)/, 'nginx'],
    [/New reference for ui/, 'nginx:1.25.4'],
    [/Which commit/, 'not-a-sha'],
    [/Which commit/, 'ABCDEF1234'],
    [/Make draft release 1\.7\.1 from 1\.7\.0 at abcdef1234: build api, worker; set ui\?/, ''],
  ]);
  const r = await release(['new', '--notes', 'From the prompts'], { cwd, deps: { ask: s.ask } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, / 1\) 1\.6\.0 {2}published\n {3}2\) 1\.7\.0 {2}published\n {3}3\) 1\.8\.0-rc\.1 {2}draft/);
  assert.match(r.stdout, /9 is not|answer a number from 1 to 3/);
  assert.match(r.stdout, /give a tag or a digest/);
  const m = read(dir, '1.7.1');
  assert.equal(m.base, '1.7.0');
  assert.equal(m.commit, 'abcdef1234');
  assert.equal(m.notes, 'From the prompts');
  assert.deepEqual(m.images, {
    api: `registry.example.com:5000/team/api@sha256:${D('api')}`,
    worker: `registry.example.com:5000/team/worker@sha256:${D('worker')}`,
    ui: 'docker.io/library/nginx:1.25.4',
  });
});

test('interactive: only what the flags leave open is asked; Enter takes the defaults; "n" cancels and writes nothing', async (t) => {
  const { cwd, dir } = repo(t, { api: DIGEST_BUILD });
  const s = script(t, [
    [/Which release do you hotfix from\? \[1-1, Enter for 1\.7\.0\]/, ''],
    [/Which other images do you change/, ''],
    [/Make draft release 1\.7\.1 from 1\.7\.0 at 0123456789ab: build api\?/, 'n'],
  ]);
  const before = snapshot(dir);
  const r = await release(['new', '--build', 'api', '--commit', COMMIT], { cwd, deps: { ask: s.ask } });
  assert.equal(r.error?.code, 'HFX_E_USAGE');
  assert.match(r.error.message, /cancelled/);
  assert.deepEqual(snapshot(dir), before);
  assert.equal(existsSync(join(cwd, 'env-api.txt')), false, 'nothing was built');

  const s2 = script(t, [
    [/Which images do you build/, ''],
    [/Which images do you change/, '1'],
    [/New reference for api/, `registry.example.com:5000/team/api@sha256:${'d'.repeat(64)}`],
    [/Make draft release 1\.7\.1 from 1\.7\.0 at 0123456789ab: set api\?/, 'yes'],
  ]);
  const ok = await release(['new', '--base', '1.7.0', '--commit', COMMIT], { cwd, deps: { ask: s2.ask } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(read(dir, '1.7.1').images.api, `registry.example.com:5000/team/api@sha256:${'d'.repeat(64)}`);
});

test('interactive: --yes and --json never ask', async (t) => {
  const { cwd, dir } = repo(t);
  const ask = (q: string): Promise<string> => assert.fail(`asked ${q}`);
  const r = await release(['new', '--yes'], { cwd, deps: { ask } });
  assert.equal(r.error?.code, 'HFX_E_USAGE');
  const j = await release(['new', '--base', '1.7.0', '--commit', COMMIT, '--json'], { cwd, deps: { ask } });
  assert.equal(j.code, 0);
  assert.deepEqual(Object.keys(read(dir, '1.7.1').images), ['api', 'worker', 'ui']);
});

test('interactive on a terminal: readline on the given stdin/stdout; end of input cancels', async (t) => {
  const { cwd, dir } = repo(t);
  // A terminal: answers are typed when a question (a line ending "] " or "? ") appears on stdout.
  const terminal = (answers: string[]) => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const onStdout = (chunk: string) => {
      if (/[\]?] $/.test(chunk)) {
        const a = answers.shift();
        if (a === undefined) stdin.end();
        else setImmediate(() => stdin.write(`${a}\n`));
      }
    };
    return { stdin, onStdout };
  };
  const timeout = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('hung')), 5000).unref())]);

  // "2" is out of range and asked again; Enter takes 1.7.0; nothing to build; no other image; yes.
  const r = await timeout(release(['new', '--commit', COMMIT], { cwd, ...terminal(['2', '', '', 'y']) }));
  assert.equal(r.error, undefined, r.stderr);
  assert.match(r.stdout, /Which release do you hotfix from\?[^\n]*\n {2}answer a number from 1 to 1/);
  assert.match(r.stdout, /No image of this release has a build command/);
  assert.match(r.stdout, /draft release 1\.7\.1 from 1\.7\.0/);
  assert.equal(read(dir, '1.7.1').base, '1.7.0');

  const before = snapshot(dir);
  const r2 = await timeout(release(['new', '--commit', COMMIT, '--version', '1.7.5'], { cwd, ...terminal([]) }));
  assert.equal(r2.error?.code, 'HFX_E_USAGE');
  assert.match(r2.error.message, /cancelled/);
  assert.deepEqual(snapshot(dir), before);
});
