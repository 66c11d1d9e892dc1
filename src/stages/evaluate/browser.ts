// The evaluate stage's `browser:` field: the stage's input model, exported as the export stage
// writes it, measured in the run's headless Chromium and checked against condense's own predictions.
import * as tf from '@tensorflow/tfjs';
import { CHROMIUM_HINT, findChromium } from '../../browser/chromium.js';
import { BROWSER_BACKENDS, measureInBrowser, skippedBrowserResult, type RawBackendResult } from '../../browser/measure.js';
import { browserSession, type BrowserSession } from '../../browser/session.js';
import { UsageError } from '../../errors.js';
import { makeBatch } from '../../model/batches.js';
import { modelFiles } from '../../model/io.js';
import { describeOutputs, type ModelOutputs } from '../../model/outputs.js';
import { batchShapeFor } from '../../model/shapes.js';
import type { EvaluateBrowser } from '../../recipe/types.js';
import type { BrowserBackendResult, BrowserResult } from '../../types/records.js';
import type { JsonSchema, StageContext } from '../types.js';

/** The `browser:` mapping of an evaluate stage, defaults applied (generated from {@link BROWSER_SCHEMA}). */
export type BrowserParams = EvaluateBrowser;

/** Schema of `browser:`. */
export const BROWSER_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Also measure the model as exported in headless Chromium (CONDENSE_CHROMIUM or chromium on PATH), served over a loopback HTTP server '
    + 'with brotli/gzip and COOP/COEP: per TF.js backend transferBytes, loadMs, firstMs, latencyMs and p90Ms by batch size, memoryBytes, '
    + 'and agreement with condense\'s predictions. WebGL runs on SwiftShader (software rendering).',
  properties: {
    backends: { type: 'array', items: { enum: [...BROWSER_BACKENDS] }, minItems: 1, uniqueItems: true, default: ['wasm', 'webgl'],
      description: 'TF.js backends to measure (webgpu: reported unavailable unless the browser and TF.js offer it).' },
    batchSizes: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 4096 }, minItems: 1, uniqueItems: true, default: [1, 32],
      description: 'Batch sizes whose prediction time is measured (latencyMs and p90Ms are maps from these).' },
    runs: { type: 'integer', minimum: 1, maximum: 10000, default: 50, description: 'Timed predictions per batch size (median and 90th percentile of these).' },
    warmup: { type: 'integer', minimum: 0, maximum: 1000, default: 5, description: 'Untimed predictions before the timed ones, per batch size.' },
    optional: { type: 'boolean', default: false, description: 'Without Chromium (or a backend that does not load), skip with a warning in the report instead of failing (exit 2).' },
    slice: { type: 'integer', minimum: 1, maximum: 100000, default: 512, description: 'Test examples predicted in the browser and compared with Node (agreement).' },
  },
  additionalProperties: false,
};

/** Measures the stage's input model in the browser; without a browser, fails (exit 2) or, optional, reports why it skipped. */
export async function evaluateInBrowser(ctx: StageContext<unknown>, params: BrowserParams): Promise<BrowserResult> {
  const session = await openSession(params);
  if (typeof session === 'string') return skippedBrowserResult(params.backends, session);
  const { model } = ctx.input;
  const files = await modelFiles(model, ctx.input.quantization);
  const count = Math.min(params.slice, ctx.data.test.count);
  const shape = batchShapeFor(model, ctx.data.inputShape);
  const batch = makeBatch(ctx.data.test, shape, ctx.data.numClasses, null, 0, count);
  const expected = model.predict(batch.xs) as tf.Tensor;
  try {
    const measured = await measureInBrowser(session, { files, slice: batch.xs.dataSync() as Float32Array, sliceShape: [count, ...shape] }, params);
    const outputs = describeOutputs(model, ctx.outputsOf());
    const backends: Record<string, BrowserBackendResult> = {};
    for (const [name, raw] of measured.results) backends[name] = finish(raw, expected, outputs, measured.encoding);
    const failed = Object.entries(backends).find(([name, b]) => b.status === 'unavailable' && name !== 'webgpu');
    if (failed && !params.optional) {
      throw new UsageError(`the ${failed[0]} backend does not load in ${measured.engine}: ${(failed[1] as { reason: string }).reason}`,
        { hint: 'condense doctor lists the backends that load in the browser; drop it from browser.backends, or set browser.optional: true' });
    }
    return { engine: measured.engine, backends };
  } finally {
    tf.dispose([batch.xs, batch.ys, expected]);
  }
}

/** The run's browser session, or (optional) why there is none. */
async function openSession(params: BrowserParams): Promise<BrowserSession | string> {
  // A way to leave optional browser evaluations out of one run (a quick iteration, a machine whose
  // Chromium is not wanted) without editing the recipe; a required one still runs.
  if (params.optional && process.env.CONDENSE_BROWSER === 'off') return 'skipped: CONDENSE_BROWSER=off';
  const chromium = findChromium();
  if (!chromium) {
    if (params.optional) return `no Chromium found: ${CHROMIUM_HINT}`;
    throw new UsageError('a browser evaluation needs Chromium, and none was found', { hint: `${CHROMIUM_HINT}; or set browser.optional: true to skip it` });
  }
  try {
    return await browserSession(chromium);
  } catch (err) {
    const why = `Chromium (${chromium}) did not start: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
    if (params.optional) return why;
    throw new UsageError(why, { hint: `check CONDENSE_CHROMIUM; ${CHROMIUM_HINT}` });
  }
}

/** A backend's page result with agreement and the largest output difference against Node's outputs. */
function finish(raw: RawBackendResult, expected: tf.Tensor, outputs: ModelOutputs, encoding: string): BrowserBackendResult {
  if (raw.status === 'unavailable') return raw;
  const { outputs: values, ...measured } = raw;
  const node = expected.dataSync();
  if (values.length !== node.length) throw new Error(`the browser returned ${values.length} outputs, Node ${node.length}`);
  let maxAbsDiff = 0;
  for (let i = 0; i < node.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(node[i]! - values[i]!));
  const examples = expected.shape[0]!;
  const browserOut = tf.tensor(values, expected.shape);
  try {
    const agreement = outputs.kind === 'regression' ? undefined : agreementOf(outputs, expected, browserOut);
    const ms = (x: number) => Math.round(x * 1000) / 1000;
    const byBatch = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([b, v]) => [b, ms(v)]));
    return {
      ...measured, loadMs: ms(measured.loadMs), firstMs: ms(measured.firstMs), latencyMs: byBatch(measured.latencyMs), p90Ms: byBatch(measured.p90Ms),
      encoding, ...(agreement !== undefined ? { agreement } : {}), maxAbsDiff, examples,
    };
  } finally {
    browserOut.dispose();
  }
}

/** Fraction of rows whose predicted class is the same in both outputs. */
function agreementOf(o: ModelOutputs, a: tf.Tensor, b: tf.Tensor): number {
  const classes = (out: tf.Tensor) => tf.tidy(() => (o.kind === 'binary'
    ? tf.greater(tf.reshape(out, [-1]), o.scores === 'logits' ? 0 : 0.5).toInt()
    : tf.argMax(out, -1))).dataSync();
  const [x, y] = [classes(a), classes(b)];
  let same = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
  return same / x.length;
}
