import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (never a downloaded browser); HFX_CHROMIUM names another binary. */
export const CHROMIUM = process.env.HFX_CHROMIUM ?? '/usr/bin/chromium';

// The flags this sandbox needs: root (no sandbox), no GPU, and no calls home, which the closed network refuses.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does, or set HFX_CHROMIUM`,
    );
  // launch() gives every run a new, empty profile directory of its own.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** Where the tests write their screenshots (printed by the tests): HFX_SCREENSHOTS or ./screenshots, a folder per store. */
export function screenshotDir(store: string): string {
  const dir = join(process.env.HFX_SCREENSHOTS ?? join(process.cwd(), 'screenshots'), store);
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

/**
 * Wider than the window: the page would scroll sideways (tables scroll inside their own box instead).
 * Measured against the layout width (clientWidth): a phone's browser zooms out to show a page that
 * overflows, and then window.innerWidth grows with it and hides the overflow.
 */
export function overflowsX(page: Page): Promise<boolean> {
  return page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth + 1');
}

/** What sticks out past the layout width, outermost first, to say why a page overflows. */
export function tooWide(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const w = document.documentElement.clientWidth;
    const out = [];
    // Inside a box that scrolls or clips, an element's width is that box's business, not the page's.
    const clipped = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return true;
      return false;
    };
    for (const e of document.querySelectorAll('body *')) {
      const r = e.getBoundingClientRect();
      if (r.right > w + 1 && !out.some((o) => o.contains(e)) && !clipped(e)) out.push(e);
    }
    const name = (e) => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
    return out.slice(0, 5).map((e) => name(e) + ' right=' + Math.round(e.getBoundingClientRect().right));
  })()`);
}
