import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { loginCommand } from '../src/cli/commands/login/index.js';
import { jsonText, neutralize } from '../src/cli/neutralize.js';
import { Output, type Io } from '../src/cli/output.js';
import { checkServerUrl, isLoopbackHost } from '../src/client/server-url.js';
import { HfxError } from '../src/errors.js';
import { hfx, runCommand } from './helpers/cli.js';
import { tmp, world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, seedVendor, testServer } from './helpers/server.js';

// What must never reach a terminal raw: C0 but \n and \t, DEL, C1, bidi controls, line/paragraph separators.
// Patterns of control characters are built from strings (as src/cli/neutralize.ts builds its own): in a
// regex literal they are what no-control-regex flags as a likely mistake, and here they are the point.
const RAW = new RegExp(
  `[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029]`,
);
// In JSON, C0 is escaped by JSON.stringify; the rest must be escaped too.
const RAW_IN_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/** An SGR escape (colour, bold, blink): ESC [ n m. */
const SGR = new RegExp(`\\x1b\\[\\d+m`, 'g');
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function assertNeutral(text: string, what: string): void {
  const m = RAW.exec(text);
  const raw = m?.[0].charCodeAt(0).toString(16).padStart(4, '0');
  assert.equal(m, null, `${what}: raw U+${String(raw)} in ${JSON.stringify(text)}`);
}

/** A hostile title: window title (OSC 0), clear screen, overwrite by CR, C1 CSI, bidi override, BS, DEL, blink. */
const TITLE = 'Fix \x1b]0;pwned\x07 login\x1b[2J\rOK\x9b31m \u202eevil\b\x7f \x1b[5mblink';
const TITLE_SHOWN = [
  '\\x1b]0;pwned\\x07',
  '\\x1b[2J',
  '\\rOK',
  '\\x9b31m',
  '\\u202eevil',
  '\\b',
  '\\x7f',
  '\\x1b[5mblink',
];
/** A hostile description: an OSC 8 link, a bidi isolate; and a line break and tab that must stay. */
const DESCRIPTION = 'line one\n\tindented \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ \u2066hidden\u2069';
const DESCRIPTION_SHOWN = [
  'line one\n\tindented ',
  '\\x1b]8;;https://evil.example/\\x1b\\click',
  '\\u2066hidden\\u2069',
];

