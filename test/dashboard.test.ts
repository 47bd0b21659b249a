import assert from 'node:assert/strict';
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
import { api, seedVendor, STORES, testServer } from './helpers/server.js';

/**
 * The dashboard in Debian's chromium against a real server: a case is reported, triaged, tested,
 * linked to a pushed archive, deployed Production-first (the red mark appears), propagated back
 * (it disappears) and solved — every step clicked in the browser, while real installations apply
 * the hotfix with the CLI and report, on each store. Screenshots of every view go to screenshotDir(store).
 */

const ENVS = ['Development', 'QA', 'Production'] as const;
type Env = (typeof ENVS)[number];
const JUNIT = (suite: string) => `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${suite}"><testsuite name="core"><testcase classname="core.Cache" name="evicts"/><testcase classname="core.Cache" name="bounded"/></testsuite></testsuites>`;
const manifest = (version: string, extra: object = {}) =>
  releaseManifest(version, {
    name: 'demo',
    commit: version === '1.0.0' ? 'a1b2c3d4' : 'b2c3d4e5',
    components: { schema: version === '1.0.0' ? '41' : '42' },
    ...extra,
  });

type TS = Awaited<ReturnType<typeof testServer>>;

for (const store of STORES)
  describe(`dashboard in chromium on ${store}`, () => {
    let s: TS;
    let w: World;
    let browser: Browser;
    let page: Page;
    let shots: string;
    const cleanups: (() => void)[] = [];
    const tok: Record<string, string> = {};
    const homes = {} as Record<Env, string>;
    const instEnv = {} as Record<Env, NodeJS.ProcessEnv>;
    const call = (who: string, method: string, path: string, body?: unknown) =>
      api(s.url, method, path, tok[who]!, body);
    const must = async (args: string[], env: NodeJS.ProcessEnv) => {
      const r = await hfx([...args, '--json'], { env, cwd: w.dir });
      assert.equal(r.code, 0, `hfx ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      return r.json;
    };
    const report = async (e: Env) => {
      await must(['state', '--report', '--home', homes[e]], instEnv[e]);
      await must(['env', 'report', '--home', homes[e]], instEnv[e]);
    };
    const applyAndReport = async (e: Env) => {
      await must(['apply', 'HF-1', '--server', '--home', homes[e]], instEnv[e]);
      await report(e);
    };
    const shot = async (name: string) => {
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      assert.deepEqual(await unlabelled(page), [], `${name}: every control has a label`);
    };
    /** The button that opens a case step's form. */
    const stepButton = (label: string) =>
      page.getByRole('group', { name: 'Case steps' }).getByRole('button', { name: label, exact: true });
    /** What a step whose form has no fields fills in. */
    const noFields = () => Promise.resolve();
    /** Opens the step's form (its button) when it is closed, fills it, submits, and waits for the new state. */
    const step = async (label: string, fill: () => Promise<unknown>, state?: string) => {
      const form = page.getByRole('form', { name: label });
      const button = stepButton(label);
      // The case is on screen first: a lone step starts open, and a click would close it.
      await button.waitFor();
      if (!(await form.isVisible())) await button.click();
      await fill();
      await form.getByRole('button', { name: label }).click();
      if (state) {
        await page
          .getByTestId('case-state')
          .filter({ hasText: new RegExp(`^${state}$`) })
          .waitFor()
          .catch(async (e: unknown) => {
            // What the page showed instead: the refusal, or the form as it was sent.
            await page.screenshot({ path: join(shots, `failed-${label.replace(/\W+/g, '-')}.png`), fullPage: true });
            throw e;
          });
      }
    };
    const until = async (ok: () => Promise<boolean>, what: string) => {
      for (const end = Date.now() + 15_000; !(await ok());) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const alert = (text: RegExp) => page.getByRole('alert').filter({ hasText: text }).first().waitFor();
    /** A link of the side navigation (views have links of their own with the same words). */
    const nav = (name: string) =>
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
    const hotfixIn = (env: Env) => page.locator(`[data-env="${env}"] [data-hotfix="HF-1"]`);

    before(async () => {
      shots = screenshotDir(store);
      s = await testServer({ store });
      w = await world({ after: (fn: () => void) => cleanups.push(fn) });
      Object.assign(tok, await seedVendor(s.url, s.adminPassword, readFileSync(w.pub, 'utf8')));
      assert.equal(
        (await call('rm', 'PUT', '/v1/environments/demo/pipeline', { environments: [...ENVS] })).status,
        200,
      );
      const dev = { HFX_CONFIG_DIR: join(w.dir, 'cfg-dev'), HFX_PASSWORD: 'dev-password-123', NO_COLOR: '1' };
      assert.equal((await hfx(['login', s.url, '--user', 'dev'], { env: dev })).code, 0);
      for (const e of ENVS) {
        homes[e] = join(w.dir, `inst-${e}`);
        cpSync(w.home, homes[e], { recursive: true, verbatimSymlinks: true });
        instEnv[e] = { HFX_CONFIG_DIR: join(w.dir, `cfg-${e}`), NO_COLOR: '1' };
        const token = e === 'Production' ? tok.acme! : tok.dev!;
        assert.equal(
          (await hfx(['login', s.url, '--token', token, '--home', homes[e], '--root', s.rootFile], { env: instEnv[e] }))
            .code,
          0,
        );
        const r = await must(['state', '--report', '--name', `demo-${e}`, '--home', homes[e]], instEnv[e]);
        await must(['env', 'assign', 'demo', e, r.reported.id], dev);
        await report(e);
      }
      browser = await launch();
      page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    });
    after(async () => {
      await maybe(browser)?.close();
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('sign in is refused with the reason, then works by keyboard alone', async () => {
      await page.goto(`${s.url}/cases`);
      // A deep link without a session goes to sign-in and comes back after it.
      await page.getByRole('heading', { name: 'Sign in to hfx' }).waitFor();
      assert.match(page.url(), /\/sign-in\?next=%2Fcases/);
      await shot('01-sign-in');
      await page.getByLabel('Username').fill('dev');
      await page.getByLabel('Password').fill('wrong-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await alert(/wrong username or password/);
      assert.match(await page.getByRole('alert').innerText(), /HFX_E_AUTH/);
      await page.getByLabel('Username').fill('');
      await page.getByLabel('Username').focus();
      await page.keyboard.type('dev');
      await page.keyboard.press('Tab');
      await page.keyboard.type('dev-password-123');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Cases' }).waitFor();
      assert.match(page.url(), /\/cases$/);
    });

    test('a case from its report to solved; the red mark appears Production-first and goes when propagated', async () => {
      // Reported, triaged, started, tested (developer).
      await page.getByRole('link', { name: 'New case' }).click();
      await page.getByLabel('Title').fill('Core leaks memory under load');
      await page.getByLabel('Product').selectOption('demo');
      await page.getByLabel('Release').fill('1.0.0');
      await page.getByLabel('Component').fill('core');
      await page.getByLabel('Customer').fill('acme');
      await page.getByLabel('Reporter').fill('ops@acme.example');
      await page.getByLabel('Severity').selectOption('S1');
      await page.getByLabel('Impact', { exact: true }).selectOption('all');
      await shot('02-case-new');
      await page.getByRole('button', { name: 'Report the case' }).click();
      await page.getByTestId('case-state').filter({ hasText: 'reported' }).waitFor();
      const caseUrl = page.url();
      assert.match(caseUrl, /\/cases\/\d+$/);
      await step('Triage', () => page.getByLabel('Reason').fill('reproduced in QA'), 'triaged');
      await step('Start work', noFields, 'in-progress');
      // Evidence without a root cause is refused by the server, with its reason, and nothing changes.
      writeFileSync(join(w.dir, 'functional.xml'), JUNIT('functional'));
      writeFileSync(join(w.dir, 'regression.xml'), JUNIT('regression'));
      await step('Attach evidence', async () => {
        await page.getByLabel('Functional tests (JUnit XML)').setInputFiles(join(w.dir, 'functional.xml'));
        await page.getByLabel('Regression tests (JUnit XML)').setInputFiles(join(w.dir, 'regression.xml'));
      });
      await alert(/root cause must be recorded/);
      assert.equal(await page.getByTestId('case-state').innerText(), 'in-progress');
      await step('Attach evidence', () => page.getByLabel('Root cause').fill('unbounded cache'), 'testing');
      await page.getByRole('table', { name: 'Evidence' }).getByText('2/2 passed').first().waitFor();

      // The archive pushed from the browser, then linked: ready.
      const zip = await w.hotfix('HF-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'core 1.0.1 bounded cache\n'));
      await nav('Archives').click();
      await page.getByRole('button', { name: 'Push an archive' }).click();
      await page.getByLabel('Signed archive (.zip)').setInputFiles(zip);
      await page.getByRole('button', { name: 'Push', exact: true }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /HF-1 pushed \(\d/ })
        .waitFor();
      // Not an archive: refused with the server's code, and the list is as it was.
      writeFileSync(join(w.dir, 'not-an-archive.zip'), 'hello');
      await page.getByLabel('Signed archive (.zip)').setInputFiles(join(w.dir, 'not-an-archive.zip'));
      await page.getByRole('button', { name: 'Push', exact: true }).click();
      await page
        .getByRole('form', { name: 'Push' })
        .getByRole('alert')
        .filter({ hasText: /HFX_E_/ })
        .waitFor();
      assert.deepEqual(
        (await call('admin', 'GET', '/v1/archives')).body.archives.map((a: { id: string }) => a.id),
        ['HF-1'],
      );
      await shot('03-archives');
      await page.getByRole('link', { name: 'HF-1' }).click();
      await page.getByRole('table', { name: 'Files' }).getByText('lib/core.jar').waitFor();
      assert.match(await page.locator('dl').first().innerText(), /ed25519 by vendor/);
      // Download sends the token (a plain link could not) and gives the very bytes that were pushed.
      const [dl] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download' }).click(),
      ]);
      assert.equal(dl.suggestedFilename(), 'HF-1.zip');
      assert.deepEqual(readFileSync(await dl.path()), readFileSync(zip));
      await shot('04-archive');
      await page.goto(caseUrl);
      await step('Mark ready', () => page.getByLabel('Hotfix archive').selectOption('HF-1'), 'ready');
      await page.getByRole('region', { name: 'Release notes' }).getByText('HF-1').first().waitFor();

      // A developer cannot schedule: the release manager takes over.
      // The steps are drawn with the state the step above waited for.
      assert.equal(await stepButton('Schedule').count(), 0);
      await signOut(page);
      await signIn(page, s.url, 'rm', 'rm-password-123');
      await page.goto(caseUrl);
      await step(
        'Schedule',
        async () => {
          await page.getByLabel('Window start').fill('2026-12-01T22:00');
          await page.getByLabel('Window end').fill('2026-12-01T23:00');
          await page.getByLabel('Stakeholders to notify').fill('ops@acme.example');
        },
        'scheduled',
      );

      // Production first: refused without an approval, then approved; the hotfix is red there.
      await nav('Pipeline').click();
      await page.getByRole('heading', { name: 'Production' }).waitFor();
      assert.equal(await hotfixIn('Production').count(), 0);
      await page.locator('[data-env="Production"]').getByRole('button', { name: 'Deploy', exact: true }).click();
      const deploy = page.getByRole('form', { name: 'Deploy to Production' });
      await deploy.getByLabel('Hotfix').selectOption('HF-1');
      await deploy.getByRole('button', { name: 'Deploy to Production' }).click();
      await alert(/needs an approval with a reason/);
      assert.match(await deploy.getByRole('alert').innerText(), /HFX_E_APPROVAL_REQUIRED/);
      assert.equal(
        (await call('admin', 'GET', '/v1/environments/demo/Production')).body.deployments.length,
        0,
        'the refusal recorded nothing',
      );
      await deploy.getByLabel('Approval reason').fill('checkout down, INC-7');
      await deploy.getByRole('button', { name: 'Deploy to Production' }).click();
      await page.getByRole('status').filter({ hasText: 'tagged 1.0.1' }).waitFor();
      await hotfixIn('Production').and(page.locator('[data-red="true"]')).waitFor();
      await applyAndReport('Production');
      await page.reload();
      await hotfixIn('Production').and(page.locator('[data-red="true"]')).waitFor();
      assert.match(await hotfixIn('Production').innerText(), /missing in Development, QA/);
      assert.match(await page.locator('[data-env="Production"] [data-testid="version"]').innerText(), /^1\.0\.1/);
      // The comparison of the last two environments says what differs, hotfix by hotfix and file by file.
      await page.getByRole('list', { name: 'Hotfixes that differ' }).getByText('HF-1: only in Production').waitFor();
      assert.match(
        await page.getByRole('table', { name: 'Files that differ' }).innerText(),
        /lib\/core\.jar\s+as released\s+[0-9a-f]{12}…/,
      );
      await shot('05-pipeline-red');

      // Deployed, verified, monitoring; solved is refused while QA and Development lack the fix.
      await page.goto(caseUrl);
      await step('Record deployment', () => page.getByLabel('Environment').selectOption('Production'), 'deployed');
      await step('Verify (sign-off)', () => page.getByLabel('Signed off by').fill('qa-lead'), 'verified');
      await step('Start monitoring', noFields, 'monitoring');
      await step('Mark solved', noFields);
      await alert(/not present in every environment: missing in Development, QA/);
      assert.equal(await page.getByTestId('case-state').innerText(), 'monitoring');
      await shot('06-case-monitoring');

      // Propagated back from the board; the installations apply and report; the red mark goes.
      await nav('Pipeline').click();
      for (const env of ['QA', 'Development'] as const) {
        await page
          .getByRole('button', { name: `Propagate HF-1 to ${env}` })
          .first()
          .click();
        await hotfixIn(env).waitFor();
        // Deployed there, not yet applied: still red, and no second propagate button for it.
        await page
          .locator('[data-env="Production"] .wait')
          .filter({ hasText: `deployed to ${env}` })
          .waitFor();
        assert.equal(await page.getByRole('button', { name: `Propagate HF-1 to ${env}` }).count(), 0);
        await applyAndReport(env);
        await page.reload();
      }
      await page.locator('[data-env="Production"] [data-hotfix="HF-1"][data-red="false"]').waitFor();
      assert.equal(await page.locator('[data-red="true"]').count(), 0);
      await page.getByRole('status').filter({ hasText: 'QA and Production run the same content.' }).waitFor();
      await shot('07-pipeline-propagated');

      await page.goto(caseUrl);
      await step('Mark solved', noFields, 'solved');
      await page.locator('.badge', { hasText: 'present everywhere' }).waitFor();
      const timeline = await page.getByRole('region', { name: 'Timeline' }).innerText();
      for (const a of [
        'create',
        'triage',
        'start',
        'evidence',
        'ready',
        'schedule',
        'deploy',
        'verify',
        'monitor',
        'solve',
      ])
        assert.match(timeline, new RegExp(`\\b${a}\\b`), a);
      await shot('08-case-solved');
      await nav('Cases').click();
      await page.getByLabel('State').selectOption('solved');
      await page.getByRole('table', { name: 'Cases' }).getByText('Core leaks memory under load').waitFor();
      await shot('09-cases');
    });

    test('fleet, hotfix spread, releases with their diff, and update levels', async () => {
      await nav('Fleet').click();
      await page.getByRole('table', { name: 'Installations' }).getByText('demo-Production').waitFor();
      // The bars are the server's counts (GET /v1/fleet/summary): HF-1 runs on all three.
      assert.match(await page.getByRole('region', { name: 'By hotfix' }).innerText(), /HF-1\s+3/);
      assert.match(await page.getByRole('heading', { level: 2, name: /^Installations/ }).innerText(), /\(3\)/);
      await shot('10-fleet');
      await page.getByRole('link', { name: 'HF-1' }).first().click();
      await page
        .getByRole('img', { name: /Installations running the hotfix over time: at most 3, now 3, 0 reverts/ })
        .waitFor();
      // Development reverts it with a reason: the chart goes down with a red point, the table says why.
      await must(
        ['revert', 'HF-1', '--reason', 'slows start-up on Development', '--home', homes.Development],
        instEnv.Development,
      );
      await report('Development');
      await page.reload();
      await page.getByRole('img', { name: /now 2, 1 revert\b/ }).waitFor();
      assert.equal(await page.locator('circle.reverted').count(), 1);
      assert.match(
        await page.getByRole('table', { name: 'Reverts' }).innerText(),
        /demo-Development\s+slows start-up on Development/,
      );
      await shot('11-hotfix-spread');

      assert.equal((await call('rm', 'POST', '/v1/products/demo/manifests', manifest('1.0.0'))).status, 201);
      assert.equal(
        (
          await call(
            'rm',
            'POST',
            '/v1/products/demo/manifests',
            manifest('1.0.1', { base: '1.0.0', hotfixes: ['HF-1'] }),
          )
        ).status,
        201,
      );
      await nav('Releases').click();
      await page.getByRole('table', { name: 'Release manifests' }).getByText('1.0.1').first().waitFor();
      const diff = page.getByLabel('Changes from 1.0.0 to 1.0.1');
      await diff.waitFor();
      assert.match(await diff.innerText(), /\+ HF-1/);
      assert.match(await diff.innerText(), /~ api/);
      // The same version twice: no diff, and not the last one left on screen.
      await page.getByLabel('To', { exact: true }).selectOption('1.0.0');
      await page.getByText('Choose two different versions.').waitFor();
      assert.equal(await page.getByRole('group', { name: /Changes from/ }).count(), 0);
      await page.getByLabel('To', { exact: true }).selectOption('1.0.1');
      await diff.waitFor();
      await shot('12-releases');

      // An update to level 1 that includes HF-1, pushed with the API as `hfx push` does.
      const u = await w.hotfix('U-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'core 1.1.0\n'), {
        kind: 'update',
        toLevel: 1,
        includes: ['HF-1'],
        security: true,
        title: 'Update 1',
      });
      assert.equal((await call('dev', 'POST', '/v1/archives', readFileSync(u))).status, 201);
      await nav('Updates').click();
      await page.getByRole('heading', { name: 'demo 1.0.0' }).waitFor();
      const row = page.getByRole('table', { name: 'Updates of 1.0.0' }).locator('tbody tr').filter({ hasText: 'U-1' });
      assert.match(await row.innerText(), /security\s+0 → 1\s+Update 1\s+HF-1/);
      await row.getByRole('button', { name: 'Release notes' }).click();
      // Rendered from Markdown: a heading and a table, not the raw text.
      const notes = page.getByRole('region', { name: 'Release notes of U-1' });
      await notes.locator('.markdown h3').filter({ hasText: 'update level 1' }).waitFor();
      assert.match(await notes.locator('.markdown table').first().innerText(), /HF-1/);
      await shot('13-updates');
    });

    test('cases page 50 at a time, newest first, and filter by customer, severity and state', async () => {
      for (let i = 1; i <= 60; i++) {
        const r = await call('dev', 'POST', '/v1/cases', {
          title: `Batch case ${i}`,
          source: 'testing',
          reporter: 'ci',
          product: 'demo',
          impact: 'few',
          severity: i % 2 ? 'S3' : 'S4',
        });
        assert.equal(r.status, 201);
      }
      await page.goto(`${s.url}/cases`);
      const rows = page.getByRole('table', { name: 'Cases' }).locator('tbody tr');
      await rows.first().filter({ hasText: 'Batch case 60' }).waitFor();
      assert.equal(await rows.count(), 50);
      assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
      await page.getByRole('button', { name: 'Next page' }).click();
      await rows.first().filter({ hasText: 'Batch case 10' }).waitFor();
      assert.equal(await rows.count(), 11);
      assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
      await page.getByRole('button', { name: 'Previous page' }).click();
      await rows.first().filter({ hasText: 'Batch case 60' }).waitFor();
      await page.getByLabel('Severity').selectOption('S4');
      // Case 60 heads both lists: wait for the count only the filtered list has.
      await until(async () => (await rows.count()) === 30, 'the S4 cases');
      await rows.first().filter({ hasText: 'Batch case 60' }).waitFor();
      await page.getByLabel('Severity').selectOption('');
      await page.getByLabel('Customer').fill('acme');
      await page.getByLabel('Customer').press('Enter');
      await rows.first().filter({ hasText: 'Core leaks memory under load' }).waitFor();
      assert.equal(await rows.count(), 1);
      // The filters are in the address: a reload (or a shared link) shows the same list.
      await page.reload();
      await rows.first().filter({ hasText: 'Core leaks memory under load' }).waitFor();
      await page.getByLabel('Customer').fill('nobody');
      await page.getByLabel('Customer').press('Enter');
      await page.getByText('No cases match.').waitFor();
    });

    test('a read answered 503 (the server lost its database a moment) is asked again; a write is reported, not sent twice', async () => {
      const seen: string[] = [];
      const unavailable = {
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '0' },
        body: JSON.stringify({
          error: {
            code: 'HFX_E_UNAVAILABLE',
            message: 'the server lost its database connection',
            hint: 'Retry in a moment.',
          },
        }),
      };
      await page.route('**/v1/cases?*', async (route) => {
        seen.push(route.request().method());
        if (seen.length === 1) await route.fulfill(unavailable);
        else await route.continue();
      });
      await page.goto(`${s.url}/cases`);
      await page.getByRole('table', { name: 'Cases' }).locator('tbody tr').first().waitFor();
      assert.deepEqual(seen, ['GET', 'GET']);
      await page.unroute('**/v1/cases?*');
      let posts = 0;
      await page.route('**/v1/cases', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        posts++;
        await route.fulfill(unavailable);
      });
      await page.getByRole('link', { name: 'New case' }).click();
      await page.getByLabel('Title').fill('Written once');
      await page.getByLabel('Product').selectOption('demo');
      await page.getByLabel('Reporter').fill('ops@acme.example');
      await page.getByRole('button', { name: 'Report the case' }).click();
      await page.getByRole('alert').filter({ hasText: 'HFX_E_UNAVAILABLE' }).waitFor();
      assert.equal(posts, 1);
      await page.unroute('**/v1/cases');
    });

    test('an admin makes an installation token, sees it used, and revokes it; the installation is refused at once', async () => {
      await signOut(page);
      await signIn(page, s.url, 'admin', s.adminPassword);
      await nav('Tokens').click();
      const table = page.getByRole('table', { name: 'Tokens' });
      await table.getByText('this sign-in').waitFor();
      await page.getByRole('button', { name: 'New installation token' }).click();
      const form = page.getByRole('form', { name: 'Make the token' }).last();
      await form.getByLabel('Customer').selectOption('acme');
      await form.getByLabel('Name').fill('acme-dr-site');
      await form.getByRole('button', { name: 'Make the token' }).click();
      const token = (await page.getByTestId('new-token').innerText()).trim();
      assert.match(token, /^hfx_/);
      assert.deepEqual((await api(s.url, 'GET', '/v1/me', token)).body, {
        kind: 'customer',
        customer: 'acme',
        token: 'acme-dr-site',
      });
      const row = table.locator('tr', { hasText: 'acme-dr-site' });
      await row.waitFor();
      await shot('14-tokens');
      page.once('dialog', (d) => void d.accept());
      await row.getByRole('button', { name: /^Revoke acme-dr-site/ }).click();
      await row.waitFor({ state: 'detached' });
      assert.equal((await api(s.url, 'GET', '/v1/me', token)).status, 401);
      // Revoked tokens are still listed on request, marked.
      await page.getByLabel('Show revoked and expired').check();
      await row.getByText('revoked').waitFor();
    });

    test('a viewer sees the board and cases without the actions it may not take', async () => {
      await signOut(page);
      await signIn(page, s.url, 'qa-lead', 'qa-lead-password-123');
      await page.goto(`${s.url}/cases`);
      await page.getByRole('table', { name: 'Cases' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'New case' }).count(), 0);
      await nav('Pipeline').click();
      await page.getByRole('heading', { name: 'Production' }).waitFor();
      assert.equal(await page.locator('[data-env] .deploy').count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Deploy', exact: true }).count(), 0);
      // A product name with a '+' (allowed by the API) survives the address bar.
      assert.equal((await call('admin', 'POST', '/v1/products', { name: 'app+x', title: 'App plus' })).status, 201);
      assert.equal(
        (await call('admin', 'PUT', '/v1/environments/app%2Bx/pipeline', { environments: ['Only'] })).status,
        200,
      );
      await page.goto(`${s.url}/pipeline/${encodeURIComponent('app+x')}`);
      await page.getByRole('heading', { name: 'Only' }).waitFor();
      assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /Pipeline · app\+x/);
      // By keyboard: a link of the navigation opens its view and puts the focus on its content.
      await nav('Archives').focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Archives' }).waitFor();
      assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'main');
    });

    test('a revoked token sends the browser back to sign in, then to where it was', async () => {
      const t = await page.evaluate('sessionStorage.getItem("hfx.token")');
      assert.equal(typeof t, 'string');
      assert.equal((await api(s.url, 'POST', '/v1/logout', t as string, {})).status, 200);
      await page.goto(`${s.url}/fleet`);
      await page.getByRole('heading', { name: 'Sign in to hfx' }).waitFor();
      await page.getByLabel('Username').fill('qa-lead');
      await page.getByLabel('Password').fill('qa-lead-password-123');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor();
    });

    test('every view reads on a phone without sideways scrolling', async () => {
      const phone = await (await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })).newPage();
      await signIn(phone, s.url, 'rm', 'rm-password-123');
      const caseId = (await call('rm', 'GET', '/v1/cases')).body.cases[0].id;
      const views: [string, string, () => Promise<void>][] = [
        ['pipeline', '/pipeline/demo', () => phone.getByRole('heading', { name: 'Production' }).waitFor()],
        ['cases', '/cases', () => phone.getByRole('table', { name: 'Cases' }).waitFor()],
        ['case', `/cases/${caseId}`, () => phone.getByTestId('case-state').waitFor()],
        ['fleet', '/fleet', () => phone.getByRole('table', { name: 'Installations' }).waitFor()],
        ['archives', '/archives', () => phone.getByRole('table', { name: 'Archives' }).waitFor()],
        ['archive', '/archives/HF-1', () => phone.getByRole('table', { name: 'Files' }).waitFor()],
        ['releases', '/releases/demo', () => phone.getByRole('table', { name: 'Release manifests' }).waitFor()],
        ['updates', '/updates/demo', () => phone.getByRole('heading', { name: 'demo 1.0.0' }).waitFor()],
        ['tokens', '/tokens', () => phone.getByRole('table', { name: 'Tokens' }).waitFor()],
      ];
      for (const [name, path, ready] of views) {
        await phone.goto(`${s.url}${path}`);
        await ready();
        await phone.screenshot({ path: join(shots, `phone-${name}.png`), fullPage: true });
        assert.equal(
          await overflowsX(phone),
          false,
          `${name} fits a phone's width: ${(await tooWide(phone)).join(', ')}`,
        );
      }
      await phone.context().close();
      console.log(`# screenshots: ${shots}`);
    });
  });
