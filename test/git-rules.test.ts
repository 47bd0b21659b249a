// The pure parts of the git commands: versions and tags, scope globs, version-only commits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOutputDir } from '../src/git/create.js';
import { globToRegExp, scopeMatcher } from '../src/git/glob.js';
import { redactUrl } from '../src/git/repo.js';
import { parseNumstat, reviewWarnings, type ReviewCommit } from '../src/git/review.js';
import { isVersionLine, isVersionOnly } from '../src/git/version-lines.js';
import { versionOfBranch } from '../src/git/hotfix-branch.js';
import {
  isVersionName as isValidVersion,
  nextTagPatch as nextPatch,
  parseTag,
  tagNameFor,
  withoutLeadingV as normaliseVersion,
} from '../src/version.js';

test("tags: prefix and version; the next patch; the new tag in the base tag's style", () => {
  assert.deepEqual(parseTag('v1.7.0'), { prefix: 'v', version: '1.7.0', numbers: [1, 7, 0], suffix: '' });
  assert.deepEqual(parseTag('release-1.7.0'), { prefix: 'release-', version: '1.7.0', numbers: [1, 7, 0], suffix: '' });
  assert.equal(parseTag('product2-v4.2.0.12')?.prefix, 'product2-v');
  assert.equal(parseTag('v1.8.0-rc1')?.version, '1.8.0-rc1');
  assert.equal(parseTag('latest'), null);
  assert.equal(parseTag('v2'), null);
  const next: [string, string | null][] = [
    ['v1.7.0', '1.7.1'],
    ['release-1.7.0', '1.7.1'],
    ['1.7.9', '1.7.10'],
    ['v2.3', '2.3.1'],
    ['wso2am-4.2.0.12', '4.2.0.13'],
    ['v1.8.0-rc1', null],
    ['stable', null],
  ];
  for (const [tag, v] of next) assert.equal(nextPatch(tag), v, tag);
  assert.equal(tagNameFor('v1.7.0', '1.7.1'), 'v1.7.1');
  assert.equal(tagNameFor('release-1.7.0', '1.7.1'), 'release-1.7.1');
  assert.equal(tagNameFor('1.7.0', '1.7.1'), '1.7.1');
  assert.equal(normaliseVersion('v1.7.1'), '1.7.1');
  assert.equal(normaliseVersion('vnext'), 'vnext');
  assert.equal(versionOfBranch('hotfix/1.7.1'), '1.7.1');
  assert.equal(versionOfBranch('feature/x'), null);
  for (const v of ['1.7.1', '1.7.0-hf.1', '4.2.0+12']) assert.ok(isValidVersion(v), v);
  for (const v of ['', '1..2', '-1', '1.7/1', '1.7 1', '1.']) assert.ok(!isValidVersion(v), v);
});

test('scope globs: * within a segment, ** across, basename patterns at any depth, directories match their content', () => {
  const m = scopeMatcher(['src/auth/**', '*.md', 'conf/server.toml', 'lib/?.jar', 'bin/[ab]*', 'api']);
  for (const p of [
    'src/auth/token.ts',
    'src/auth/deep/x.ts',
    'README.md',
    'docs/a/b.md',
    'conf/server.toml',
    'lib/a.jar',
    'bin/alpha',
    'api/v1/x',
    'sub/api',
  ])
    assert.ok(m(p), p);
  for (const p of ['src/authx/a.ts', 'src/app.ts', 'x/conf/server.toml', 'lib/ab.jar', 'bin/c', 'md', 'apis'])
    assert.ok(!m(p), p);
  assert.ok(globToRegExp('**/test/*.ts').test('test/a.ts'));
  assert.ok(globToRegExp('**/test/*.ts').test('a/b/test/a.ts'));
  assert.ok(!globToRegExp('**/test/*.ts').test('a/test/b/c.ts'));
  assert.ok(globToRegExp('/top.txt').test('top.txt'));
  assert.ok(!globToRegExp('/top.txt').test('a/top.txt'));
  assert.ok(globToRegExp('a+b(c).txt').test('a+b(c).txt'));
  assert.ok(!scopeMatcher([])('anything'));
});

