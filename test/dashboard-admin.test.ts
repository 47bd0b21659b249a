import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  DESKTOP,
  launch,
  overflowsX,
  PHONE,
  screenshotDir,
  signIn,
  signOut,
  tooWide,
  unlabelled,
} from './helpers/browser.js';
import { hfx } from './helpers/cli.js';
import { world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { releaseManifest } from './helpers/release.js';
import { api, STORES, testServer } from './helpers/server.js';

/**
 * The dashboard's first screen, administration and customers' own view, in Debian's chromium
 * against a real server on each store: a fresh server's set-up checklist done step by step (in the
 * browser, the last step with the CLI on an installation), every admin action clicked and checked
 * against the API, a customer's user who sees only its own customer's things, release notes
 * rendered from Markdown with hostile input, what the first view weighs, and a screenshot of
 * every view at desktop and phone size, fresh and with data.
 */

const JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="core"><testcase classname="core.Cache" name="evicts"/></testsuite></testsuites>`;
/** Markdown meant to run script in the page: raw HTML, event handlers, script links, and an image. */
const HOSTILE = [
  '# Notes <script>window.__pwned = "script"</script>',
  '',
  '<img src="x" onerror="window.__pwned = \'img\'">',
  '',
  "[click me](javascript:window.__pwned='link') [entity](javascript&colon;window.__pwned=1) [data](data:text/html,<script>alert(1)</script>)",
  '',
  '<a href="javascript:window.__pwned=1">raw anchor</a> <iframe src="javascript:alert(1)"></iframe>',
  '',
  '![pixel](https://tracker.example/p.gif) [the docs](https://example.com/docs) <https://example.com/auto>',
  '',
  '| a | b |',
  '|---|---|',
  '| <b onmouseover="x()">cell</b> | `code` |',
  '',
  '```html',
  '<script>alert("in code")</script>',
  '```',
].join('\n');

type TS = Awaited<ReturnType<typeof testServer>>;