describe('the neutraliser', () => {
  test('neutralize: escape sequences, OSC, CR, BS, BEL, DEL, C1, bidi and lone surrogates become visible escapes', () => {
    const cases: [string, string][] = [
      ['\x1b[2J', '\\x1b[2J'],
      ['\x1b[31mred\x1b[0m', '\\x1b[31mred\\x1b[0m'],
      ['\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
      [
        '\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\',
        '\\x1b]8;;https://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\',
      ],
      ['safe\rEVIL', 'safe\\rEVIL'],
      ['abc\b\b\bxyz', 'abc\\b\\b\\bxyz'],
      ['ding\x07', 'ding\\x07'],
      ['\x00\x0b\x0c\x1f', '\\x00\\v\\f\\x1f'],
      ['del\x7f', 'del\\x7f'],
      ['\x9b2J \x9d0;t\x9c \x85', '\\x9b2J \\x9d0;t\\x9c \\x85'],
      ['a\u202eb\u202ac\u2066d\u2069e\u200ff\u061c', 'a\\u202eb\\u202ac\\u2066d\\u2069e\\u200ff\\u061c'],
      ['x\u2028y\u2029', 'x\\u2028y\\u2029'],
      ['\ud800', '\\ud800'],
      ['a\udc00b', 'a\\udc00b'],
      ['\udc00\ud800', '\\udc00\\ud800'],
      ['one\r\ntwo', 'one\ntwo'],
    ];
    for (const [raw, shown] of cases) assert.equal(neutralize(raw), shown, JSON.stringify(raw));
  });

  test('neutralize: \\n, \\t, surrogate pairs and ordinary text stay as they are', () => {
    for (const s of ['line\n\tindented', 'é — ✓ → 😀 日本語', 'C:\\path\\x1b is text', ''])
      assert.equal(neutralize(s), s);
  });

  test('neutralize: never leaves a raw control, bidi or lone surrogate, and is idempotent (property)', () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
    const unit = fc.oneof(anyUnit, fc.constantFrom('\x1b', '\r', '\n', '\x9b', '\u202e', '\ud83d', '\ude00'));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (s) => {
        const n = neutralize(s);
        assert.equal(RAW.test(n), false);
        assert.equal(LONE_SURROGATE.test(n), false);
        assert.equal(neutralize(n), n);
      }),
      { numRuns: 500 },
    );
  });

  test('jsonText: DEL, C1, U+2028/2029 and bidi are \\u escapes; the parsed value is the same', () => {
    const value = { title: TITLE, description: DESCRIPTION, n: 1, list: ['\u2028', '\x85', '\u202e'] };
    const text = jsonText(value, 2);
    assert.doesNotMatch(text, RAW);
    assert.doesNotMatch(text, RAW_IN_JSON);
    assert.doesNotMatch(text, LONE_SURROGATE);
    assert.deepEqual(JSON.parse(text), value);
    assert.match(text, /\\u202e/);
    assert.match(text, /\\u009b/);
    assert.equal(jsonText({ a: 'plain' }), '{"a":"plain"}');
  });

  test('Output: line, print, note, warn, error (message and hint), status and progress neutralise; colours survive', () => {
    const stdout = new PassThrough();
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let o = '';
    let e = '';
    stdout.on('data', (d: Buffer) => (o += d.toString()));
    stderr.on('data', (d: Buffer) => (e += d.toString()));
    const io: Io = { cwd: process.cwd(), env: { FORCE_COLOR: '1' }, stdout, stderr };
    const out = new Output(io, false);
    out.line(`${out.c.green('✓')} ${out.c.bold(TITLE)} ${TITLE}`);
    out.print(DESCRIPTION);
    out.note(out.c.dim(TITLE));
    out.warn(TITLE);
    out.status(`building ${TITLE}`);
    out.progress(`p\x1b[2J`, 100, 100);
    out.error(new Error(TITLE)); // HFX_E_INTERNAL: its stack is printed too
    out.error(new HfxError('HFX_E_NETWORK', TITLE, { hint: `hint ${TITLE}` }));
    // Our own SGR codes are real; nothing else with an ESC is left.
    assert.ok(o.includes('\x1b[32m✓\x1b[39m'), JSON.stringify(o));
    assert.ok(o.includes('\x1b[1mFix \\x1b]0;pwned'), JSON.stringify(o));
    assert.ok(e.includes('\x1b[33mwarning: \x1b[39m'), JSON.stringify(e));
    assert.ok(e.includes('\x1b[36m→\x1b[39m hint Fix \\x1b]0;pwned'), JSON.stringify(e));
    // Ours: SGR codes, the status line's and the progress bar's own CR and line clear.
    const owned = (s: string) =>
      s
        .replace(SGR, '')
        .replaceAll('\r\x1b[2K', '')
        .replace('\rbuilding', 'building')
        .replace('\x1b[K', '')
        .replace('\rp\\x1b[2J', '');
    assertNeutral(owned(o), 'stdout');
    assertNeutral(owned(e), 'stderr');
    for (const v of TITLE_SHOWN) assert.ok(o.includes(v) && e.includes(v), v);
    for (const v of DESCRIPTION_SHOWN) assert.ok(o.includes(v), v);
    assert.ok(!o.includes('\ue000') && !e.includes('\ue000'), 'no colour marker leaks');
  });
});

