import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (installed by npm run setup); Playwright's own browser downloads cannot work here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');

export const LAPTOP = { width: 1366, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A headless Chromium with a fresh profile (Playwright makes a throw-away user data dir per launch). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far; a test expects this to stay empty. */
  problems: string[];
  /**
   * Chromium logs every HTTP error a fetch gets as a console error. A test that provokes one
   * on purpose (a refused form) declares it first; each declaration lets exactly one through.
   */
  expectHttpError(status: number, path: string): void;
  /** Problems plus declared HTTP errors that never came; empties both. */
  takeProblems(): string[];
}

/** A page in its own context (its own localStorage) that records every console error and uncaught exception. */
export async function openPage(
  browser: Browser,
  baseURL: string,
  options: { viewport?: { width: number; height: number }; phone?: boolean; token?: string } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    baseURL,
    viewport: options.viewport ?? LAPTOP,
    ...(options.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  // Scripts are strings: they run in the browser, and the server's tsconfig has no DOM types.
  if (options.token) await context.addInitScript({ content: `localStorage.setItem('berth.token', ${JSON.stringify(options.token)})` });
  const page = await context.newPage();
  const problems: string[] = [];
  const declared: { status: number; path: string }[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url ?? '';
    const path = url.startsWith(baseURL) ? url.slice(baseURL.length) : url;
    // Chromium aborts requests in flight when the host's network interfaces change, which
    // happens here whenever a container starts; the dashboard asks again (api.ts).
    if (message.text().includes('net::ERR_NETWORK_CHANGED')) return;
    const status = Number(/status of (\d{3})/.exec(message.text())?.[1]);
    const index = declared.findIndex((d) => d.status === status && d.path === path);
    if (index >= 0) {
      declared.splice(index, 1);
      return;
    }
    problems.push(`console error: ${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  return {
    context,
    page,
    problems,
    expectHttpError: (status, path) => declared.push({ status, path }),
    takeProblems: () => [...problems.splice(0), ...declared.splice(0).map((d) => `expected HTTP ${d.status} from ${d.path} never came`)],
  };
}

/** The API token the page is signed in with. */
export const tokenOf = (page: Page) => page.evaluate<string | null>("localStorage.getItem('berth.token')");

/** Whether the page is wider than the screen (a phone user would have to scroll sideways). */
export const scrollsSideways = (page: Page) => page.evaluate<boolean>('document.documentElement.scrollWidth > document.documentElement.clientWidth');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  // From the top: a scrolled page would show its sticky header in the middle of the picture.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path, fullPage: true });
  return path;
}
