import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHfxError } from '../src/errors.js';
import { refFromBuildOutput } from '../src/release/build.js';
import { diffReleases } from '../src/release/diff.js';
import { checkChoices, parseAssignments, planRelease } from '../src/release/plan.js';
import { parseSelection } from '../src/cli/commands/release/questions.js';
import { parseImageRef, withDigest } from '../src/release/reference.js';
import { parseReleaseManifest, serializeRelease, type ReleaseManifest } from '../src/release/schema.js';
import { compareSemver as compareVersions, nextSemverPatch as nextPatch } from '../src/version.js';

const D = 'a'.repeat(64);
const D2 = '0123456789abcdef'.repeat(4);

const pick = (s: string) => {
  const r = parseImageRef(s);
  return { registry: r.registry, repository: r.repository, tag: r.tag, digest: r.digest, full: r.full };
};

test('a registry host with a port is not a tag; the tag is what follows the last colon after the last slash', () => {
  assert.deepEqual(pick('registry.example.com:5000/team/api:1.7.1'), {
    registry: 'registry.example.com:5000',
    repository: 'team/api',
    tag: '1.7.1',
    digest: undefined,
    full: 'registry.example.com:5000/team/api:1.7.1',
  });
  assert.deepEqual(pick('localhost:5000/api'), {
    registry: 'localhost:5000',
    repository: 'api',
    tag: undefined,
    digest: undefined,
    full: 'localhost:5000/api',
  });
  assert.deepEqual(pick('localhost/api:dev'), {
    registry: 'localhost',
    repository: 'api',
    tag: 'dev',
    digest: undefined,
    full: 'localhost/api:dev',
  });
  assert.deepEqual(pick('[::1]:5000/team/api:2'), {
    registry: '[::1]:5000',
    repository: 'team/api',
    tag: '2',
    digest: undefined,
    full: '[::1]:5000/team/api:2',
  });
  assert.equal(pick('ghcr.io/org/sub/deep/img:v1_2.3-rc').repository, 'org/sub/deep/img');
  // An upper-case first component is a host too (docker's rule); the path must be lower case.
  assert.equal(pick('MyRegistry/app:1').registry, 'MyRegistry');
});

test('no tag, digest only, tag and digest', () => {
  assert.deepEqual(pick('registry.example.com/team/api'), {
    registry: 'registry.example.com',
    repository: 'team/api',
    tag: undefined,
    digest: undefined,
    full: 'registry.example.com/team/api',
  });
  assert.deepEqual(pick(`registry.example.com:5000/team/api@sha256:${D}`), {
    registry: 'registry.example.com:5000',
    repository: 'team/api',
    tag: undefined,
    digest: `sha256:${D}`,
    full: `registry.example.com:5000/team/api@sha256:${D}`,
  });
  assert.deepEqual(pick(`registry.example.com:5000/team/api:1.7.1@sha256:${D}`), {
    registry: 'registry.example.com:5000',
    repository: 'team/api',
    tag: '1.7.1',
    digest: `sha256:${D}`,
    full: `registry.example.com:5000/team/api:1.7.1@sha256:${D}`,
  });
  assert.equal(pick(`r.io/a@sha512:${D}${D}`).digest, `sha512:${D}${D}`);
});

test('docker.io is the default registry, with library/ for official images', () => {
  assert.deepEqual(pick('nginx'), {
    registry: 'docker.io',
    repository: 'library/nginx',
    tag: undefined,
    digest: undefined,
    full: 'docker.io/library/nginx',
  });
  assert.equal(pick('nginx:1.25').full, 'docker.io/library/nginx:1.25');
  assert.equal(pick('team/api:1.0').full, 'docker.io/team/api:1.0');
  assert.equal(pick('docker.io/nginx:1.25').full, 'docker.io/library/nginx:1.25');
  assert.equal(pick('index.docker.io/team/api:1').full, 'docker.io/team/api:1');
  assert.equal(pick(`nginx@sha256:${D}`).full, `docker.io/library/nginx@sha256:${D}`);
});

