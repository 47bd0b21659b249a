// Administration from the CLI against a real server: `hfx user`, `hfx customer`, `hfx key`, each
// made, listed (text and --json) and refused with the server's codes and hints; and the password
// prompt that does not echo what is typed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { userCommand } from '../src/cli/commands/user/index.js';
import { readSecret } from '../src/cli/prompt.js';
import { hfx, runCommand } from './helpers/cli.js';
import { world } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { STORES, testServer } from './helpers/server.js';

/** A stdin that says it is a terminal, as a person typing at the prompt. */
function fakeTty(): PassThrough & { isTTY: boolean } {
  return Object.assign(new PassThrough(), { isTTY: true });
}

/** Everything written to the process's own stderr while `fn` runs (where an echo would have gone). */
async function processStderrDuring<T>(fn: () => Promise<T>): Promise<{ value: T; written: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let written = '';
  process.stderr.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    written += String(chunk);
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  };
  try {
    return { value: await fn(), written };
  } finally {
    process.stderr.write = original;
  }
}

test('readSecret at a terminal: the prompt goes to stderr and nothing typed is echoed', async () => {
  const stdin = fakeTty();
  const stderr = new PassThrough();
  let shown = '';
  stderr.on('data', (d: Buffer) => (shown += d.toString()));
  setImmediate(() => stdin.write('typed-secret-123\r'));
  const opts = { envVar: 'HFX_PASSWORD', fromStdin: false, prompt: 'password: ' };
  const { value, written } = await processStderrDuring(() => readSecret({ env: {}, stdin, stderr }, opts));
  assert.equal(written.includes('typed-secret'), false, "nothing typed reaches the process's stderr");
  assert.equal(value, 'typed-secret-123');
  assert.equal(shown, 'password: \n');
});

test('readSecret with a confirmation: asked twice, a mismatch is refused, Ctrl+C cancels; the env var and a pipe still win', async () => {
  interface Outcome {
    v?: string;
    e?: { code: string; message: string };
  }
  const twice = { envVar: 'HFX_NEW_PASSWORD', fromStdin: false, prompt: 'p', confirm: 'q' };
  const ask = async (typed: string) => {
    const stdin = fakeTty();
    const stderr = new PassThrough();
    let shown = '';
    stderr.on('data', (d: Buffer) => (shown += d.toString()));
    // Both lines at once, as when pasted: the second is kept for the second prompt.
    setImmediate(() => stdin.write(typed));
    const r = await processStderrDuring(() =>
      readSecret({ env: {}, stdin, stderr }, { ...twice, prompt: 'password: ', confirm: 'again: ' }).then(
        (v): Outcome => ({ v }),
        (e: unknown): Outcome => ({ e: e as Outcome['e'] }),
      ),
    );
    assert.equal(r.written.includes('pasted') || shown.includes('pasted'), false);
    return { ...r.value, shown };
  };
  const same = await ask('pasted-secret-1\rpasted-secret-1\r');
  assert.deepEqual(same, { v: 'pasted-secret-1', shown: 'password: \nagain: \n' });
  const differ = await ask('pasted-secret-1\rpasted-secret-2\r');
  assert.equal(differ.e?.code, 'HFX_E_USAGE');
  assert.match(differ.e.message, /differ/);
  const cancelled = await ask('pasted\x03');
  assert.equal(cancelled.e?.code, 'HFX_E_USAGE');
  assert.match(cancelled.e.message, /cancelled/);
  assert.equal(
    await readSecret({ env: { HFX_NEW_PASSWORD: 'from-the-env-1' }, stdin: fakeTty() }, twice),
    'from-the-env-1',
  );
  const pipe = new PassThrough();
  pipe.end('from-a-pipe-12 \n');
  assert.equal(
    await readSecret({ env: {}, stdin: pipe }, twice),
    'from-a-pipe-12 ',
    'only the line end a pipe adds is dropped',
  );
});

