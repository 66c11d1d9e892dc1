// `condense doctor`'s browser line: which Chromium a browser evaluation would drive and which
// TF.js backends load in it.
import { CHROMIUM_HINT, findChromium } from './chromium.js';
import { BROWSER_BACKENDS } from './measure.js';
import { browserSession, closeBrowserSession } from './session.js';

/** What `condense doctor` reports about the browser. */
export interface BrowserCheck {
  /** The executable found (CONDENSE_CHROMIUM or PATH), if any. */
  executable?: string;
  /** e.g. `Chromium 156.0.8078.114`, when it started. */
  engine?: string;
  /** Why there is no browser to measure in, when there is none. */
  reason?: string;
  /** Each TF.js backend: null when it loads in the page, else why not. */
  backends: Record<string, string | null>;
  /** The WebGL renderer (SwiftShader: software rendering), when webgl loads. */
  webglRenderer?: string;
}

/** Starts the browser, tries every backend in the measuring page, and closes it again. */
export async function probeBrowser(): Promise<BrowserCheck> {
  const executable = findChromium();
  if (!executable) return { reason: `no Chromium found: ${CHROMIUM_HINT}`, backends: {} };
  try {
    const session = await browserSession(executable);
    const backends: Record<string, string | null> = {};
    let webglRenderer: string | undefined;
    for (const name of BROWSER_BACKENDS) {
      backends[name] = (await session.page.evaluate(`condenseUseBackend(${JSON.stringify(name)})`) as string | undefined) ?? null;
      if (name === 'webgl' && backends[name] === null) {
        webglRenderer = await session.page.evaluate(`(() => { const gl = tf.backend().gpgpu.gl; const i = gl.getExtension('WEBGL_debug_renderer_info'); return String(gl.getParameter(i ? i.UNMASKED_RENDERER_WEBGL : gl.RENDERER)); })()`) as string;
      }
    }
    return { executable, engine: session.engine, backends, ...(webglRenderer ? { webglRenderer } : {}) };
  } catch (err) {
    return { executable, reason: `it did not start: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`, backends: {} };
  } finally {
    await closeBrowserSession();
  }
}

/** The browser lines of `condense doctor`'s text. */
export function formatBrowserCheck(check: BrowserCheck): string[] {
  const lines = ['browser (evaluate browser:):'];
  if (!check.engine) return [...lines, `  ✗ ${check.executable ? `${check.executable}: ` : ''}${check.reason}`];
  lines.push(`  ✓ ${check.engine} (${check.executable})`);
  for (const [name, why] of Object.entries(check.backends)) {
    const renderer = name === 'webgl' && check.webglRenderer ? `  ${check.webglRenderer}${/swiftshader/i.test(check.webglRenderer) ? ' (software rendering)' : ''}` : '';
    lines.push(why === null ? `    ✓ ${name.padEnd(8)} loads${renderer}` : `    ✗ ${name.padEnd(8)} ${why}`);
  }
  return lines;
}