test('invalid references are refused with HFX_E_USAGE and a reason', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['Team/API:1', /lower-case/],
    ['registry.example.com/Team/api:1', /lower-case/],
    ['api:', /tag ""/],
    [':1.0', /missing/],
    ['api:-x', /tag/],
    [`api:${'x'.repeat(129)}`, /tag/],
    ['registry.example.com/', /path is missing/],
    ['registry.example.com//api', /empty component/],
    ['team/api/', /empty component/],
    ['api@sha256:abc', /64 lower-case hex/],
    [`api@sha256:${D.toUpperCase()}`, /64 lower-case hex/],
    [`api@md5:${D}`, /not sha256/],
    [`api@${D}`, /not sha256/],
    ['registry.example.com:99999/api:1', /port 99999/],
    ['reg_istry.example.com:5000/api:1', /registry host/],
    ['api:1.0 ', /white space/],
    ['team/a..b:1', /lower-case letters/],
    [`a@sha256:${D}@sha256:${D}`, /not sha256|64 lower-case/],
  ];
  for (const [ref, why] of bad) {
    assert.throws(
      () => parseImageRef(ref),
      (e: unknown) => isHfxError(e, 'HFX_E_USAGE') && why.test(e.message),
      ref,
    );
  }
});

test('a bare digest from a build is attached to the base image repository', () => {
  const base = parseImageRef('registry.example.com:5000/team/api:1.7.0');
  assert.equal(withDigest(base, `sha256:${D}`).full, `registry.example.com:5000/team/api@sha256:${D}`);
  assert.equal(
    refFromBuildOutput(`Step 1/3 : FROM x\nsha256:${D2}\nDone.\n\n`, base)?.full,
    `registry.example.com:5000/team/api@sha256:${D2}`,
  );
  assert.equal(
    refFromBuildOutput(`registry.example.com:5000/team/api:1.7.1\nsha256:${D}\nother.io/x:2\ndone\nok\n`, base)?.full,
    'other.io/x:2',
  );
  // A word is a valid repository name but names no version: not taken.
  assert.equal(refFromBuildOutput('building\ndone\n', base), null);
  assert.equal(refFromBuildOutput('', base), null);
  assert.equal(refFromBuildOutput('sha256:abc\n', base), null);
});

test('versions: next patch and semver order', () => {
  assert.equal(nextPatch('1.7.0'), '1.7.1');
  assert.equal(nextPatch('1.7.9'), '1.7.10');
  assert.equal(nextPatch('2.0.0-rc.1+b5'), '2.0.1');
  assert.throws(
    () => nextPatch('1.7'),
    (e: unknown) => isHfxError(e, 'HFX_E_USAGE'),
  );
  const sorted = [
    '1.10.0',
    '1.7.1',
    '1.7.1-rc.1',
    '1.7.1-rc.10',
    '1.7.1-rc.2',
    '1.7.1-alpha',
    '1.9.0',
    '1.7.1+hf.1',
    '0.9.0',
  ].sort(compareVersions);
  assert.deepEqual(sorted, [
    '0.9.0',
    '1.7.1-alpha',
    '1.7.1-rc.1',
    '1.7.1-rc.2',
    '1.7.1-rc.10',
    '1.7.1',
    '1.7.1+hf.1',
    '1.9.0',
    '1.10.0',
  ]);
});

const base: ReleaseManifest = parseReleaseManifest(
  {
    name: 'acme',
    version: '1.7.0',
    status: 'published',
    published_at: '2026-01-02T00:00:00.000Z',
    commit: 'c'.repeat(40),
    released_at: '2026-01-01T00:00:00.000Z',
    notes: 'first',
    channels: ['stable'],
    images: { api: 'registry.example.com:5000/team/api:1.7.0', ui: 'docker.io/library/nginx:1.25' },
    components: { schema: '41' },
  },
  'test',
);

