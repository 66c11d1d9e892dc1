// Headless Chromium for tests (and later browser measurements), driven by playwright-core.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Executable names tried on PATH, in order (Debian ships `chromium`, others `chromium-browser`). */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser'];

/** Flags for a quiet, offline headless Chromium: no GPU, QUIC, first-run UI or background traffic. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

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
 * Launches headless Chromium with {@link CHROMIUM_ARGS} through playwright-core (which needs no
 * browser download: it drives the system's executable).
 * @param executablePath default {@link findChromium}; throws naming CONDENSE_CHROMIUM when none.
 */
export async function launchChromium(executablePath = findChromium()): Promise<Browser> {
  if (!executablePath) {
    throw new Error('no Chromium found: install chromium, or set CONDENSE_CHROMIUM to its executable');
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
