// Measures a model in the run's browser: serves its files and a test slice, then asks the page to
// load and time it on each backend.
import type { BrowserBackendResult, BrowserResult } from '../types/records.js';
import type { BrowserSession } from './session.js';

/** TF.js backends a browser evaluation can ask for. */
export const BROWSER_BACKENDS = ['wasm', 'webgl', 'cpu', 'webgpu'] as const;

/** How to measure: which backends, which batch sizes, how many timed calls after how many untimed ones. */
export interface BrowserMeasureOptions {
  backends: readonly string[];
  batchSizes: readonly number[];
  runs: number;
  warmup: number;
}

/** What to measure: the exported model files (model.json + shards) and a test slice to predict. */
export interface BrowserModelInput {
  files: ReadonlyMap<string, Uint8Array>;
  /** Inputs of the slice, float32, `sliceShape` (first dimension: examples). */
  slice: Float32Array;
  sliceShape: number[];
}

/** A backend's result straight from the page, with its raw outputs on the slice (row-major). */
export type RawBackendResult = (BrowserBackendResult & { status: 'unavailable' })
  | (Omit<Extract<BrowserBackendResult, { status: 'measured' }>, 'agreement' | 'maxAbsDiff' | 'examples' | 'encoding'> & { status: 'measured'; outputs: number[] });

/**
 * Loads and times the model on each backend in turn, in the session's page. The encoding recorded
 * is the one the server negotiated with the page's Accept-Encoding.
 */
export async function measureInBrowser(session: BrowserSession, input: BrowserModelInput, options: BrowserMeasureOptions): Promise<{ engine: string; encoding: string; results: Map<string, RawBackendResult> }> {
  const served = new Map<string, Uint8Array>([...[...input.files].map(([name, bytes]) => [`model/${name}`, bytes] as const),
    ['slice.bin', new Uint8Array(input.slice.buffer, input.slice.byteOffset, input.slice.byteLength)]]);
  // The slice is test data, not part of the download measured: sent as it is.
  const mount = await session.server.mount(served, (name) => name.startsWith('model/'));
  try {
    const results = new Map<string, RawBackendResult>();
    for (const backend of options.backends) {
      const request = {
        backend, modelUrl: `${mount.base}model/model.json`, modelPrefix: `${mount.base}model/`, modelFiles: input.files.size,
        sliceUrl: `${mount.base}slice.bin`, sliceShape: input.sliceShape, batchSizes: options.batchSizes, runs: options.runs, warmup: options.warmup,
      };
      results.set(backend, await session.page.evaluate(`condenseMeasure(${JSON.stringify(request)})`) as RawBackendResult);
    }
    const encodings = new Set([...mount.sent].filter(([name]) => name.startsWith('model/')).map(([, encoding]) => encoding));
    return { engine: session.engine, encoding: [...encodings].join(', ') || 'identity', results };
  } finally {
    mount.unmount();
  }
}

/** A {@link BrowserResult} with every backend skipped, for `optional: true` without a browser. */
export function skippedBrowserResult(backends: readonly string[], reason: string): BrowserResult {
  return { backends: Object.fromEntries(backends.map((b) => [b, { status: 'unavailable', reason }])), skipped: reason };
}
