/**
 * Headless Chromium for the console's browser tests: Debian's
 * /usr/bin/chromium driven by playwright-core (no browser download), with
 * --no-sandbox as root. Pages see only loopback: every request to another
 * host is aborted and recorded, so a test can assert nothing left the
 * machine. Screenshots go to test-artifacts/console/ (gitignored; CI keeps it).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from './airlock-process.js';

export const CHROMIUM = process.env.AIRLOCK_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumUnavailableReason(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `chromium at ${CHROMIUM} (apt-get install chromium)`;
}

export async function launchBrowser(): Promise<Browser> {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...(root ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--no-first-run'] });
}

export interface ConsolePage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Requests to anything but loopback (aborted). */
  readonly offsite: string[];
  /** alert/prompt dialogs seen (a script that ran); confirm dialogs are accepted and listed too. */
  readonly dialogs: string[];
  /** Uncaught page errors and console errors. */
  readonly errors: string[];
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export function artifactsDir(): string {
  const d = join(repoRoot(), 'test-artifacts', 'console');
  mkdirSync(d, { recursive: true });
  return d;
}

/** A fresh context (no cookies) at `width` px wide; the registry's generated CA is not trusted, so HTTPS errors are ignored for it. */
export async function openConsole(browser: Browser, width = 1280): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width, height: width < 600 ? 844 : 900 }, ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const offsite: string[] = [];
  const dialogs: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return route.continue();
    offsite.push(u.href);
    return route.abort();
  });
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void (d.type() === 'confirm' ? d.accept() : d.dismiss());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // The console's own GET /api/v1/session answers 401 before login: the browser logs that, it is no error.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 401\b/.test(m.text())) errors.push(m.text());
  });
  return {
    page,
    context,
    offsite,
    dialogs,
    errors,
    async shot(name) {
      const path = join(artifactsDir(), `${name}-${width}px.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    close: () => context.close(),
  };
}

/** Logs in through the console's form and waits for the signed-in header. */
export async function consoleLogin(p: Page, base: string, username: string, password: string): Promise<void> {
  await p.goto(`${base}/`);
  await p.getByLabel('User name').fill(username);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.locator('[data-field="user"]').waitFor();
}

/** A suite's teardown of its pages: each fetched nothing off loopback and logged no script error; then it is closed. */
export async function closeConsolePages(pages: readonly ConsolePage[]): Promise<void> {
  for (const p of pages) {
    assert.deepEqual(p.offsite, [], 'the console fetched nothing off loopback');
    assert.deepEqual(p.errors, [], 'no script errors');
    await p.close();
  }
}
