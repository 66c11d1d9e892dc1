// Headless Chromium, driven by playwright-core against the system's executable (no browser
// download): for browser measurements and for tests that look at report pages.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Browser } from 'playwright-core';

/** Executable names tried on PATH, in order (Debian ships `chromium`, others `chromium-browser`). */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser'];

/** What to do when no Chromium is found (shown as an error's hint). */
export const CHROMIUM_HINT = 'install it (Debian/Ubuntu: apt-get install chromium), or set CONDENSE_CHROMIUM to its executable';

/** Flags for a quiet, offline headless Chromium: no QUIC, first-run UI or background traffic. */
const QUIET_ARGS = [
  '--headless', '--no-sandbox', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** {@link QUIET_ARGS} without a GPU: for looking at pages. */
export const CHROMIUM_ARGS = [...QUIET_ARGS, '--disable-gpu'];

/**
 * {@link QUIET_ARGS} with WebGL on SwiftShader, Chromium's software renderer (ANGLE over its
 * Vulkan implementation): headless machines have no GPU, so WebGL figures are software rendering.
 */
export const MEASURE_ARGS = [...QUIET_ARGS, '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The Chromium executable to drive: `CONDENSE_CHROMIUM` when set (taken as given, so a wrong
 * value fails loudly at launch), else the first `chromium` or `chromium-browser` on PATH;
 * undefined when there is none.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CONDENSE_CHROMIUM) return env.CONDENSE_CHROMIUM;
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of CHROMIUM_NAMES) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * Launches headless Chromium through playwright-core (imported only here, and only when a browser
 * is wanted).
 * @param executablePath default {@link findChromium}; throws naming CONDENSE_CHROMIUM when none.
 * @param args default {@link CHROMIUM_ARGS}.
 */
export async function launchChromium(executablePath = findChromium(), args: readonly string[] = CHROMIUM_ARGS): Promise<Browser> {
  if (!executablePath) throw new Error(`no Chromium found: ${CHROMIUM_HINT}`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: [...args] });
}