test("hfx key and hfx trust --help tell the server's publisher keys from an installation's trust store", async () => {
  const key = await hfx(['key', '--help']);
  assert.equal(key.code, 0);
  assert.match(key.stdout, /hfx trust add/);
  assert.match(key.stdout, /\$ hfx key trust /);
  const trust = await hfx(['trust', '--help']);
  assert.match(trust.stdout, /hfx key trust/);
  for (const name of ['user', 'customer'])
    assert.match((await hfx([name, '--help'])).stdout, new RegExp(`Examples:\\n {2}\\$ hfx ${name} `));
  // A mistyped subcommand is named as such, before any login is looked for.
  const typos = [
    ['user', 'lsit', 'hfx user list | add NAME'],
    ['customer', '', 'hfx customer list | add ID'],
    ['key', 'trsut', 'hfx key list | trust'],
  ];
  for (const [name, typo, usage] of typos) {
    const r = await hfx([name!, ...(typo ? [typo] : []), '--json'], {
      env: { HFX_CONFIG_DIR: join(tmpdir(), 'hfx-no-such-config'), NO_COLOR: '1' },
    });
    assert.equal(r.json.error.code, 'HFX_E_USAGE', name);
    assert.match(r.json.error.message, typo ? new RegExp(`unknown subcommand "${typo}"`) : /a subcommand is missing/);
    assert.ok(r.json.error.hint.startsWith(usage!), r.json.error.hint);
  }
});

