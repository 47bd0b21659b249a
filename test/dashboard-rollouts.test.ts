import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DESKTOP, launch, overflowsX, PHONE, screenshotDir, signIn, tooWide, unlabelled } from './helpers/browser.js';
import { world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, seedVendor, STORES, testServer } from './helpers/server.js';

/**
 * The Rollouts view in Debian's chromium against a real server on each store: a release manager
 * starts a rollout in the form (a refused one first, with the server's message) and advances,
 * pauses, resumes and aborts it by clicking, each change checked through the API; a viewer sees the
 * list without actions; installations that revert the fix pause the next rollout by itself and the
 * open page shows it, reason and all, without a reload; the archive page lists its rollouts and
 * rolls it out. Screenshots (rollouts-*) at desktop and phone size.
 */

type TS = Awaited<ReturnType<typeof testServer>>;
interface Rollout {
  id: number;
  archive: string;
  scope: { customer: string | null; env: string | null };
  steps: number[];
  step: number;
  percent: number;
  state: string;
  everySeconds: number | null;
  maxFailureRate: number;
  minSample: number;
  reason: string | null;
  applied: number;
  reverted: number;
}

for (const store of STORES)
  describe(`the rollouts view in chromium on ${store}`, () => {
    let s: TS;
    let w: World;
    let browser: Browser;
    let page: Page;
    let phone: Page;
    let shots: string;
    const cleanups: (() => void)[] = [];
    const tok: Record<string, string> = {};
    const call = (who: string, method: string, path: string, body?: unknown) =>
      api(s.url, method, path, tok[who]!, body);
    const rollouts = async (): Promise<Rollout[]> => (await call('qa-lead', 'GET', '/v1/rollouts')).body.rollouts;
    const rollout = async (id: number): Promise<Rollout> => (await call('qa-lead', 'GET', `/v1/rollouts/${id}`)).body;
    const nav = (p: Page, name: string) =>
      p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
    const row = (p: Page, id: number) => p.getByRole('table', { name: 'Rollouts' }).locator(`tr[data-rollout="${id}"]`);
    const stateOf = (p: Page, id: number, state: string) =>
      row(p, id)
        .getByTestId('rollout-state')
        .filter({ hasText: new RegExp(`^${state}$`) })
        .waitFor();
    const startForm = (p: Page) => p.getByRole('form', { name: 'Start the rollout' });
    /** The view is drawn: its heading is there and nothing is still loading. */
    const settled = async (p: Page) => {
      await p.locator('main h1').first().waitFor();
      for (const end = Date.now() + 15_000; (await p.locator('.loading').count()) > 0;) {
        if (Date.now() > end) throw new Error(`still loading: ${p.url()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const shot = async (p: Page, name: string) => {
      await settled(p);
      // From the top: a full-page capture of a scrolled page draws the sticky header in its middle.
      await p.evaluate('window.scrollTo(0, 0)');
      await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      assert.deepEqual(await unlabelled(p), [], `${name}: every control has a label`);
      assert.equal(await overflowsX(p), false, `${name} fits the window's width: ${(await tooWide(p)).join(', ')}`);
    };
    const until = async (ok: () => Promise<boolean>, what: string) => {
      for (const end = Date.now() + 15_000; !(await ok());) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const push = async (id: string) => {
      const zip = await w.hotfix(
        id,
        (d) => {
          writeFileSync(join(d, 'lib/core.jar'), `core with ${id}\n`);
        },
        { title: `Cache fix ${id}` },
      );
      assert.equal((await call('dev', 'POST', '/v1/archives', new Uint8Array(readFileSync(zip)))).status, 201);
    };
    /** A new installation of acme that applied the fix and then reverted it, as `hfx state --report` sends it. */
    let installations = 0;
    const revertedOne = async (archive: string) => {
      const n = ++installations;
      const body = {
        name: `acme-canary-${n}`,
        product: 'demo',
        release: '1.0.0',
        level: 0,
        channel: 'full',
        hotfixes: [],
        events: [
          { kind: 'applied', archive },
          { kind: 'reverted', archive, reason: 'health check failed (exit 7): 502 on /checkout' },
        ],
      };
      assert.equal((await call('acme', 'POST', '/v1/installations/report', body)).status, 201);
    };

    before(async () => {
      shots = screenshotDir(store);
      s = await testServer({ store });
      w = await world({ after: (fn: () => void) => cleanups.push(fn) });
      Object.assign(tok, await seedVendor(s.url, s.adminPassword, readFileSync(w.pub, 'utf8')));
      for (const id of ['HF-1', 'HF-2', 'HF-3']) await push(id);
      browser = await launch();
      page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      phone = await (await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })).newPage();
      await signIn(page, s.url, 'rm', 'rm-password-123');
      await signIn(phone, s.url, 'rm', 'rm-password-123');
    });
    after(async () => {
      await maybe(browser)?.close();
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('no rollouts yet: the view says what a rollout is, offers a release manager the button and a viewer the command', async () => {
      // Under Shipping in the navigation, for every vendor role.
      await nav(page, 'Rollouts').click();
      await page.getByRole('heading', { level: 1, name: 'Rollouts' }).waitFor();
      const empty = page.getByRole('note', { name: 'No rollouts yet' });
      const offered =
        /offers a fix to a growing share of installations[\s\S]*pauses by itself[\s\S]*hfx rollout start ID --steps 1,10,50,100/;
      assert.match(await empty.innerText(), offered);
      assert.equal(await empty.getByRole('button', { name: 'Start a rollout' }).count(), 1);
      await shot(page, 'rollouts-empty');
      await phone.goto(`${s.url}/rollouts`);
      await shot(phone, 'rollouts-empty-phone');

      const viewer = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      await signIn(viewer, s.url, 'qa-lead', 'qa-lead-password-123');
      await nav(viewer, 'Rollouts').click();
      const said = await viewer.getByRole('note', { name: 'No rollouts yet' }).innerText();
      assert.match(said, /A release manager starts one:[\s\S]*hfx rollout start ID --steps 1,10,50,100/);
      assert.equal(await viewer.getByRole('button', { name: 'Start a rollout' }).count(), 0);
      await shot(viewer, 'rollouts-empty-viewer');
      // The archive page says it has never been rolled out, and offers a viewer nothing to do.
      await viewer.goto(`${s.url}/archives/HF-1`);
      await viewer.getByRole('region', { name: 'Rollouts' }).getByText('Never rolled out').waitFor();
      assert.equal(await viewer.getByRole('button', { name: 'Roll out' }).count(), 0);
      await viewer.context().close();
    });

    test("a release manager starts a rollout in the form: a refused one shows the server's message; the started one is on the server as asked", async () => {
      await page.goto(`${s.url}/rollouts`);
      await page
        .getByRole('note', { name: 'No rollouts yet' })
        .getByRole('button', { name: 'Start a rollout' })
        .click();
      const form = startForm(page);
      await form.getByLabel('Archive').selectOption('HF-1');
      await form.getByLabel('A customer’s installations').check();
      await form.getByLabel('Customer', { exact: true }).selectOption('acme');
      await form.getByLabel('Steps (% of the scope)').fill('50,10');
      await form.getByLabel('By itself, after a set time').check();
      await form.getByLabel('Hours between steps').fill('2');
      await form.getByRole('button', { name: 'Start the rollout' }).click();
      const refused = form.getByRole('alert');
      await refused.waitFor();
      const text = await refused.innerText();
      assert.match(text, /steps are percentages that grow, each above 0 and at most 100: 50,10/);
      assert.match(text, /HFX_E_USAGE/);
      assert.match(text, /For example: --steps 1,10,50,100/);
      assert.deepEqual(await rollouts(), [], 'nothing started');
      await shot(page, 'rollouts-start-refused');

      await form.getByLabel('Steps (% of the scope)').fill('1, 10, 50, 100');
      await form.getByLabel('Max failure rate (%)').fill('5');
      await form.getByLabel('Minimum sample').fill('20');
      await shot(page, 'rollouts-start');
      await form.getByRole('button', { name: 'Start the rollout' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /Rollout \d+ of HF-1 started: 1% of customer acme\./ })
        .waitFor();
      const [r] = await rollouts();
      assert.deepEqual(
        { archive: r!.archive, scope: r!.scope, steps: r!.steps, step: r!.step, percent: r!.percent, state: r!.state },
        {
          archive: 'HF-1',
          scope: { customer: 'acme', env: null },
          steps: [1, 10, 50, 100],
          step: 0,
          percent: 1,
          state: 'active',
        },
      );
      assert.deepEqual([r!.everySeconds, r!.maxFailureRate, r!.minSample], [7200, 0.05, 20]);
      // The list shows it: its archive a link to the archive's page, the scope, the state, the share and the health.
      const line = await row(page, r!.id).innerText();
      assert.match(
        line,
        /HF-1[\s\S]*customer acme[\s\S]*active[\s\S]*Step 1 of 4: 1% now\.\s+By itself every 2 hours; next /,
      );
      assert.match(line, /None applied yet,\s+pauses above 5% once 20 have applied it/);
      assert.equal(await row(page, r!.id).getByRole('link', { name: 'HF-1' }).getAttribute('href'), '/archives/HF-1');
    });

    test('advance, pause, resume and abort by clicking: each change is on the server', async () => {
      const [r] = await rollouts();
      const id = r!.id;
      const line = row(page, id);
      const button = (name: string) => line.getByRole('button', { name: `${name} (rollout ${id})` });
      // Only what the state allows: an active rollout pauses, never resumes.
      assert.equal(await button('Resume').count(), 0);
      await button('Advance to 10%').click();
      await line.getByText('Step 2 of 4: 10% now.').waitFor();
      assert.deepEqual([(await rollout(id)).step, (await rollout(id)).percent], [1, 10]);
      await button('Pause').click();
      await stateOf(page, id, 'paused');
      assert.equal((await rollout(id)).state, 'paused');
      assert.equal(await button('Pause').count(), 0);
      await line.getByTestId('rollout-reason').filter({ hasText: 'No reason given.' }).waitFor();
      await button('Resume').click();
      await stateOf(page, id, 'active');
      assert.equal((await rollout(id)).state, 'active');
      // Abort asks for a reason first.
      await button('Abort').click();
      const abort = page.getByRole('form', { name: `Abort rollout ${id}` });
      await abort.getByLabel('Reason').fill('502s on checkout at acme after applying it');
      await abort.getByRole('button', { name: 'Abort the rollout' }).click();
      await stateOf(page, id, 'aborted');
      await line
        .getByTestId('rollout-reason')
        .filter({ hasText: '502s on checkout at acme after applying it' })
        .waitFor();
      const done = await rollout(id);
      assert.deepEqual(
        [done.state, done.reason, done.percent],
        ['aborted', '502s on checkout at acme after applying it', 10],
      );
      // Nothing is left to do with an aborted rollout.
      assert.equal(await line.getByRole('button').count(), 0);
      assert.equal(await abort.count(), 0);
    });

    test('installations that revert it pause the rollout by itself: the open page shows it paused, with the reason, without a reload', async () => {
      await page.getByRole('button', { name: 'Start a rollout' }).click();
      const form = startForm(page);
      await form.getByLabel('Archive').selectOption('HF-1');
      await form.getByLabel('A customer’s installations').check();
      await form.getByLabel('Customer', { exact: true }).selectOption('acme');
      await form.getByLabel('Steps (% of the scope)').fill('10,50,100');
      await form.getByLabel('Max failure rate (%)').fill('20');
      await form.getByLabel('Minimum sample').fill('2');
      await form.getByRole('button', { name: 'Start the rollout' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /Rollout \d+ of HF-1 started: 10% of customer acme\./ })
        .waitFor();
      const r = (await rollouts()).find((x) => x.state === 'active')!;
      assert.deepEqual([r.maxFailureRate, r.minSample, r.everySeconds], [0.2, 2, null]);
      await row(page, r.id).getByText('Advanced by hand.').waitFor();

      let loads = 0;
      page.on('load', () => loads++);
      // One revert is below the sample: still active, and the page says how far it is.
      await revertedOne('HF-1');
      const below = /1 of 1 reverted\s—\s100%,\s+pauses above 20% once 2 have applied it/;
      await until(async () => below.test(await row(page, r.id).innerText()), 'the first revert on the page');
      assert.equal((await rollout(r.id)).state, 'active');
      // The second passes the sample, above the limit: the server pauses it in that report.
      await revertedOne('HF-1');
      assert.equal((await rollout(r.id)).state, 'paused');
      await stateOf(page, r.id, 'paused');
      const reason = await row(page, r.id).getByTestId('rollout-reason').innerText();
      assert.equal(reason, (await rollout(r.id)).reason);
      assert.match(reason, /2 of 2 installations reverted it \(100\.0%, above 20\.0%\)/);
      assert.match(await row(page, r.id).innerText(), /2 of 2 reverted\s—\s100%,\s+pauses above 20%\s+above its limit/);
      assert.equal(loads, 0, 'the page was not reloaded');
      // Paused: it resumes, advances or aborts; it does not pause again.
      assert.deepEqual(await row(page, r.id).getByRole('button').allInnerTexts(), [
        'Resume',
        'Advance to 50%',
        'Abort',
      ]);
    });

    test('a viewer sees the list without a button to act', async () => {
      const viewer = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      await signIn(viewer, s.url, 'qa-lead', 'qa-lead-password-123');
      await viewer.goto(`${s.url}/rollouts`);
      const table = viewer.getByRole('table', { name: 'Rollouts' });
      await table
        .getByTestId('rollout-state')
        .filter({ hasText: /^paused$/ })
        .waitFor();
      assert.equal(await table.locator('tbody tr').count(), 2);
      assert.equal(await table.getByRole('button').count(), 0);
      assert.equal(await viewer.getByRole('button', { name: 'Start a rollout' }).count(), 0);
      assert.deepEqual(await table.locator('thead th').allInnerTexts(), [
        'Rollout',
        'Scope',
        'State',
        'Progress',
        'Reverts',
      ]);
      // A developer neither.
      const dev = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      await signIn(dev, s.url, 'dev', 'dev-password-123');
      await dev.goto(`${s.url}/rollouts`);
      await dev.getByRole('table', { name: 'Rollouts' }).getByTestId('rollout-state').first().waitFor();
      assert.equal(await dev.getByRole('table', { name: 'Rollouts' }).getByRole('button').count(), 0);
      await viewer.context().close();
      await dev.context().close();
    });

    test('the archive page lists its rollouts and rolls it out; the list and the form at desktop and phone size', async () => {
      // More to show: HF-2 rolled out to everyone and completed; HF-3 to an environment, advancing by itself.
      assert.equal(
        (await call('rm', 'PUT', '/v1/environments/demo/pipeline', { environments: ['QA', 'Production'] })).status,
        200,
      );
      const two = (await call('rm', 'POST', '/v1/rollouts', { archive: 'HF-2', steps: [50, 100] })).body;
      assert.equal((await call('rm', 'POST', `/v1/rollouts/${two.id}/advance`, {})).body.state, 'completed');
      const three = await call('rm', 'POST', '/v1/rollouts', {
        archive: 'HF-3',
        env: 'demo/QA',
        steps: [5, 25, 100],
        everySeconds: 6 * 3600,
      });
      assert.equal(three.status, 201, JSON.stringify(three.body));

      await page.goto(`${s.url}/rollouts`);
      await stateOf(page, two.id, 'completed');
      assert.match(
        await row(page, two.id).innerText(),
        /HF-2[\s\S]*everyone[\s\S]*completed[\s\S]*Completed: the whole scope\./,
      );
      assert.match(await row(page, three.body.id).innerText(), /environment demo\/QA[\s\S]*every 6 hours/);
      await shot(page, 'rollouts-list');
      await phone.goto(`${s.url}/rollouts`);
      await row(phone, two.id).waitFor();
      await shot(phone, 'rollouts-list-phone');
      await phone.getByRole('button', { name: 'Start a rollout' }).click();
      await startForm(phone).getByLabel('An environment’s installations').check();
      await startForm(phone).getByLabel('Archive').selectOption('HF-2');
      await startForm(phone).getByLabel('Environment of demo').waitFor();
      await shot(phone, 'rollouts-start-phone');
      // A live rollout's archive is not offered again.
      const busy = startForm(phone).getByLabel('Archive').locator('option', { hasText: 'HF-1' });
      assert.equal(await busy.isDisabled(), true);

      // The archive page: its rollouts, newest first, and the way to the list.
      await page.goto(`${s.url}/archives/HF-1`);
      const card = page.getByRole('region', { name: 'Rollouts' });
      const listed = card.getByRole('table', { name: 'Rollouts of HF-1' });
      await listed.locator('tr[data-rollout]').first().waitFor();
      assert.equal(await listed.locator('tr[data-rollout]').count(), 2);
      assert.match(
        await listed.innerText(),
        /paused[\s\S]*2 of 2 installations reverted it[\s\S]*aborted[\s\S]*502s on checkout/,
      );
      // Under way: no second rollout is offered.
      assert.equal(await card.getByRole('button', { name: 'Roll out' }).count(), 0);
      await shot(page, 'rollouts-archive');
      await phone.goto(`${s.url}/archives/HF-1`);
      await phone.getByRole('table', { name: 'Rollouts of HF-1' }).waitFor();
      await shot(phone, 'rollouts-archive-phone');
      await card.getByRole('link', { name: 'Open in Rollouts' }).click();
      await page.getByText('Rollouts of HF-1.').waitFor();
      assert.equal(new URL(page.url()).search, '?archive=HF-1');
      const filtered = page.getByRole('table', { name: 'Rollouts' }).locator('tr[data-rollout]');
      await filtered.first().waitFor();
      assert.equal(await filtered.count(), 2);

      // HF-2's rollout is over: "Roll out" starts another, from its page.
      await page.goto(`${s.url}/archives/HF-2`);
      const card2 = page.getByRole('region', { name: 'Rollouts' });
      await card2.getByRole('button', { name: 'Roll out' }).click();
      const form = startForm(page);
      await form.getByText('HF-2 — Cache fix HF-2').waitFor();
      await form.getByLabel('An environment’s installations').check();
      await form.getByLabel('Environment of demo').selectOption('Production');
      await form.getByLabel('Steps (% of the scope)').fill('20,100');
      await shot(page, 'rollouts-archive-roll-out');
      await form.getByRole('button', { name: 'Start the rollout' }).click();
      await card2
        .getByRole('table', { name: 'Rollouts of HF-2' })
        .getByTestId('rollout-state')
        .filter({ hasText: /^active$/ })
        .waitFor();
      const started = (await rollouts()).find((x) => x.archive === 'HF-2' && x.state === 'active')!;
      assert.deepEqual(
        [started.scope, started.steps, started.percent],
        [{ customer: null, env: 'demo/Production' }, [20, 100], 20],
      );
    });
  });