test('the schema is strict: unknown fields, short references, unpinned images, inconsistent status', () => {
  const bad = (patch: Record<string, unknown>, why: RegExp) =>
    assert.throws(
      () => parseReleaseManifest({ ...base, ...patch }, 'x.json'),
      (e: unknown) => isHfxError(e, 'HFX_E_MANIFEST') && why.test(e.message),
      JSON.stringify(patch),
    );
  bad({ extra: 1 }, /extra/);
  bad({ images: { ui: 'nginx:1.25' } }, /docker\.io\/library\/nginx:1\.25/);
  bad({ images: { ui: 'docker.io/library/nginx' } }, /neither a tag nor a digest/);
  bad({ images: { ui: 'docker.io/library/NGINX:1' } }, /lower-case/);
  bad({ images: { 'bad name': 'docker.io/library/nginx:1' } }, /images/);
  bad({ published_at: undefined }, /published_at/);
  bad({ status: 'draft' }, /draft has no published_at/);
  bad({ status: 'gone' }, /status/);
  bad({ base: '1.6.0' }, /hotfixes/);
  bad({ base: '1.7.0', hotfixes: [] }, /own base/);
  bad({ released_at: 'yesterday' }, /released_at/);
  bad({ commit: 'XYZ' }, /commit/);
  bad({ version: '1.7' }, /version/);
  bad({ channels: ['a', 'a'] }, /repeat/);
  assert.deepEqual(JSON.parse(serializeRelease(base)), base);
});

test('plan: the base with built and set images, components, cumulative hotfixes, new metadata', () => {
  const hotfix = parseReleaseManifest({ ...base, version: '1.7.1', base: '1.7.0', hotfixes: ['HF-1'] }, 't');
  const plan = checkChoices(hotfix, {
    build: ['api'],
    set: parseAssignments(['ui=nginx:1.25.4'], 'set'),
    components: { schema: '42' },
    notes: 'second',
    hotfixes: ['HF-2', 'HF-1'],
    commit: 'ABCDEF1',
  });
  const m = planRelease(
    plan,
    { api: parseImageRef(`registry.example.com:5000/team/api@sha256:${D}`) },
    '2026-02-01T00:00:00.000Z',
  );
  assert.deepEqual(m, {
    name: 'acme',
    version: '1.7.2',
    status: 'draft',
    base: '1.7.1',
    hotfixes: ['HF-1', 'HF-2'],
    commit: 'abcdef1',
    released_at: '2026-02-01T00:00:00.000Z',
    notes: 'second',
    channels: ['stable'],
    images: { api: `registry.example.com:5000/team/api@sha256:${D}`, ui: 'docker.io/library/nginx:1.25.4' },
    components: { schema: '42' },
  });
  const d = diffReleases(base, m);
  assert.deepEqual(
    d.images.changed.map((c) => c.name),
    ['api', 'ui'],
  );
  assert.deepEqual(d.hotfixes, { added: ['HF-1', 'HF-2'], removed: [] });
  assert.throws(
    () => parseAssignments(['ui'], 'set'),
    (e: unknown) => isHfxError(e, 'HFX_E_USAGE'),
  );
  assert.throws(
    () => parseAssignments(['ui=a:1', 'ui=a:2'], 'set'),
    (e: unknown) => isHfxError(e, 'HFX_E_USAGE'),
  );
});

test('multi-select answers: numbers, ranges, names, all', () => {
  const items = ['api', 'worker', 'ui'];
  assert.deepEqual(parseSelection('', items), []);
  assert.deepEqual(parseSelection('1 3', items), ['api', 'ui']);
  assert.deepEqual(parseSelection('3,1', items), ['ui', 'api']);
  assert.deepEqual(parseSelection('1-2 worker', items), ['api', 'worker']);
  assert.deepEqual(parseSelection('ALL', items), items);
  assert.equal(typeof parseSelection('4', items), 'string');
  assert.equal(typeof parseSelection('0', items), 'string');
  assert.equal(typeof parseSelection('2-1', items), 'string');
  assert.equal(typeof parseSelection('db', items), 'string');
});
