import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (never a downloaded browser); HFX_CHROMIUM names another binary. */
export const CHROMIUM = process.env['HFX_CHROMIUM'] ?? '/usr/bin/chromium';

// The flags this sandbox needs: root (no sandbox), no GPU, and no calls home, which the closed network refuses.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does, or set HFX_CHROMIUM`);
  // launch() gives every run a new, empty profile directory of its own.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** Where the tests write their screenshots (printed by the tests): HFX_SCREENSHOTS or ./screenshots, a folder per store. */
export function screenshotDir(store: string): string {
  const dir = join(process.env['HFX_SCREENSHOTS'] ?? join(process.cwd(), 'screenshots'), store);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to hfx' }).waitFor();
}

/** Form controls a screen reader could not name: none is allowed. */
export function unlabelled(page: Page): Promise<string[]> {
  // A string, run in the page: the tests are compiled without the DOM's types.
  return page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.type !== 'hidden' && !e.labels?.length && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map((e) => e.outerHTML.slice(0, 120))`);
}

/** Wider than the window: the page would scroll sideways (tables scroll inside their own box instead). */
export function overflowsX(page: Page): Promise<boolean> {
  return page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1');
}