describe('hostile archives', () => {
  let w: World;
  let zip: string;
  const cleanups: (() => void)[] = [];
  before(async () => {
    w = await world({ after: (fn: () => void) => cleanups.push(fn) });
    zip = await w.hotfix('HF-EVIL-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed\n'), {
      title: TITLE,
      description: DESCRIPTION,
    });
  });
  after(() => cleanups.forEach((c) => c()));

  test('hfx inspect and hfx state show a hostile title and description as visible escapes, never raw', async () => {
    const i = await hfx(['inspect', zip]);
    assert.equal(i.code, 0, i.stderr);
    assertNeutral(i.stdout, 'inspect');
    for (const v of [...TITLE_SHOWN, ...DESCRIPTION_SHOWN]) assert.ok(i.stdout.includes(v), v);
    const j = await hfx(['inspect', zip, '--json']);
    assert.doesNotMatch(j.stdout, RAW);
    assert.doesNotMatch(j.stdout, RAW_IN_JSON);
    assert.equal(j.json.manifest.title, TITLE, 'JSON keeps the value; only its spelling is escaped');
    assert.equal(j.json.manifest.description, DESCRIPTION);
    assert.equal((await hfx(['apply', zip, '--home', w.home])).code, 0);
    const s = await hfx(['state', '--home', w.home]);
    assert.equal(s.code, 0, s.stderr);
    assertNeutral(s.stdout, 'state');
    for (const v of TITLE_SHOWN) assert.ok(s.stdout.includes(v), v);
  });

  test('with FORCE_COLOR, hfx inspect still colours its own words with real SGR codes, and no escape from the archive survives', async () => {
    const i = await hfx(['inspect', zip], { env: { FORCE_COLOR: '1' } });
    assert.equal(i.code, 0, i.stderr);
    assert.ok(i.stdout.includes('\x1b[1mHF-EVIL-1\x1b[22m'), JSON.stringify(i.stdout.slice(0, 200)));
    assert.ok(i.stdout.includes('\x1b[33mM\x1b[39m'));
    assert.ok(!i.stdout.includes('\x1b[5m'), "the archive's own SGR is not passed through");
    assertNeutral(i.stdout.replace(SGR, ''), 'inspect with colour');
    for (const v of TITLE_SHOWN) assert.ok(i.stdout.includes(v), v);
  });
});