for (const store of STORES)
  describe(`dashboard administration in chromium on ${store}`, () => {
    let s: TS;
    let w: World;
    let browser: Browser;
    let page: Page;
    let shots: string;
    let admin = '';
    let acmeToken = '';
    const cleanups: (() => void)[] = [];
    const homes: Record<string, string> = {};
    const call = (method: string, path: string, body?: unknown, token = admin) => api(s.url, method, path, token, body);
    const must = async (args: string[], env: NodeJS.ProcessEnv) => {
      const r = await hfx([...args, '--json'], { env, cwd: w.dir });
      assert.equal(r.code, 0, `hfx ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      return r.json;
    };
    /** An installation linked with a customer's installation token (given by HFX_TOKEN, as docs/server.md says) and the TUF root, and reported. */
    const installation = async (name: string, token: string) => {
      homes[name] = join(w.dir, `inst-${name}`);
      cpSync(w.home, homes[name], { recursive: true, verbatimSymlinks: true });
      const env = { HFX_CONFIG_DIR: join(w.dir, `cfg-${name}`), HFX_TOKEN: token, NO_COLOR: '1' };
      await must(['login', s.url, '--home', homes[name], '--root', s.rootFile], env);
      await must(['state', '--report', '--name', name, '--home', homes[name]], env);
      return env;
    };
    const nav = (p: Page, name: string) =>
      p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
    /** The view is drawn: its heading is there and nothing is still loading. */
    const settled = async (p: Page) => {
      await p.locator('main h1').first().waitFor();
      // Polled from here: the page's CSP refuses the eval a string predicate of waitForFunction needs.
      for (const end = Date.now() + 15_000; (await p.locator('.loading').count()) > 0;) {
        if (Date.now() > end) throw new Error(`still loading: ${p.url()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const shot = async (p: Page, name: string) => {
      await settled(p);
      await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      assert.deepEqual(await unlabelled(p), [], `${name}: every control has a label`);
      assert.equal(await overflowsX(p), false, `${name} fits the window's width: ${(await tooWide(p)).join(', ')}`);
    };
    const step = (id: string) => page.locator(`[data-step="${id}"]`);
    const stepDone = (id: string) => page.locator(`[data-step="${id}"][data-done="true"]`).waitFor();
    const VIEWS = [
      '/',
      '/pipeline',
      '/cases',
      '/fleet',
      '/archives',
      '/releases',
      '/updates',
      '/users',
      '/customers',
      '/publisher-keys',
      '/notifications',
      '/tokens',
    ];
    const LOGIN_LINE = /hfx login http:\/\/127\.0\.0\.1:\d+ --token-stdin --home DIR --root 1\.root\.json/;
    /** A case reported through the API (a developer's fields), for a customer or the vendor. */
    const newCase = async (title: string, extra: Record<string, string>) => {
      const body = {
        title,
        source: 'customer',
        reporter: 'ops@acme.example',
        product: 'demo',
        impact: 'few',
        severity: 'S3',
        ...extra,
      };
      const r = await call('POST', '/v1/cases', body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as number;
    };
    /** Triaged, started, tested and linked to its hotfix: ready, with release notes. */
    const toReady = async (id: number, hotfix: string, rootCause: string) => {
      const evidence = { functional: JUNIT, regression: JUNIT };
      const steps = [
        ['triage', {}],
        ['start', { assignee: 'admin', rootCause }],
        ['evidence', evidence],
        ['ready', { hotfix }],
      ] as const;
      for (const [action, body] of steps) {
        const r = await call('POST', `/v1/cases/${id}/${action}`, body);
        assert.equal(r.status, 200, `${action}: ${JSON.stringify(r.body)}`);
      }
    };
    const markdown = (body: string) => ({ status: 200, contentType: 'text/markdown; charset=utf-8', body });
    const slug = (path: string) => (path === '/' ? 'overview' : path.slice(1).replace(/[^A-Za-z0-9]+/g, '-'));

    before(async () => {
      shots = screenshotDir(store);
      // No deliveries: the outbox keeps what it queued, so the views show it as it stands.
      const worker = process.env.HFX_NOTIFY_WORKER;
      process.env.HFX_NOTIFY_WORKER = '0';
      s = await testServer({ store });
      if (worker === undefined) delete process.env.HFX_NOTIFY_WORKER;
      else process.env.HFX_NOTIFY_WORKER = worker;
      w = await world({ after: (fn: () => void) => cleanups.push(fn) });
      admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
        .token;
      browser = await launch();
      page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    });
    after(async () => {
      await maybe(browser)?.close();
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('a fresh server: every view says what would fill it and how, on a desktop and a phone', async () => {
      await signIn(page, s.url, 'admin', s.adminPassword);
      // The first screen is the overview, with the set-up checklist; the header names the user and the role apart.
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      assert.equal(await page.getByTestId('who-name').innerText(), 'admin');
      assert.equal(await page.getByTestId('who-role').innerText(), 'Administrator');
      const phone = await (await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })).newPage();
      await signIn(phone, s.url, 'admin', s.adminPassword);
      // What each empty view offers: the empty state's title, and a command or a button to fill it.
      const offers: Record<string, RegExp> = {
        '/pipeline': /No products yet[\s\S]*hfx push/,
        '/cases': /No cases yet/,
        '/fleet': /No installation has reported yet[\s\S]*hfx state --report/,
        '/archives': /No archives yet[\s\S]*hfx push/,
        '/releases': /No products yet/,
        '/updates': /No products yet/,
        '/customers': /No customers yet[\s\S]*hfx customer add/,
        '/publisher-keys': /No key trusted yet[\s\S]*hfx key trust/,
        '/notifications': /Nobody is notified yet/,
      };
      for (const path of VIEWS) {
        await page.goto(`${s.url}${path}`);
        await shot(page, `fresh-${slug(path)}`);
        if (offers[path])
          assert.match(await page.locator('main').innerText(), offers[path], `${path} on a fresh server`);
        await phone.goto(`${s.url}${path}`);
        await shot(phone, `phone-fresh-${slug(path)}`);
      }
      // On a phone the navigation is behind the menu button.
      assert.equal(await phone.getByRole('navigation', { name: 'Main' }).isVisible(), false);
      await phone.getByRole('button', { name: 'Menu' }).click();
      await nav(phone, 'Customers').waitFor();
      await phone.screenshot({ path: join(shots, 'phone-menu.png') });
      await nav(phone, 'Customers').click();
      await phone.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
      assert.equal(
        await phone.getByRole('navigation', { name: 'Main' }).isVisible(),
        false,
        'the menu closes on a choice',
      );
      await phone.context().close();
    });

    test('the set-up checklist: nothing done on a fresh server; each step, done in the dashboard or on the installation, turns done', async () => {
      await page.goto(`${s.url}/`);
      const ids = ['publisher-key', 'product', 'customer', 'installation-token', 'first-push', 'first-report'];
      await step('publisher-key').waitFor();
      for (const id of ids)
        assert.equal(await step(id).getAttribute('data-done'), 'false', `${id} is not done on a fresh server`);
      assert.match(await page.getByRole('region', { name: 'Set up hfx' }).innerText(), /0 of 6 steps done/);
      // Each step names the command line that does it.
      assert.match(await step('publisher-key').innerText(), /hfx key trust vendor\.pub --name vendor/);
      assert.match(await step('customer').innerText(), /hfx customer add acme --name "ACME Corp"/);
      assert.match(await step('installation-token').innerText(), /hfx token new acme-prod-1 --customer acme/);
      assert.match(await step('first-push').innerText(), /hfx push /);
      assert.match(await step('first-report').innerText(), LOGIN_LINE);
      assert.match(await step('first-report').innerText(), /hfx state --report --home DIR/);
      await shot(page, 'setup-0-fresh');

      // 1. A publisher key, pasted: a private key is refused before anything is sent.
      await step('publisher-key').getByRole('button', { name: 'Trust a key' }).click();
      const trust = page.getByRole('form', { name: 'Trust the key' });
      await trust.getByLabel('Name').fill('vendor');
      await trust.getByLabel('Public key (PEM)').fill(readFileSync(w.key, 'utf8'));
      await trust.getByRole('button', { name: 'Trust the key' }).click();
      await trust.getByRole('alert').filter({ hasText: 'that is a private key' }).waitFor();
      assert.equal((await call('GET', '/v1/publisher-keys')).body.keys.length, 0);
      await trust.getByLabel('Public key (PEM)').fill(readFileSync(w.pub, 'utf8'));
      await trust.getByRole('button', { name: 'Trust the key' }).click();
      await stepDone('publisher-key');
      assert.deepEqual(
        (await call('GET', '/v1/publisher-keys')).body.keys.map((k: { name: string }) => k.name),
        ['vendor'],
      );

      // 2. The product, registered by hand with its first release.
      await step('product').getByRole('button', { name: 'Register a product' }).click();
      await page.getByLabel('Product name').fill('demo');
      await page.getByLabel('Title').fill('Demo');
      await page.getByLabel('First release').fill('1.0.0');
      await page.getByRole('button', { name: 'Register the product' }).click();
      await stepDone('product');
      const products = (await call('GET', '/v1/products')).body.products;
      assert.deepEqual(
        products.map((p: { name: string; releases: string[] }) => [p.name, p.releases]),
        [['demo', ['1.0.0']]],
      );

      // 3. A customer.
      await step('customer').getByRole('button', { name: 'Add a customer' }).click();
      await page.getByLabel('Customer id').fill('acme');
      await page.getByLabel('Name', { exact: true }).fill('ACME Corp');
      await page.getByRole('button', { name: 'Add the customer' }).click();
      await stepDone('customer');
      assert.deepEqual(
        (await call('GET', '/v1/customers')).body.customers.map((c: { id: string; name: string }) => [c.id, c.name]),
        [['acme', 'ACME Corp']],
      );

      // 4. An installation token, shown once with the line that links an installation.
      await step('installation-token').getByRole('button', { name: 'Make an installation token' }).click();
      const make = page.getByRole('form', { name: 'Make the token' });
      await make.getByLabel('Customer').selectOption('acme');
      await make.getByLabel('Name').fill('acme-prod-1');
      await make.getByRole('button', { name: 'Make the token' }).click();
      acmeToken = (await page.getByTestId('new-token').innerText()).trim();
      assert.match(acmeToken, /^hfx_/);
      const once = await page.getByRole('status').filter({ hasText: 'Copy it now' }).innerText();
      assert.match(once, new RegExp(`${LOGIN_LINE.source} < acme-prod-1\\.token`));
      await shot(page, 'setup-4-token');
      // Copy puts the very token on the clipboard.
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await page.getByRole('button', { name: 'Copy the token' }).click();
      await page.getByRole('button', { name: 'Copy the token' }).getByText('Copied').waitFor();
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), acmeToken);
      await page.reload();
      await stepDone('installation-token');
      const tokens: { name: string; customer: string | null }[] = (await call('GET', '/v1/tokens')).body.tokens;
      assert.deepEqual(
        tokens.filter((t) => t.customer).map((t) => [t.name, t.customer]),
        [['acme-prod-1', 'acme']],
      );

      // 5. The first push, from the Archives view the step links to.
      const zip = await w.hotfix('HF-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'core 1.0.1\n'));
      await step('first-push').getByRole('link', { name: 'Push from Archives' }).click();
      await page.getByRole('button', { name: 'Push an archive' }).click();
      await page.getByLabel('Signed archive (.zip)').setInputFiles(zip);
      await page.getByRole('button', { name: 'Push', exact: true }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /HF-1 pushed \(\d/ })
        .waitFor();
      // The same bytes again: the server answers `existed` without a size, and the page says so (no "undefined B").
      await page.getByRole('button', { name: 'Push', exact: true }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'HF-1 was already on the server, with the same bytes' })
        .waitFor();
      assert.doesNotMatch(await page.locator('main').innerText(), /undefined|NaN/);
      await nav(page, 'Overview').click();
      await stepDone('first-push');

      // 6. The installation: linked with the token and reported, on its own machine (the dashboard cannot do this).
      assert.equal(await step('first-report').getAttribute('data-done'), 'false');
      await installation('acme-prod-1', acmeToken);
      await page.reload();
      // Every step done: the checklist gives way to what needs attention.
      await page.getByRole('region', { name: 'Hotfixes red in the pipeline' }).waitFor();
      assert.equal(await page.locator('[data-step]').count(), 0);
      assert.equal(
        (await call('GET', '/v1/overview')).body.setup.every((x: { done: boolean }) => x.done),
        true,
      );
      await shot(page, 'setup-6-done');
    });

    test('an admin manages users, customers and their tokens, publisher keys and notifications in the browser; the server has each change', async () => {
      // Users: a developer with an e-mail, and a customer's user bound to acme.
      await nav(page, 'Users').click();
      await page.getByRole('table', { name: 'Users' }).getByText('admin').first().waitFor();
      await page.getByRole('button', { name: 'Add a user' }).click();
      const add = page.getByRole('form', { name: 'Add the user' });
      await add.getByLabel('Username').fill('ops');
      await add.getByLabel('Password').fill('ops-password-123');
      await add.getByLabel('Role').selectOption('developer');
      await add.getByLabel('E-mail').fill('ops@vendor.example');
      await add.getByRole('button', { name: 'Add the user' }).click();
      const opsRow = page.getByRole('table', { name: 'Users' }).locator('tr', { hasText: 'ops@vendor.example' });
      await opsRow.waitFor();
      await page.getByRole('button', { name: 'Add a user' }).click();
      await add.getByLabel('Username').fill('acme-ops');
      await add.getByLabel('Password').fill('acme-ops-password-1');
      await add.getByLabel('Role').selectOption('customer');
      await add.getByLabel('Customer').selectOption('acme');
      await shot(page, 'users-add');
      await add.getByRole('button', { name: 'Add the user' }).click();
      await page.getByRole('table', { name: 'Users' }).locator('tr', { hasText: 'acme-ops' }).waitFor();
      const user = async (name: string) =>
        (await call('GET', '/v1/users')).body.users.find((u: { username: string }) => u.username === name);
      assert.deepEqual(await user('ops'), {
        ...(await user('ops')),
        role: 'developer',
        email: 'ops@vendor.example',
        customer: null,
        disabled: false,
      });
      assert.deepEqual([(await user('acme-ops')).role, (await user('acme-ops')).customer], ['customer', 'acme']);
      // Change a role and an e-mail; disable, and enable again.
      await opsRow.getByRole('button', { name: 'Edit ops' }).click();
      const save = page.getByRole('form', { name: 'Save ops' });
      await save.getByLabel('Role').selectOption('release-manager');
      await save.getByLabel('E-mail').fill('ops-lead@vendor.example');
      await save.getByRole('button', { name: 'Save' }).click();
      await page
        .getByRole('table', { name: 'Users' })
        .locator('tr', { hasText: 'ops-lead@vendor.example' })
        .getByText('Release manager')
        .waitFor();
      assert.deepEqual(
        [(await user('ops')).role, (await user('ops')).email],
        ['release-manager', 'ops-lead@vendor.example'],
      );
      const opsLine = page.getByRole('table', { name: 'Users' }).locator('tr', { hasText: 'ops-lead@vendor.example' });
      page.once('dialog', (d) => void d.accept());
      await opsLine.getByRole('button', { name: 'Disable ops' }).click();
      await opsLine.getByText('disabled').waitFor();
      assert.equal((await user('ops')).disabled, true);
      assert.equal(
        (await api(s.url, 'POST', '/v1/login', null, { username: 'ops', password: 'ops-password-123' })).status,
        401,
      );
      await shot(page, 'users');
      await opsLine.getByRole('button', { name: 'Enable ops' }).click();
      await opsLine.getByText('active').waitFor();
      assert.equal((await user('ops')).disabled, false);
      // The last admin cannot lock everyone out: the server refuses, and the page says why.
      assert.equal(
        await page.getByRole('button', { name: 'Disable admin' }).isDisabled(),
        true,
        'an admin does not disable itself here',
      );

      // Customers: add one, then acme's tokens: make one (shown once), see it listed, revoke it.
      await nav(page, 'Customers').click();
      await page.getByRole('button', { name: 'Add a customer' }).click();
      await page.getByLabel('Customer id').fill('globex');
      await page.getByLabel('Name', { exact: true }).fill('Globex');
      await page.getByRole('button', { name: 'Add the customer' }).click();
      await page.getByRole('table', { name: 'Customers' }).getByRole('link', { name: 'globex' }).waitFor();
      assert.deepEqual(
        (await call('GET', '/v1/customers')).body.customers.map((c: { id: string }) => c.id),
        ['acme', 'globex'],
      );
      assert.match(
        await page.getByRole('table', { name: 'Customers' }).locator('tr', { hasText: 'ACME Corp' }).innerText(),
        /acme\s+ACME Corp\s+1\s+1\s+1/,
      );
      await page.getByRole('table', { name: 'Customers' }).getByRole('link', { name: 'acme' }).click();
      const detail = page.getByRole('region', { name: 'ACME Corp (acme)' });
      await detail.getByRole('table', { name: 'Installation tokens of acme' }).getByText('acme-prod-1').waitFor();
      await detail.getByRole('button', { name: 'Make an installation token' }).click();
      await detail.getByLabel('Name').fill('acme-dr-site');
      await detail.getByRole('button', { name: 'Make the token' }).click();
      const dr = (await detail.getByTestId('new-token').innerText()).trim();
      assert.deepEqual((await api(s.url, 'GET', '/v1/me', dr)).body, {
        kind: 'customer',
        customer: 'acme',
        token: 'acme-dr-site',
      });
      const drRow = detail
        .getByRole('table', { name: 'Installation tokens of acme' })
        .locator('tr', { hasText: 'acme-dr-site' });
      await drRow.waitFor();
      await shot(page, 'customers');
      page.once('dialog', (d) => void d.accept());
      await drRow.getByRole('button', { name: /^Revoke acme-dr-site/ }).click();
      await drRow.waitFor({ state: 'detached' });
      assert.equal((await api(s.url, 'GET', '/v1/me', dr)).status, 401);
      assert.equal(
        (await call('GET', '/v1/tokens?all=true')).body.tokens.find((t: { name: string }) => t.name === 'acme-dr-site')
          .revoked,
        true,
      );

      // Publisher keys: a second key (201), then the same key again (200, existed).
      const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
      await nav(page, 'Publisher keys').click();
      await page.getByRole('table', { name: 'Publisher keys' }).getByText('vendor').waitFor();
      for (const [name, said] of [
        ['release-2027', /Trusted release-2027/],
        ['release-2027-again', /already trusted/],
      ] as const) {
        if (!(await page.getByRole('form', { name: 'Trust the key' }).isVisible()))
          await page.getByRole('button', { name: 'Trust a key' }).click();
        await page.getByLabel('Name').fill(name);
        await page.getByLabel('Public key (PEM)').fill(pem);
        await page.getByRole('button', { name: 'Trust the key' }).click();
        await page.getByRole('status').filter({ hasText: said }).waitFor();
      }
      await page.getByRole('table', { name: 'Publisher keys' }).getByText('release-2027').waitFor();
      assert.deepEqual(
        (await call('GET', '/v1/publisher-keys')).body.keys.map((k: { name: string }) => k.name),
        ['release-2027', 'vendor'],
      );
      await shot(page, 'publisher-keys');

      // Notifications: a webhook (its secret shown once), a customer's contact, one removed; the outbox as it stands.
      await nav(page, 'Notifications').click();
      await page.getByRole('button', { name: 'Subscribe' }).click();
      const sub = page.getByRole('form', { name: 'Add the subscription' });
      await sub.getByLabel('Kind').selectOption('webhook');
      await sub.getByLabel('URL').fill('https://hooks.example.com/hfx');
      await sub.getByRole('button', { name: 'Add the subscription' }).click();
      assert.ok((await page.getByTestId('webhook-secret').innerText()).trim().length >= 16);
      // An internal address is refused by the server, with its code, and nothing is stored.
      await sub.getByLabel('URL').fill('http://169.254.169.254/latest');
      await sub.getByRole('button', { name: 'Add the subscription' }).click();
      await sub.getByRole('alert').filter({ hasText: 'HFX_E_TARGET_BLOCKED' }).waitFor();
      await sub.getByLabel('Kind').selectOption('email');
      await sub.getByLabel('Address').fill('it@acme.example');
      await sub.getByLabel("Customer's contact").selectOption('acme');
      await sub.getByLabel('case.created').uncheck();
      await sub.getByRole('button', { name: 'Add the subscription' }).click();
      const subs = page.getByRole('table', { name: 'Subscriptions' });
      await subs.locator('tr', { hasText: 'it@acme.example' }).getByText('contact of').waitFor();
      const listed = (await call('GET', '/v1/subscriptions')).body.subscriptions;
      assert.deepEqual(
        listed.map((x: { kind: string; target: string; customer_id: string | null }) => [
          x.kind,
          x.target,
          x.customer_id,
        ]),
        [
          ['webhook', 'https://hooks.example.com/hfx', null],
          ['email', 'it@acme.example', 'acme'],
        ],
      );
      assert.deepEqual(listed[1].events, ['case.ready', 'case.deployed', 'case.solved', 'security-update.published']);
      page.once('dialog', (d) => void d.accept());
      await subs.getByRole('button', { name: 'Remove the subscription of it@acme.example' }).click();
      await subs.locator('tr', { hasText: 'it@acme.example' }).waitFor({ state: 'detached' });
      assert.deepEqual(
        (await call('GET', '/v1/subscriptions')).body.subscriptions.map((x: { target: string }) => x.target),
        ['https://hooks.example.com/hfx'],
      );
      // An S1 case queues a delivery to the webhook: the outbox shows it pending, with its tries.
      await newCase('Checkout fails for every user', {
        release: '1.0.0',
        customer: 'acme',
        impact: 'all',
        severity: 'S1',
      });
      await page.reload();
      await page
        .getByRole('table', { name: 'Deliveries' })
        .locator('tr', { hasText: 'case.created' })
        .getByText('pending')
        .waitFor();
      await shot(page, 'notifications');

      // A user below admin subscribes only its own address of record.
      await signOut(page);
      await signIn(page, s.url, 'ops', 'ops-password-123');
      await nav(page, 'Notifications').click();
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await page.getByText('ops-lead@vendor.example').waitFor();
      await page.getByRole('button', { name: 'Subscribe my e-mail' }).click();
      await page.getByRole('status').filter({ hasText: 'Subscribed' }).waitFor();
      const own: { target: string; username: string | null }[] = (await call('GET', '/v1/subscriptions')).body
        .subscriptions;
      assert.deepEqual(
        own.filter((x) => x.username).map((x) => [x.target, x.username]),
        [['ops-lead@vendor.example', 'ops']],
      );
      // Its navigation has no Users (admin only); Customers it may read.
      assert.equal(await nav(page, 'Users').count(), 0);
      assert.equal(await nav(page, 'Customers').count(), 1);
      await signOut(page);
      await signIn(page, s.url, 'admin', s.adminPassword);
    });

    test('with data: the overview lists what needs attention, each a link to its page', async () => {
      // Red: HF-1 deployed to Production before QA has it.
      assert.equal(
        (await call('PUT', '/v1/environments/demo/pipeline', { environments: ['QA', 'Production'] })).status,
        200,
      );
      const inst = (await call('GET', '/v1/fleet/installations')).body.installations.find(
        (i: { name: string }) => i.name === 'acme-prod-1',
      );
      assert.equal(
        (await call('POST', '/v1/environments/demo/Production/installations', { installation: inst.id })).status,
        201,
      );
      assert.equal(
        (
          await call('POST', '/v1/environments/demo/Production/deploy', {
            hotfix: 'HF-1',
            approval: { reason: 'checkout down, INC-9' },
          })
        ).status,
        201,
      );
      // A revert with its reason, reported by the installation.
      const env = { HFX_CONFIG_DIR: join(w.dir, 'cfg-acme-prod-1'), NO_COLOR: '1' };
      await must(['apply', 'HF-1', '--server', '--home', homes['acme-prod-1']!], env);
      await must(['revert', 'HF-1', '--reason', 'slows start-up on prod', '--home', homes['acme-prod-1']!], env);
      await must(['state', '--report', '--home', homes['acme-prod-1']!], env);
      // A delivery that gave up (the worker is off here: marked as the worker marks one after its last try).
      const gaveUp = 'webhook delivery failed: the receiver did not accept it (no 2xx answer within 10 s)';
      await s.store.db
        .updateTable('notify_outbox')
        .set({ failed_at: new Date(), attempts: 12, last_error: gaveUp })
        .execute();

      await page.goto(`${s.url}/`);
      const red = page.getByRole('table', { name: 'Red hotfixes' });
      assert.match(await red.innerText(), /HF-1\s+demo\s+Production\s+not propagated\s+QA/);
      assert.match(
        await page.getByRole('table', { name: 'Open severe cases' }).innerText(),
        /Checkout fails for every user\s+S1\s+reported\s+acme\s+today/,
      );
      const failed = await page.getByRole('table', { name: 'Failed notifications' }).innerText();
      assert.match(failed, /case\.created\s+webhook\s+https:\/\/hooks\.example\.com\/hfx\s+failed/);
      assert.match(
        await page.getByRole('table', { name: 'Reverts' }).innerText(),
        /HF-1\s+acme-prod-1\s+acme\s+slows start-up on prod/,
      );
      await shot(page, 'overview');
      // Each entry links to its page.
      await red.getByRole('link', { name: 'HF-1' }).click();
      await page.getByRole('heading', { level: 1, name: 'Pipeline · demo' }).waitFor();
      await page.goBack();
      await page
        .getByRole('table', { name: 'Open severe cases' })
        .getByRole('link', { name: 'Checkout fails for every user' })
        .click();
      await page.getByTestId('case-state').filter({ hasText: 'reported' }).waitFor();
      await page.goBack();
      await page.getByRole('table', { name: 'Reverts' }).getByRole('link', { name: 'HF-1' }).click();
      await page.getByRole('table', { name: 'Reverts' }).getByText('slows start-up on prod').waitFor();
      await page.goBack();
      await page
        .getByRole('region', { name: 'Failed notifications' })
        .getByRole('link', { name: 'All deliveries' })
        .click();
      await page.getByRole('table', { name: 'Deliveries' }).getByText('failed').first().waitFor();
    });

    test("a customer's user sees only its customer's cases, fixes and installations, and never a vendor route", async () => {
      // Globex: its own installation, hotfix and case; acme: a hotfix of its own and a case taken to ready (release notes).
      const globexToken = (await call('POST', '/v1/customers/globex/tokens', { name: 'globex-1' })).body.token;
      await installation('globex-1', globexToken);
      for (const [id, customer] of [
        ['HF-ACME', 'acme'],
        ['HF-GLOBEX', 'globex'],
      ] as const) {
        const z = await w.hotfix(id, (d) => writeFileSync(join(d, 'lib/core.jar'), `core for ${customer}\n`), {
          title: `fix for ${customer}`,
        });
        assert.equal((await call('POST', `/v1/archives?customer=${customer}`, readFileSync(z))).status, 201);
      }
      const globexCase = await newCase('Globex invoices wrong', { reporter: 'it@globex.example', customer: 'globex' });
      const acmeCase = await newCase('Reports time out', {
        description: 'Large reports **time out** after 30 s.',
        release: '1.0.0',
        customer: 'acme',
        impact: 'many',
        severity: 'S2',
      });
      await toReady(acmeCase, 'HF-ACME', 'unbounded query');

      const customerPage = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      const refused: string[] = [];
      customerPage.on('response', (r) => {
        if (r.status() === 403) refused.push(r.url());
      });
      await signIn(customerPage, s.url, 'acme-ops', 'acme-ops-password-1');
      const p = customerPage;
      await p.getByRole('heading', { level: 1, name: 'Welcome, acme-ops' }).waitFor();
      assert.equal(await p.getByTestId('who-role').innerText(), 'Customer · acme');
      // Its navigation: its own things only.
      const links = await p.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
      assert.deepEqual(links, ['Home', 'Cases', 'Fixes and updates', 'Installations']);
      await shot(p, 'customer-home');
      assert.match(await p.getByRole('table', { name: 'Cases' }).innerText(), /Reports time out/);
      assert.doesNotMatch(await p.locator('main').innerText(), /Globex/);

      await nav(p, 'Cases').click();
      const cases = p.getByRole('table', { name: 'Cases' });
      await cases.getByText('Reports time out').waitFor();
      assert.match(await cases.innerText(), /Checkout fails for every user/);
      assert.doesNotMatch(await cases.innerText(), /Globex invoices wrong/);
      await shot(p, 'customer-cases');
      await cases.getByRole('link', { name: 'Reports time out' }).click();
      await p.getByTestId('case-state').filter({ hasText: 'ready' }).waitFor();
      // The timeline in plain words, and the release notes rendered from Markdown.
      const said = await p.getByRole('region', { name: 'Timeline' }).innerText();
      assert.match(
        said,
        /reported[\s\S]*triaged[\s\S]*a fix is being developed[\s\S]*the fix is being tested[\s\S]*the fix is ready/,
      );
      const notes = p.getByRole('region', { name: 'Release notes' });
      await notes.locator('.markdown h3').filter({ hasText: 'HF-ACME' }).waitFor();
      assert.equal(await notes.locator('.markdown h4').filter({ hasText: 'Revert' }).count(), 1);
      assert.ok((await notes.locator('.markdown table').count()) >= 1);
      assert.match(await notes.locator('.markdown pre code').first().innerText(), /hfx apply HF-ACME\.zip --home PACK/);
      assert.match(await p.getByRole('list', { name: 'Progress' }).innerText(), /Fix ready/);
      await shot(p, 'customer-case');
      // Another customer's case, typed in the address bar: not found, as if there were none.
      await p.goto(`${s.url}/cases/${globexCase}`);
      await p.getByRole('heading', { name: 'Case not found' }).waitFor();
      assert.doesNotMatch(await p.locator('main').innerText(), /Globex invoices wrong/);
      await shot(p, 'customer-case-not-found');

      // Fixes: everyone's and acme's, not globex's.
      await nav(p, 'Fixes and updates').click();
      const fixes = p.getByRole('table', { name: 'Archives' });
      await fixes.getByText('HF-ACME').waitFor();
      assert.match(await fixes.innerText(), /HF-1/);
      assert.doesNotMatch(await fixes.innerText(), /HF-GLOBEX/);
      await shot(p, 'customer-fixes');
      await fixes.getByRole('link', { name: 'HF-ACME' }).click();
      await p.getByText(/hfx apply HF-ACME --server --home DIR/).waitFor();
      await shot(p, 'customer-fix');
      await p.goto(`${s.url}/archives/HF-GLOBEX`);
      await p.getByRole('heading', { name: 'Archive not found' }).waitFor();

      // Installations: acme's only.
      await nav(p, 'Installations').click();
      const insts = p.getByRole('table', { name: 'Installations' });
      await insts.getByText('acme-prod-1').waitFor();
      assert.doesNotMatch(await insts.innerText(), /globex-1/);
      await shot(p, 'customer-installations');
      // A vendor page typed in the address bar: not found, and not even asked of the server.
      await p.goto(`${s.url}/pipeline/demo`);
      await p.getByRole('heading', { name: 'There is no page here' }).waitFor();
      assert.deepEqual(refused, [], 'the dashboard never calls a route that refuses a customer');

      // Every customer view on a phone.
      const phone = await (await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })).newPage();
      await signIn(phone, s.url, 'acme-ops', 'acme-ops-password-1');
      for (const path of ['/', '/cases', `/cases/${acmeCase}`, '/archives', '/archives/HF-ACME', '/fleet']) {
        await phone.goto(`${s.url}${path}`);
        await shot(phone, `phone-customer-${slug(path)}`);
      }
      await phone.context().close();
      await p.context().close();
    });

    test('release notes are Markdown rendered safely: hostile input runs nothing and leaves no script, handler or script link', async () => {
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const check = async (where: string) => {
        const md = page.locator('.markdown');
        await md.locator('h3').first().waitFor();
        assert.equal(await page.evaluate('window.__pwned === undefined'), true, `${where}: nothing ran`);
        assert.deepEqual(dialogs, [], `${where}: no alert`);
        const banned = [
          'script',
          'iframe',
          'img',
          '[onerror]',
          '[onmouseover]',
          '[onclick]',
          'a[href^="javascript:" i]',
          'a[href^="data:" i]',
        ];
        for (const sel of banned) {
          assert.equal(await md.locator(sel).count(), 0, `${where}: no ${sel}`);
        }
        assert.equal(
          await page.locator('a[href^="javascript:" i], [onerror], iframe').count(),
          0,
          `${where}: none anywhere on the page`,
        );
        // The hostile HTML is shown as text; the ordinary Markdown is rendered; a web link opens apart.
        const text = await md.innerText();
        assert.match(text, /<script>window\.__pwned = "script"<\/script>/);
        assert.match(text, /<img src="x" onerror=/);
        assert.equal(await md.locator('table').count(), 1);
        assert.equal(await md.locator('pre code').filter({ hasText: '<script>alert("in code")</script>' }).count(), 1);
        const docs = md.getByRole('link', { name: 'the docs' });
        assert.equal(await docs.getAttribute('href'), 'https://example.com/docs');
        assert.equal(await docs.getAttribute('rel'), 'noopener noreferrer nofollow');
        assert.equal(await docs.getAttribute('target'), '_blank');
        // A bare address is not made a link (linkify is off), nor does a script link keep its target.
        assert.equal(await md.getByRole('link', { name: 'click me' }).count(), 0);
      };
      // The vendor's case view: the notes as the server would send them (text/markdown).
      const id = (await call('GET', '/v1/cases')).body.cases.find(
        (c: { title: string }) => c.title === 'Reports time out',
      ).id;
      await page.route(`**/v1/cases/${id}/release-notes.md`, (route) => route.fulfill(markdown(HOSTILE)));
      await page.goto(`${s.url}/cases/${id}`);
      await check('vendor case');
      await page.screenshot({ path: join(shots, 'hostile-markdown.png'), fullPage: true });
      await page.unroute(`**/v1/cases/${id}/release-notes.md`);

      // An update's notes in the Updates view.
      const update = { kind: 'update' as const, toLevel: 1, includes: ['HF-1'], title: 'Update 1' };
      const u = await w.hotfix('U-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'core 1.1.0\n'), update);
      assert.equal((await call('POST', '/v1/archives', readFileSync(u))).status, 201);
      await page.route('**/v1/updates/U-1/release-notes.md', (route) => route.fulfill(markdown(HOSTILE)));
      await page.goto(`${s.url}/updates/demo`);
      await page
        .getByRole('table', { name: 'Updates of 1.0.0' })
        .getByRole('button', { name: 'Release notes' })
        .click();
      await check('update notes');
      await page.unroute('**/v1/updates/U-1/release-notes.md');

      // The customer's case view: the notes inside the JSON answer.
      const c = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      c.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await signIn(c, s.url, 'acme-ops', 'acme-ops-password-1');
      await c.route(`**/v1/customer/cases/${id}`, async (route) => {
        const real = await route.fetch();
        await route.fulfill({ response: real, json: { ...(await real.json()), releaseNotes: HOSTILE } });
      });
      await c.goto(`${s.url}/cases/${id}`);
      const saved = page;
      page = c;
      try {
        await check('customer case');
      } finally {
        page = saved;
        await c.context().close();
      }

      // And for real: a case whose reporter wrote HTML and a script link, taken to ready; its notes render inert.
      const hostileCase = await newCase('Title <script>window.__pwned="title"</script>', {
        description: '<img src=x onerror="window.__pwned=\'desc\'"> [x](javascript:window.__pwned=1)',
        release: '1.0.0',
        severity: 'S4',
      });
      await toReady(hostileCase, 'HF-1', '<b onmouseover=x()>cause</b>');
      await page.goto(`${s.url}/cases/${hostileCase}`);
      await page.locator('.markdown h3').filter({ hasText: 'HF-1' }).waitFor();
      assert.equal(await page.evaluate('window.__pwned === undefined'), true);
      const inert = ['img', 'script', '[onerror]', '[onmouseover]', 'a[href^="javascript:" i]']
        .map((x) => `.markdown ${x}`)
        .join(', ');
      assert.equal(await page.locator(inert).count(), 0);
      assert.deepEqual(dialogs, []);
    });

    test('every view with data, at desktop and phone size', async () => {
      const caseId = (await call('GET', '/v1/cases')).body.cases.find(
        (c: { title: string }) => c.title === 'Reports time out',
      ).id;
      for (const [v, extra] of [
        ['1.0.0', {}],
        ['1.0.1', { base: '1.0.0', hotfixes: ['HF-1'] }],
      ] as const) {
        const m = releaseManifest(v, { name: 'demo', commit: v === '1.0.0' ? 'a1b2c3d4' : 'b2c3d4e5', ...extra });
        assert.equal((await call('POST', '/v1/products/demo/manifests', m)).status, 201);
      }
      const phone = await (await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })).newPage();
      await signIn(phone, s.url, 'admin', s.adminPassword);
      const views = [
        ...VIEWS,
        `/cases/${caseId}`,
        '/archives/HF-1',
        '/fleet/hotfixes/HF-1',
        '/customers/acme',
        '/cases/new',
        '/cases/99999',
        '/no-such-page',
      ];
      for (const path of views) {
        await page.goto(`${s.url}${path}`);
        await shot(page, `data-${slug(path)}`);
        await phone.goto(`${s.url}${path}`);
        await shot(phone, `phone-data-${slug(path)}`);
      }
      // A mistyped case number reads as not found, not as an error.
      await page.goto(`${s.url}/cases/99999`);
      await page.getByRole('heading', { name: 'Case not found' }).waitFor();
      await phone.context().close();
    });

    test('the first view (everything the overview loads) stays under 300 KB gzipped', async () => {
      const ctx = await browser.newContext({ viewport: DESKTOP });
      const me = { kind: 'user', username: 'admin', role: 'admin' };
      // Signed in as the dashboard keeps it, so the measure is the overview's own load, not the sign-in page's.
      await ctx.addInitScript(`sessionStorage.setItem('hfx.token', ${JSON.stringify(admin)});
      sessionStorage.setItem('hfx.me', ${JSON.stringify(JSON.stringify(me))});`);
      const p = await ctx.newPage();
      const loaded: { url: string; type: string; bytes: number; encoding: string | null }[] = [];
      p.on('requestfinished', (req) => {
        void (async () => {
          const sizes = await req.sizes();
          const res = await req.response();
          const encoding = (await res?.allHeaders())?.['content-encoding'] ?? null;
          loaded.push({
            url: req.url().replace(s.url, ''),
            type: req.resourceType(),
            bytes: sizes.responseBodySize + sizes.responseHeadersSize,
            encoding,
          });
        })();
      });
      await p.goto(`${s.url}/`, { waitUntil: 'networkidle' });
      await p.getByRole('region', { name: 'Hotfixes red in the pipeline' }).waitFor();
      await p.waitForLoadState('networkidle');
      await new Promise((r) => setTimeout(r, 200));
      const total = loaded.reduce((n, l) => n + l.bytes, 0);
      const code = loaded.filter((l) => l.type === 'script' || l.type === 'stylesheet' || l.type === 'document');
      // The page itself is a few hundred bytes, made per request; the code is sent as the build's .gz copies.
      for (const l of code.filter((x) => x.type !== 'document'))
        assert.equal(l.encoding, 'gzip', `${l.url} is sent gzipped`);
      assert.equal(
        loaded.some((l) => l.url.includes('markdown-render')),
        false,
        'the Markdown renderer is not part of the first view',
      );
      const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
      const each = loaded.map((l) => `${l.url} ${l.bytes}`).join(', ');
      const codeBytes = code.reduce((n, l) => n + l.bytes, 0);
      console.log(
        `# first view: ${loaded.length} requests, ${kb(total)} on the wire (gzip), of which code ${kb(codeBytes)}: ${each}`,
      );
      assert.ok(total < 300_000, `the first view loads ${total} bytes`);
      await ctx.close();
      console.log(`# screenshots: ${shots}`);
    });
  });