for (const store of STORES)
  describe(`hfx user, customer and key on ${store}`, () => {
    let s: Awaited<ReturnType<typeof testServer>>;
    let adminDir = '';
    /** A config dir of its own (one saved login), removed at the end. */
    const dirs: string[] = [];
    const configDir = () => {
      dirs.push(mkdtempSync(join(tmpdir(), 'hfx-cli-admin-')));
      return dirs.at(-1)!;
    };
    /** `hfx …` as the user logged in under `dir` (the admin by default). */
    const as = (dir: string, argv: string[], env: NodeJS.ProcessEnv = {}) =>
      hfx(argv, { env: { HFX_CONFIG_DIR: dir, NO_COLOR: '1', ...env } });
    const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => as(adminDir, argv, env);
    /** Logs `user` in under a new config dir; the dir, for `as`. */
    const login = async (user: string, password: string) => {
      const dir = configDir();
      const r = await as(dir, ['login', s.url, '--user', user, '--json'], { HFX_PASSWORD: password });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return dir;
    };

    before(async () => {
      s = await testServer({ store });
      adminDir = await login('admin', s.adminPassword);
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    test('hfx customer add and list: tokens, installations and users counted, in text and JSON; refusals', async () => {
      const add = await run(['customer', 'add', 'acme', '--name', 'ACME Corp', '--json']);
      assert.equal(add.code, 0, add.stdout);
      assert.deepEqual(add.json, { ok: true, customer: { id: 'acme', name: 'ACME Corp' } });
      const text = await run(['customer', 'add', 'initech', '--name', 'Initech']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /✓ customer initech \(Initech\) added/);
      assert.match(text.stderr, /hfx token new NAME --customer initech/, 'the next step is named');
      assert.equal((await run(['token', 'new', 'acme-prod-1', '--customer', 'acme'])).code, 0);
      const list = await run(['customer', 'list', '--json']);
      interface Row {
        id: string;
        tokens: number;
        installations: number;
        users: number;
      }
      assert.deepEqual(
        list.json.customers.map((c: Row) => [c.id, c.tokens, c.installations, c.users]),
        [
          ['acme', 1, 0, 0],
          ['initech', 0, 0, 0],
        ],
      );
      const human = await run(['customer', 'list']);
      assert.match(human.stdout, /^acme\s+1 token\s+0 installations\s+0 users\s+ACME Corp\s+since \d{4}-\d\d-\d\d$/m);
      assert.match(human.stdout, /^initech\s+0 tokens\s+0 installations\s+0 users\s+Initech/m);
      const again = await run(['customer', 'add', 'acme', '--name', 'Again', '--json']);
      assert.equal(again.code, 2);
      assert.equal(again.json.error.code, 'HFX_E_USAGE');
      assert.match(again.json.error.message, /customer acme exists/);
      assert.match(again.json.error.hint, /hfx customer list/);
      const noName = await run(['customer', 'add', 'globex', '--json']);
      assert.deepEqual([noName.json.error.code, noName.json.error.message], ['HFX_E_USAGE', '--name is required']);
      const unknown = await run(['token', 'new', 'x', '--customer', 'nobody', '--json']);
      assert.equal(unknown.json.error.code, 'HFX_E_NOT_FOUND');
      assert.match(unknown.json.error.hint, /hfx customer list/);
    });

    test("hfx user add, list and set: vendor and customer users; refusals with the server's codes and hints", async () => {
      assert.equal((await run(['customer', 'add', 'globex', '--name', 'Globex'])).code, 0);
      const dev = await run(['user', 'add', 'dana', '--role', 'developer', '--email', 'dana@example.com', '--json'], {
        HFX_NEW_PASSWORD: 'dana-password-1',
      });
      assert.equal(dev.code, 0, dev.stdout);
      assert.deepEqual(
        { ...dev.json.user, createdAt: 'x' },
        {
          username: 'dana',
          role: 'developer',
          customer: null,
          email: 'dana@example.com',
          disabled: false,
          createdAt: 'x',
        },
      );
      const noCustomer = await run(['user', 'add', 'gil', '--role', 'customer', '--json'], {
        HFX_NEW_PASSWORD: 'gil-password-12',
      });
      assert.equal(noCustomer.code, 2);
      assert.equal(noCustomer.json.error.code, 'HFX_E_USAGE');
      assert.match(noCustomer.json.error.message, /--customer/);
      assert.match(noCustomer.json.error.hint, /hfx user add gil --role customer --customer /);
      const unknown = await run(['user', 'add', 'gil', '--role', 'customer', '--customer', 'nobody', '--json'], {
        HFX_NEW_PASSWORD: 'gil-password-12',
      });
      assert.equal(unknown.json.error.code, 'HFX_E_NOT_FOUND');
      assert.match(unknown.json.error.message, /no customer nobody/);
      assert.match(unknown.json.error.hint, /hfx customer list/);
      const vendorWithCustomer = await run(
        ['user', 'add', 'gil', '--role', 'viewer', '--customer', 'globex', '--json'],
        { HFX_NEW_PASSWORD: 'gil-pw-123456' },
      );
      const { code, message } = vendorWithCustomer.json.error;
      assert.deepEqual([code, message], ['HFX_E_USAGE', 'only a user with role customer takes --customer']);
      const gil = await run(['user', 'add', 'gil', '--role', 'customer', '--customer', 'globex'], {
        HFX_NEW_PASSWORD: 'gil-password-12',
      });
      assert.equal(gil.code, 0, gil.stderr);
      assert.match(gil.stdout, /✓ user gil added: customer globex's user/);
      assert.match(gil.stderr, new RegExp(`hfx login ${s.url} --user gil`));
      const exists = await run(['user', 'add', 'gil', '--role', 'viewer', '--json'], {
        HFX_NEW_PASSWORD: 'gil-password-12',
      });
      assert.deepEqual(
        [exists.json.error.code, exists.json.error.hint],
        ['HFX_E_USAGE', 'List the users: `hfx user list`.'],
      );
      const short = await run(['user', 'add', 'hal', '--role', 'viewer', '--json'], { HFX_NEW_PASSWORD: 'too-short' });
      assert.equal(short.json.error.code, 'HFX_E_USAGE');
      assert.match(short.json.error.message, /at least 12 characters/);
      const badRole = await run(['user', 'add', 'hal', '--role', 'root', '--json'], {
        HFX_NEW_PASSWORD: 'hal-password-12',
      });
      assert.match(
        badRole.json.error.message,
        /--role must be one of viewer, developer, release-manager, admin, customer/,
      );

      const list = await run(['user', 'list', '--json']);
      interface Row {
        username: string;
        role: string;
        customer: string | null;
      }
      const made = list.json.users.filter((u: Row) => ['dana', 'gil'].includes(u.username));
      assert.deepEqual(
        made.map((u: Row) => [u.username, u.role, u.customer]),
        [
          ['dana', 'developer', null],
          ['gil', 'customer', 'globex'],
        ],
      );
      const human = await run(['user', 'list']);
      assert.match(human.stdout, /^dana\s+developer\s+dana@example\.com\s+active\s+since \d{4}-/m);
      assert.match(human.stdout, /^gil\s+customer globex\s+no e-mail\s+active/m);
      assert.equal(
        (await run(['customer', 'list', '--json'])).json.customers.find((c: { id: string }) => c.id === 'globex').users,
        1,
      );

      const set = await run(['user', 'set', 'dana', '--role', 'release-manager', '--no-email', '--json']);
      assert.deepEqual([set.json.user.role, set.json.user.email], ['release-manager', null]);
      const setText = await run(['user', 'set', 'dana', '--email', 'd@example.com']);
      assert.match(setText.stdout, /✓ user dana: release-manager, e-mail d@example\.com/);
      const nothing = await run(['user', 'set', 'dana', '--json']);
      assert.match(nothing.json.error.message, /nothing to change/);
      const both = await run(['user', 'set', 'dana', '--email', 'a@b.c', '--no-email', '--json']);
      assert.equal(both.json.error.code, 'HFX_E_USAGE');
      const crossing = await run(['user', 'set', 'gil', '--role', 'developer', '--json']);
      assert.equal(crossing.json.error.code, 'HFX_E_USAGE');
      assert.match(crossing.json.error.message, /cannot be given a vendor role/);
      const nobody = await run(['user', 'set', 'nobody', '--role', 'viewer', '--json']);
      assert.equal(nobody.json.error.code, 'HFX_E_NOT_FOUND');
      // The users made log in with the passwords given.
      await login('dana', 'dana-password-1');
      await login('gil', 'gil-password-12');
    });

    test('hfx user add: the password typed twice at a prompt that does not echo it, or piped with --password-stdin', async () => {
      const typed = fakeTty();
      const env = { HFX_CONFIG_DIR: adminDir, NO_COLOR: '1' };
      setImmediate(() => typed.write('typed-password-1\rtyped-password-1\r'));
      const r = await runCommand(userCommand, ['add', 'ivy', '--role', 'viewer'], { env, stdin: typed });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^password for ivy: \nthe same password again: \n/);
      assert.equal(r.stderr.includes('typed-password'), false);
      await login('ivy', 'typed-password-1');
      const mismatch = fakeTty();
      setImmediate(() => mismatch.write('typed-password-1\rtyped-password-2\r'));
      const m = await runCommand(userCommand, ['add', 'jo', '--role', 'viewer', '--json'], { env, stdin: mismatch });
      assert.equal(m.json.error.code, 'HFX_E_USAGE');
      const piped = new PassThrough();
      piped.end('piped-password-1\n');
      const p = await runCommand(userCommand, ['add', 'jo', '--role', 'viewer', '--password-stdin'], {
        env,
        stdin: piped,
      });
      assert.equal(p.code, 0, p.stderr);
      await login('jo', 'piped-password-1');
      const users = (await run(['user', 'list', '--json'])).json.users.map((u: { username: string }) => u.username);
      assert.ok(users.includes('ivy') && users.includes('jo'));
    });

    test('not an admin: every change is refused with HFX_E_FORBIDDEN; customers listed from release-manager up, keys by any vendor user', async (t) => {
      assert.equal(
        (await run(['user', 'add', 'kim', '--role', 'developer'], { HFX_NEW_PASSWORD: 'kim-password-12' })).code,
        0,
      );
      assert.equal(
        (await run(['user', 'add', 'rita', '--role', 'release-manager'], { HFX_NEW_PASSWORD: 'rita-password-1' })).code,
        0,
      );
      const kim = await login('kim', 'kim-password-12');
      const rita = await login('rita', 'rita-password-1');
      for (const argv of [
        ['user', 'list'],
        ['user', 'add', 'lee', '--role', 'viewer'],
        ['user', 'disable', 'admin'],
        ['user', 'set', 'kim', '--role', 'admin'],
        ['customer', 'add', 'umbrella', '--name', 'U'],
        ['customer', 'list'],
      ]) {
        const r = await as(kim, [...argv, '--json'], { HFX_NEW_PASSWORD: 'lee-password-12' });
        assert.equal(r.code, 9, argv.join(' '));
        assert.equal(r.json.error.code, 'HFX_E_FORBIDDEN', argv.join(' '));
      }
      const text = await as(kim, ['user', 'list']);
      assert.match(text.stderr, /HFX_E_FORBIDDEN.*this needs the admin role; you are developer/);
      assert.match(text.stderr, /Ask an admin/);
      assert.equal((await as(rita, ['customer', 'list', '--json'])).json.ok, true);
      assert.equal(
        (await as(rita, ['customer', 'add', 'umbrella', '--name', 'U', '--json'])).json.error.code,
        'HFX_E_FORBIDDEN',
      );
      assert.equal((await as(kim, ['key', 'list', '--json'])).json.ok, true);
      const w = await world(t);
      assert.equal((await as(kim, ['key', 'trust', w.pub, '--json'])).json.error.code, 'HFX_E_FORBIDDEN');
      const nobody = await as(configDir(), ['user', 'list', '--json']);
      assert.equal(nobody.json.error.code, 'HFX_E_AUTH');
      assert.match(nobody.json.error.hint, /hfx login URL --user NAME/);
    });

    test('hfx user disable: no login and no tokens until enable; the last admin is neither disabled nor demoted', async () => {
      assert.equal(
        (await run(['user', 'add', 'carol', '--role', 'viewer'], { HFX_NEW_PASSWORD: 'carol-password1' })).code,
        0,
      );
      const carol = await login('carol', 'carol-password1');
      assert.equal((await as(carol, ['token', 'list', '--json'])).code, 0);
      const off = await run(['user', 'disable', 'carol']);
      assert.equal(off.code, 0, off.stderr);
      assert.match(
        off.stdout,
        /✓ user carol disabled: cannot sign in; its tokens are revoked \(`hfx user enable carol`/,
      );
      const revoked = await as(carol, ['token', 'list', '--json']);
      assert.equal(revoked.json.error.code, 'HFX_E_AUTH', 'the saved login was revoked');
      const refused = await as(configDir(), ['login', s.url, '--user', 'carol', '--json'], {
        HFX_PASSWORD: 'carol-password1',
      });
      assert.equal(refused.code, 9);
      assert.equal(refused.json.error.code, 'HFX_E_AUTH');
      assert.match(refused.json.error.message, /carol is disabled/);
      assert.match((await run(['user', 'list'])).stdout, /^carol\s+viewer\s+no e-mail\s+disabled/m);
      assert.equal(
        (await run(['user', 'list', '--json'])).json.users.find((u: { username: string }) => u.username === 'carol')
          .disabled,
        true,
      );
      const on = await run(['user', 'enable', 'carol', '--json']);
      assert.equal(on.json.user.disabled, false);
      const back = await login('carol', 'carol-password1');
      assert.equal((await as(back, ['token', 'list', '--json'])).code, 0);

      for (const argv of [
        ['user', 'disable', 'admin'],
        ['user', 'set', 'admin', '--role', 'developer'],
      ]) {
        const last = await run([...argv, '--json']);
        assert.equal(last.code, 2, argv.join(' '));
        assert.equal(last.json.error.code, 'HFX_E_USAGE');
        assert.match(last.json.error.message, /admin is the last admin who can sign in/);
        assert.match(last.json.error.hint, /`hfx user add NAME --role admin`/);
      }
      const text = await run(['user', 'disable', 'admin']);
      assert.match(text.stderr, /→ Make another admin first: `hfx user add NAME --role admin`/);
      assert.equal(
        (await run(['user', 'list', '--json'])).json.users.find((u: { username: string }) => u.username === 'admin')
          .disabled,
        false,
      );
    });

    test('hfx key trust: a push refused as untrusted (the hint names hfx key trust) goes through once the key is trusted', async (t) => {
      const w = await world(t);
      const zip = await w.hotfix('HF-1.0.0-0-0042', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed\n'));
      assert.match((await run(['key', 'list'])).stdout, /no publisher keys: .*hfx key trust/);
      const before = await run(['push', zip, '--json']);
      assert.equal(before.code, 4);
      assert.equal(before.json.error.code, 'HFX_E_UNTRUSTED');
      assert.match(before.json.error.hint, /hfx key trust PUBLISHER\.pub --name NAME/);

      const secret = await run(['key', 'trust', w.key, '--json']);
      assert.equal(secret.json.error.code, 'HFX_E_USAGE');
      assert.match(secret.json.error.message, /is a private key: nothing was sent/);
      assert.equal((await run(['key', 'list', '--json'])).json.keys.length, 0);
      const missing = await run(['key', 'trust', join(w.dir, 'nope.pub'), '--json']);
      assert.equal(missing.json.error.code, 'HFX_E_NOT_FOUND');

      const trusted = await run(['key', 'trust', w.pub, '--name', 'release-2026', '--json']);
      assert.equal(trusted.code, 0, trusted.stdout);
      assert.equal(trusted.json.existed, false);
      assert.equal(trusted.json.name, 'release-2026');
      const keyid: string = trusted.json.keyid;
      const again = await run(['key', 'trust', w.pub, '--name', 'another-name']);
      assert.equal(again.code, 0);
      assert.match(
        again.stdout,
        new RegExp(`key ${keyid.slice(0, 16)} is already trusted \\(as release-2026\\): nothing changed`),
      );
      assert.deepEqual((await run(['key', 'trust', w.pub, '--json'])).json, {
        ok: true,
        keyid,
        name: 'release-2026',
        existed: true,
      });
      const list = await run(['key', 'list']);
      assert.match(list.stdout, new RegExp(`^${keyid.slice(0, 16)}  release-2026  trusted \\d{4}-\\d\\d-\\d\\d$`, 'm'));
      const json = await run(['key', 'list', '--json']);
      assert.deepEqual(
        json.json.keys.map((k: { keyid: string; name: string }) => [k.keyid, k.name]),
        [[keyid, 'release-2026']],
      );

      const pushed = await run(['push', zip, '--json']);
      assert.equal(pushed.code, 0, pushed.stdout);
      assert.equal(pushed.json.id, 'HF-1.0.0-0-0042');
    });
  });