/** A server that answers with escapes everywhere: its key, who the token is, release notes, errors. */
async function hostileServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/v1/me') {
      json(200, { kind: 'user', username: `mallory${TITLE}`, role: 'admin' });
      return;
    }
    if (req.url === '/v1/cases/1/release-notes.md') {
      res.writeHead(200, { 'content-type': 'text/markdown' });
      return res.end(`# Release notes\n\n${DESCRIPTION}\n${TITLE}\n\x85 \u2028\n`);
    }
    json(404, { error: { code: 'HFX_E_NOT_FOUND', message: `no case ${TITLE}`, hint: `try ${DESCRIPTION} \ud800` } });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('a hostile server', () => {
  let url: string;
  let server: Server;
  let env: NodeJS.ProcessEnv;
  const cleanups: (() => void)[] = [];
  before(async () => {
    ({ url, server } = await hostileServer());
    env = { HFX_CONFIG_DIR: join(tmp({ after: (fn: () => void) => cleanups.push(fn) }), 'config'), NO_COLOR: '1' };
  });
  after(() => {
    server.close();
    cleanups.forEach((c) => c());
  });

  test('a server error message and hint with escapes are neutralised on stderr (and escaped in --json)', async () => {
    const login = await hfx(['login', url, '--token', 'hfx_test'], { env });
    assert.equal(login.code, 0, login.stderr);
    assertNeutral(login.stdout, 'login');
    assert.ok(login.stdout.includes('mallory' + 'Fix \\x1b]0;pwned\\x07'), login.stdout);
    const r = await hfx(['case', 'show', '7'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /HFX_E_NOT_FOUND/);
    assertNeutral(r.stderr, 'error');
    // The lone surrogate came as a JSON \u escape: JSON is the one way text can hold one.
    for (const v of [...TITLE_SHOWN, ...DESCRIPTION_SHOWN, '\\ud800']) assert.ok(r.stderr.includes(v), v);
    const j = await hfx(['case', 'show', '7', '--json'], { env });
    assert.doesNotMatch(j.stdout, RAW_IN_JSON);
    assert.equal(j.json.error.message, `${url}: no case ${TITLE}`);
    assert.equal(j.json.error.hint, `try ${DESCRIPTION} \ud800`);
  });

  test("hfx case notes prints the server's Markdown neutralised (it wrote to stdout directly before)", async () => {
    assert.equal((await hfx(['login', url, '--token', 'hfx_test'], { env })).code, 0);
    const r = await hfx(['case', 'notes', '1'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('# Release notes\n\nline one\n\tindented '), r.stdout);
    assertNeutral(r.stdout, 'notes');
    for (const v of [...TITLE_SHOWN, ...DESCRIPTION_SHOWN]) assert.ok(r.stdout.includes(v), v);
  });
});

describe('hfx login over plain http', () => {
  /** Replaces fetch for one call of `fn`: records the URLs, refuses non-loopback ones without sending. */
  async function withFetchLog<T>(fn: () => Promise<T>): Promise<{ result: T; urls: string[] }> {
    const real = globalThis.fetch;
    const urls: string[] = [];
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const u = new URL(input instanceof Request ? input.url : input);
      urls.push(u.href);
      if (isLoopbackHost(u.hostname)) return real(input, init);
      throw new TypeError('fetch failed', { cause: new Error(`no network in this test (${u.host})`) });
    };
    try {
      return { result: await fn(), urls };
    } finally {
      globalThis.fetch = real;
    }
  }

  /** A loopback port nothing listens on: connecting is refused at once. */
  async function closedPort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    const port = (s.address() as AddressInfo).port;
    await new Promise((ok) => s.close(ok));
    return port;
  }

  test('hfx login http://203.0.113.9:8080 is refused with HFX_E_INSECURE before any request; --insecure goes on', async (t) => {
    const env = { HFX_CONFIG_DIR: join(tmp(t), 'config'), HFX_PASSWORD: 'secret-password', NO_COLOR: '1' };
    const stdin = () => Readable.from(['hfx_secret\n']);
    for (const args of [['--token-stdin'], ['--user', 'alice'], ['--token-stdin', '--json']]) {
      const { result: r, urls } = await withFetchLog(() =>
        runCommand(loginCommand, ['http://203.0.113.9:8080', ...args], { env, stdin: stdin() }),
      );
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.error?.code, 'HFX_E_INSECURE');
      assert.deepEqual(urls, [], 'nothing was sent');
      if (args.includes('--json')) {
        assert.equal(r.json.error.code, 'HFX_E_INSECURE');
        continue;
      }
      assert.match(r.stderr, /HFX_E_INSECURE/);
      assert.match(r.stderr, /in clear/);
      assert.match(r.stderr, /https:\/\//);
      assert.match(r.stderr, /--insecure/);
    }
    const login = (args: string[]) => runCommand(loginCommand, args, { env, stdin: stdin() });
    const { result: r, urls } = await withFetchLog(() =>
      login(['http://203.0.113.9:8080', '--token-stdin', '--insecure']),
    );
    assert.equal(r.error?.code, 'HFX_E_NETWORK', r.stderr);
    assert.deepEqual(urls, ['http://203.0.113.9:8080/v1/me']);
    // https to any host is fine, and so is the same through the whole CLI.
    const tls = await withFetchLog(() =>
      runCommand(loginCommand, ['https://203.0.113.9', '--token-stdin'], { env, stdin: stdin() }),
    );
    assert.equal(tls.result.error?.code, 'HFX_E_NETWORK');
    const viaMain = await withFetchLog(() => hfx(['login', 'http://hfx.example.com', '--user', 'alice'], { env }));
    assert.equal(viaMain.result.code, 2);
    assert.match(viaMain.result.stderr, /HFX_E_INSECURE/);
    assert.deepEqual(viaMain.urls, []);
  });

  test('loopback spellings are accepted over http: 127.0.0.1, 127.1, 2130706433, [::1], localhost', async (t) => {
    const env = { HFX_CONFIG_DIR: join(tmp(t), 'config'), NO_COLOR: '1' };
    const port = await closedPort();
    for (const host of ['127.0.0.1', '127.1', '2130706433', '0x7f.0.0.1', '[::1]', 'localhost', 'LOCALHOST']) {
      const login = () =>
        runCommand(loginCommand, [`http://${host}:${port}`, '--token-stdin'], { env, stdin: Readable.from(['hfx_x']) });
      const { result: r, urls } = await withFetchLog(login);
      assert.equal(r.error?.code, 'HFX_E_NETWORK', `${host}: ${r.stderr}`);
      assert.equal(urls.length, 1, host);
    }
  });

  test('checkServerUrl: which hosts are this machine, and what else is refused', () => {
    const ok = [
      'http://127.0.0.1',
      'http://127.255.0.9:1',
      'http://127.1',
      'http://2130706433',
      'http://[::1]:8080',
      'http://[::ffff:127.0.0.1]',
      'http://localhost:80',
      'http://a.b.localhost',
      'https://203.0.113.9',
      'https://hfx.example.com',
    ];
    for (const u of ok) assert.doesNotThrow(() => checkServerUrl(u, { insecure: false }), u);
    const insecure = [
      'http://203.0.113.9:8080',
      'http://10.0.0.1',
      'http://0.0.0.0',
      'http://[::2]',
      'http://[fe80::1]',
      'http://localhost.evil.example',
      'http://127.0.0.1.nip.io',
      'http://evil-localhost',
      'http://128.0.0.1',
      'http://2130706431',
    ];
    for (const u of insecure) {
      assert.throws(() => checkServerUrl(u, { insecure: false }), { code: 'HFX_E_INSECURE' }, u);
      assert.doesNotThrow(() => checkServerUrl(u, { insecure: true }), u);
    }
    for (const u of ['ftp://127.0.0.1', 'file:///etc/passwd', 'not a url', 'hfx.example.com']) {
      assert.throws(() => checkServerUrl(u, { insecure: true }), { code: 'HFX_E_USAGE' }, u);
    }
  });
});

