// Headless Chromium for tests: the same finder and launcher as condense's browser measurements.
import { afterAll, beforeEach } from 'vitest';
import type { Browser } from 'playwright-core';
import { findChromium, launchChromium } from '../src/browser/chromium.js';
import { requireSystemDep } from './helpers.js';

export { CHROMIUM_ARGS, findChromium, launchChromium } from '../src/browser/chromium.js';

/**
 * For the tests of a `describe`: each requires Chromium (failing, not skipping, under CI=true),
 * and `browser()` launches one shared Chromium on first use, closed after the block. Launched by
 * the first test rather than in a hook, so that a launch failure counts as a failed test.
 */
export function sharedChromium(): () => Promise<Browser> {
  const chromiumPath = findChromium();
  let launched: Promise<Browser> | undefined;
  beforeEach((ctx) => requireSystemDep(ctx, 'chromium', chromiumPath !== undefined, 'apt-get install chromium, or set CONDENSE_CHROMIUM'));
  afterAll(async () => {
    await (await launched?.catch(() => undefined))?.close();
  });
  return () => (launched ??= launchChromium(chromiumPath));
}
