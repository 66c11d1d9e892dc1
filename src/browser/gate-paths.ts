// Gates on browser figures: `browser.transferBytes`, `browser.<backend>.<figure>` and, for the
// timing maps, `browser.<backend>.latencyMs.<batch>`. A leaf module: recipe checks and reports read it.
import type { BrowserResult } from '../types/records.js';

const BACKENDS = ['wasm', 'webgl', 'cpu', 'webgpu'];
const SCALARS = ['transferBytes', 'loadMs', 'firstMs', 'memoryBytes', 'agreement', 'maxAbsDiff'];
const BY_BATCH = ['latencyMs', 'p90Ms'];

/** The batch size `browser.<backend>.latencyMs` (no batch given) bounds: 1, as the Node `latencyMs` does. */
export const DEFAULT_GATE_BATCH = 1;

/** Gate names for the hint of an unknown one. */
export const BROWSER_GATE_EXAMPLES = ['browser.transferBytes', 'browser.wasm.latencyMs', 'browser.wasm.latencyMs.32', 'browser.webgl.agreement'];

/** Why `name` (starting `browser.`) is no browser gate, or undefined when it is one. */
export function browserGateProblem(name: string): string | undefined {
  const [, backend, figure, batch, ...rest] = name.split('.');
  if (backend === 'transferBytes' && figure === undefined) return undefined;
  if (!BACKENDS.includes(backend ?? '')) return `"${backend}" is no browser backend (${BACKENDS.join(', ')}), nor transferBytes`;
  if (!SCALARS.includes(figure ?? '') && !BY_BATCH.includes(figure ?? '')) return `"${figure}" is no browser figure (${[...SCALARS, ...BY_BATCH].join(', ')})`;
  if (batch === undefined && rest.length === 0) return undefined;
  if (!BY_BATCH.includes(figure!) || rest.length > 0) return `only latencyMs and p90Ms take a batch size after them`;
  return /^[1-9]\d*$/.test(batch!) ? undefined : `"${batch}" is no batch size`;
}

/**
 * The value a browser gate bounds in `browser` (undefined: not measured): `browser.transferBytes`
 * is the largest over the measured backends (they download the same files).
 */
export function browserGateValue(name: string, browser: BrowserResult | undefined): number | undefined {
  const [, backend, figure, batch] = name.split('.');
  const measured = Object.values(browser?.backends ?? {}).flatMap((b) => (b.status === 'measured' ? [b] : []));
  if (backend === 'transferBytes') return measured.length ? Math.max(...measured.map((b) => b.transferBytes)) : undefined;
  const result = browser?.backends[backend!];
  if (result?.status !== 'measured') return undefined;
  if (figure === 'latencyMs' || figure === 'p90Ms') return result[figure][batch ?? String(DEFAULT_GATE_BATCH)];
  const value = (result as unknown as Record<string, unknown>)[figure!];
  return typeof value === 'number' ? value : undefined;
}

/**
 * The browser figures `compare` puts side by side, keyed by their gate names:
 * `browser.transferBytes`, and per measured backend its loadMs and latencyMs at each batch size.
 */
export function browserFigures(browser: BrowserResult | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const transfer = browserGateValue('browser.transferBytes', browser);
  if (transfer !== undefined) out['browser.transferBytes'] = transfer;
  for (const [name, result] of Object.entries(browser?.backends ?? {})) {
    if (result.status !== 'measured') continue;
    out[`browser.${name}.loadMs`] = result.loadMs;
    for (const [batch, ms] of Object.entries(result.latencyMs)) out[`browser.${name}.latencyMs.${batch}`] = ms;
  }
  return out;
}