test('version-only commits: version files whose changed lines are version lines only', () => {
  const patch = (file: string, lines: string[]): string =>
    `diff --git a/${file} b/${file}\nindex 1..2 100644\n--- a/${file}\n+++ b/${file}\n@@ -3 +3 @@\n${lines.join('\n')}\n`;
  assert.ok(
    isVersionOnly(['package.json'], patch('package.json', ['-  "version": "1.7.0",', '+  "version": "1.7.1",'])),
  );
  assert.ok(
    isVersionOnly(['pom.xml'], patch('pom.xml', ['-    <version>1.7.0</version>', '+    <version>1.7.1</version>'])),
  );
  assert.ok(isVersionOnly(['VERSION'], patch('VERSION', ['-1.7.0', '+1.7.1 (hotfix)'])));
  assert.ok(
    isVersionOnly(
      ['gradle.properties', 'VERSION'],
      patch('gradle.properties', ['-version=1.7.0', '+version=1.7.1']) + patch('VERSION', ['-1.7.0', '+1.7.1']),
    ),
  );
  assert.ok(
    !isVersionOnly(['package.json'], patch('package.json', ['-    "lodash": "4.17.20"', '+    "lodash": "4.17.21"'])),
    'a dependency bump is a fix',
  );
  assert.ok(
    !isVersionOnly(
      ['package.json', 'src/a.ts'],
      patch('package.json', ['-  "version": "1.7.0",', '+  "version": "1.7.1",']),
    ),
    'another file',
  );
  assert.ok(!isVersionOnly(['pom.xml'], patch('pom.xml', ['+    <module>extra</module>'])));
  assert.ok(!isVersionOnly(['package.json'], ''), 'no changed line');
  const newFile =
    'diff --git a/VERSION b/VERSION\nnew file mode 100644\nindex 0..1\n--- /dev/null\n+++ b/VERSION\n@@ -0,0 +1 @@\n+1.7.1\n';
  assert.ok(isVersionOnly(['VERSION'], newFile));
  for (const l of [
    'version = "1.7.1"',
    'versionName "1.7.1"',
    'appVersion: 1.7.1',
    "__version__ = '1.7.1'",
    '<revision>1.7.1</revision>',
    'project(app VERSION 1.7.1)',
    '',
  ])
    assert.ok(isVersionLine(l), l);
  for (const l of ['"name": "my-app"', 'port = 9443', '<artifactId>x</artifactId>']) assert.ok(!isVersionLine(l), l);
});

test('review warnings from commits alone; numstat; URLs lose their credentials; --output stays inside', () => {
  const c = (sha: string, o: Partial<ReviewCommit>): ReviewCommit => ({
    sha,
    subject: sha,
    parents: ['p'],
    merge: false,
    files: [],
    onMain: true,
    versionOnly: false,
    ...o,
  });
  const w = reviewWarnings(
    [
      c('a'.repeat(40), { files: ['src/a.ts', 'docs/x.md'] }),
      c('b'.repeat(40), { files: ['package.json'], versionOnly: true, onMain: false }),
      c('c'.repeat(40), { files: ['docs/x.md'], onMain: false }),
      c('d'.repeat(40), { files: ['src/b.ts'], merge: true, onMain: null }),
    ],
    'main',
    ['src'],
  );
  assert.deepEqual(
    w.map((x) => x.kind),
    ['version-only', 'not-on-main', 'merge', 'scope'],
  );
  assert.deepEqual(w[3]!.commits, ['a'.repeat(40), 'c'.repeat(40)]);
  assert.equal(w[3]!.file, 'docs/x.md');
  assert.deepEqual(parseNumstat('1\t2\ta.txt\0-\t-\tbin.dat\0'), [
    { path: 'a.txt', added: 1, deleted: 2 },
    { path: 'bin.dat', added: null, deleted: null },
  ]);
  assert.equal(redactUrl('https://x-token:ghp_secret@github.com/acme/app.git'), 'https://github.com/acme/app.git');
  assert.equal(redactUrl('git@github.com:acme/app.git'), 'git@github.com:acme/app.git');
  assert.equal(checkOutputDir('dist/'), 'dist');
  for (const bad of ['', '/abs', '..', '../x', 'a/../../x'])
    assert.throws(() => checkOutputDir(bad), { code: 'HFX_E_USAGE' }, bad);
});

test('start, review, create, finish: --help has a usage line and $ hfx examples', async () => {
  const { helpText } = await import('../src/cli/command.js');
  const cmds = await Promise.all([
    import('../src/cli/commands/start/index.js').then((m) => m.startCommand),
    import('../src/cli/commands/review/index.js').then((m) => m.reviewCommand),
    import('../src/cli/commands/create/index.js').then((m) => m.createCommand),
    import('../src/cli/commands/finish/index.js').then((m) => m.finishCommand),
  ]);
  assert.deepEqual(
    cmds.map((c) => c.name),
    ['start', 'review', 'create', 'finish'],
  );
  for (const c of cmds) {
    const h = helpText(c);
    assert.match(h, new RegExp(`Usage: hfx ${c.name} `), c.name);
    assert.match(h, /Examples:\n {2}\$ hfx /, c.name);
    for (const e of c.examples) assert.match(e, /^(\$ hfx | {6})/, e);
  }
});