describe('installation tokens off the command line (real server)', () => {
  let s: Awaited<ReturnType<typeof testServer>>;
  let admin: string;
  let w: World;
  const cleanups: (() => void)[] = [];
  const suite = { after: (fn: () => void) => cleanups.push(fn) };
  const newToken = async (name: string): Promise<string> => {
    const r = await api(s.url, 'POST', '/v1/customers/acme/tokens', admin, { name });
    assert.equal(r.status, 201);
    return r.body.token;
  };
  const linked = (home: string) =>
    JSON.parse(readFileSync(join(home, '.hfx', 'server.json'), 'utf8')) as { token: string; who: string };

  before(async () => {
    s = await testServer();
    w = await world(suite);
    admin = (await seedVendor(s.url, s.adminPassword, readFileSync(w.pub, 'utf8'))).admin!;
  });
  after(async () => {
    await maybe(s)?.dispose();
    cleanups.forEach((c) => c());
  });

  test('--token-stdin links an installation with the token read from standard input (trimmed), without a warning', async () => {
    const token = await newToken('stdin');
    const env = { HFX_CONFIG_DIR: join(w.dir, 'c1'), NO_COLOR: '1' };
    const r = await runCommand(loginCommand, [s.url, '--token-stdin', '--home', w.home, '--root', s.rootFile], {
      env,
      stdin: Readable.from([`  ${token}`, '\r\n']),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /logged in to .* as customer acme/);
    assert.equal(linked(w.home).token, token);
    assert.equal((await hfx(['check', '--home', w.home], { env })).code, 0);
  });

  test('HFX_TOKEN links an installation; --user still means a user login when HFX_TOKEN is set', async (t) => {
    const token = await newToken('env');
    const w2 = await world(t);
    const env = { HFX_CONFIG_DIR: join(w2.dir, 'c2'), NO_COLOR: '1', HFX_TOKEN: token, HFX_PASSWORD: s.adminPassword };
    const r = await hfx(['login', s.url, '--home', w2.home, '--root', s.rootFile, '--json'], { env });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.json.who, /customer acme/);
    assert.equal(linked(w2.home).token, token);
    const u = await hfx(['login', s.url, '--user', 'admin', '--json'], { env });
    assert.equal(u.code, 0, u.stdout);
    assert.match(u.json.who, /^admin \(admin\)$/);
  });

  test('--token on the command line still works but warns that other users of the machine can read it', async (t) => {
    const token = await newToken('argv');
    const w3 = await world(t);
    const r = await hfx(['login', s.url, '--token', token, '--home', w3.home, '--root', s.rootFile], {
      env: { HFX_CONFIG_DIR: join(w3.dir, 'c3'), NO_COLOR: '1' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: --token puts the token in the process list \(ps\) and the shell history/);
    assert.match(r.stderr, /--token-stdin/);
    assert.match(r.stderr, /HFX_TOKEN/);
    assert.equal(linked(w3.home).token, token);
  });

  test('usage: one source of token, a non-empty one, not with --user; --help shows --token-stdin and HFX_TOKEN', async () => {
    const env = { HFX_CONFIG_DIR: join(w.dir, 'c4'), NO_COLOR: '1' };
    const code = async (args: string[], stdin = '') =>
      (await runCommand(loginCommand, [s.url, ...args], { env, stdin: Readable.from([stdin]) })).error?.code;
    assert.equal(await code(['--token', 'hfx_a', '--token-stdin']), 'HFX_E_USAGE');
    assert.equal(await code(['--token-stdin'], ' \n'), 'HFX_E_USAGE');
    assert.equal(await code(['--user', 'admin', '--token-stdin']), 'HFX_E_USAGE');
    assert.equal(await code([]), 'HFX_E_USAGE');
    const help = await hfx(['login', '--help']);
    assert.match(help.stdout, /--token-stdin/);
    assert.match(help.stdout, /HFX_TOKEN/);
    assert.match(help.stdout, /--insecure/);
  });

  test('through a real server: hfx check shows a hostile archive title as visible escapes', async () => {
    const zip = await w.hotfix('HF-EVIL-2', (d) => writeFileSync(join(d, 'lib/util.jar'), 'x\n'), {
      title: TITLE,
      description: DESCRIPTION,
    });
    const up = await api(s.url, 'POST', '/v1/archives', admin, new Uint8Array(readFileSync(zip)));
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const env = { HFX_CONFIG_DIR: join(w.dir, 'c5'), NO_COLOR: '1' };
    assert.equal(
      (await hfx(['login', s.url, '--token', await newToken('check'), '--home', w.home, '--root', s.rootFile], { env }))
        .code,
      0,
    );
    const c = await hfx(['check', '--home', w.home], { env });
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /HF-EVIL-2/);
    assertNeutral(c.stdout, 'check');
    for (const v of TITLE_SHOWN) assert.ok(c.stdout.includes(v), v);
    const colour = await hfx(['check', '--home', w.home], { env: { ...env, NO_COLOR: undefined, FORCE_COLOR: '1' } });
    assert.ok(colour.stdout.includes('\x1b[1mHF-EVIL-2\x1b[22m'));
    assertNeutral(colour.stdout.replace(SGR, ''), 'check with colour');
    const j = await hfx(['check', '--home', w.home, '--json'], { env });
    assert.doesNotMatch(j.stdout, RAW_IN_JSON);
    assert.equal(j.json.hotfixes.find((h: { id: string }) => h.id === 'HF-EVIL-2').title, TITLE);
  });
});
