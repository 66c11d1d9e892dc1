// One browser, one page and one server per run: started by the first browser evaluation, reused
// by the next ones, closed when the run ends.
import type { Browser, Page } from 'playwright-core';
import { onRunEnd } from '../util/run-scope.js';
import { launchChromium, MEASURE_ARGS } from './chromium.js';
import { startLoopbackServer, type LoopbackServer } from './server.js';

/** Milliseconds any single page operation (a backend's whole measurement) may take. */
const PAGE_TIMEOUT_MS = 300_000;

/** A headless Chromium with the measuring page open, and the server it loads from. */
export interface BrowserSession {
  /** e.g. `Chromium 156.0.8078.114`. */
  engine: string;
  browser: Browser;
  page: Page;
  server: LoopbackServer;
}

let current: Promise<BrowserSession> | undefined;

/**
 * The run's browser session, started on first use (Chromium at `executablePath`) and closed by
 * the runner at the end of the run (or by {@link closeBrowserSession}).
 */
export function browserSession(executablePath: string): Promise<BrowserSession> {
  current ??= openSession(executablePath).catch((err: unknown) => {
    current = undefined;
    throw err;
  });
  return current;
}

async function openSession(executablePath: string): Promise<BrowserSession> {
  const server = await startLoopbackServer();
  let browser: Browser | undefined;
  try {
    browser = await launchChromium(executablePath, MEASURE_ARGS);
    const page = await browser.newPage();
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    await page.goto(`${server.origin}/`);
    const isolated = await page.evaluate('crossOriginIsolated');
    if (isolated !== true) throw new Error('the measuring page is not cross-origin isolated (COOP/COEP headers ignored)');
    onRunEnd(closeBrowserSession);
    return { engine: `Chromium ${browser.version()}`, browser, page, server };
  } catch (err) {
    await browser?.close();
    await server.close();
    throw err;
  }
}

/** Closes the browser and the server of the current session, if one was started. */
export async function closeBrowserSession(): Promise<void> {
  const session = current;
  current = undefined;
  const open = await session?.catch(() => undefined);
  if (!open) return;
  try {
    await open.browser.close();
  } finally {
    await open.server.close();
  }
}
