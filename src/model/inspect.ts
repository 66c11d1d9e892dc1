import * as tf from '@tensorflow/tfjs';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import type { Split } from '../data/types.js';
import type { Dataset } from '../data/types.js';
import type { ModelState } from '../types/model-state.js';
import type { LayerStats, Metrics, QuantizationError } from '../types/records.js';
import { makeBatch } from './batches.js';
import { describeOutputs, errorSums, outputLoss, predictedClasses, targetsFor } from './outputs.js';
import type { CondenseModel } from './kind.js';
import type { OutputOptions } from './outputs.js';
import { batchShapeFor } from './shapes.js';
import { modelFiles } from './io.js';
import { layerMacs, modelMacs } from './macs.js';
import { isGraphModel } from './graph/editable.js';
import { keyedWeights, prunableWeights } from './weights.js';

// Everything condense measures about a model: held-out quality, parameter counts, exported size,
// latency and per-layer statistics. Stages, the runner and the reports all measure through here.

/**
 * Held-out quality of the model on a split, in batches of `batchSize` (default 512): accuracy and
 * the mean loss of its output kind (see {@link describeOutputs}); for regression, the mean squared
 * error as `loss`, and `mae` and `rmse` instead of accuracy.
 */
export function accuracyAndLoss(model: CondenseModel, split: Split, data: Dataset, batchSize = 512, options: OutputOptions = {}, reference?: Int32Array): Metrics {
  const outputs = describeOutputs(model, options);
  const shape = batchShapeFor(model, data.inputShape);
  let correct = 0;
  let lossSum = 0;
  let absolute = 0;
  let squared = 0;
  let agreed = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const end = Math.min(split.count, start + batchSize);
    const batch = makeBatch(split, shape, data.numClasses, null, start, end);
    const targets = targetsFor(outputs, batch);
    const out = model.predict(batch.xs) as tf.Tensor;
    const loss = outputLoss(outputs, targets, out);
    lossSum += loss.dataSync()[0]! * (end - start);
    if (outputs.kind === 'regression') {
      const sums = errorSums(out, targets);
      absolute += sums.absolute;
      squared += sums.squared;
    } else {
      const predicted = predictedClasses(outputs, out);
      for (let i = 0; i < predicted.length; i++) {
        if (predicted[i] === batch.labels[i]) correct++;
        if (reference && predicted[i] === reference[start + i]) agreed++;
      }
    }
    tf.dispose([batch.xs, batch.ys, targets, out, loss]);
  }
  if (outputs.kind === 'regression') return { loss: lossSum / split.count, mae: absolute / split.count, rmse: Math.sqrt(squared / split.count) };
  return { accuracy: correct / split.count, loss: lossSum / split.count, ...(reference ? { agreement: agreed / split.count } : {}) };
}

/**
 * The class the model predicts for each example of a split: what `agreement` compares a
 * compressed GraphModel's predictions with. Undefined for regression.
 */
export function predictedClassesOf(model: CondenseModel, split: Split, data: Dataset, options: OutputOptions = {}, batchSize = 512): Int32Array | undefined {
  const outputs = describeOutputs(model, options);
  if (outputs.kind === 'regression') return undefined;
  const shape = batchShapeFor(model, data.inputShape);
  const classes = new Int32Array(split.count);
  for (let start = 0; start < split.count; start += batchSize) {
    const end = Math.min(split.count, start + batchSize);
    const batch = makeBatch(split, shape, data.numClasses, null, start, end);
    const out = model.predict(batch.xs) as tf.Tensor;
    classes.set(predictedClasses(outputs, out), start);
    tf.dispose([batch.xs, batch.ys, out]);
  }
  return classes;
}

/** Parameter counts: all weights, nonzero ones, and the zero fraction of prunable weights. */
export function parameterStats(model: CondenseModel): { params: number; nonzeroParams: number; sparsity: number } {
  let params = 0;
  let nonzero = 0;
  for (const w of keyedWeights(model)) {
    const values = w.variable.read().dataSync();
    params += values.length;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonzero++;
  }
  let prunable = 0;
  let zeros = 0;
  for (const w of prunableWeights(model)) {
    const values = w.variable.read().dataSync();
    prunable += values.length;
    for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  }
  return { params, nonzeroParams: nonzero, sparsity: prunable ? zeros / prunable : 0 };
}

/**
 * gzip level for `gzipBytes`: zlib's default, what servers commonly use. Level 9 was 0–8% smaller
 * on pruned float weights here but up to 15× slower to measure.
 */
export const GZIP_LEVEL = 6;

/** Bytes of the model as exported (model.json + shards), and gzipped file by file (level 6). */
export async function sizeStats(state: ModelState): Promise<{ sizeBytes: number; gzipBytes: number }> {
  return filesSize(await modelFiles(state.model, state.quantization));
}

/** Bytes of a model's exported files, and gzipped file by file (level {@link GZIP_LEVEL}). */
export function filesSize(files: Map<string, Uint8Array>): { sizeBytes: number; gzipBytes: number } {
  let sizeBytes = 0;
  let gzipBytes = 0;
  for (const bytes of files.values()) {
    sizeBytes += bytes.length;
    gzipBytes += gzipSync(bytes, { level: GZIP_LEVEL }).length;
  }
  return { sizeBytes, gzipBytes };
}

/**
 * Brotli quality for `brotliBytes`: 11, the best, which static hosting pre-compresses with (every
 * browser decodes brotli). About 2 s per MB of float32 weights here, so only evaluate measures it.
 */
export const BROTLI_QUALITY = 11;

/** Bytes of a model's exported files compressed file by file with brotli quality {@link BROTLI_QUALITY}. */
export function brotliSize(files: Map<string, Uint8Array>): number {
  let total = 0;
  for (const bytes of files.values()) {
    total += brotliCompressSync(bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }).length;
  }
  return total;
}

/** Batch size of `latencyMs32`: a typical server or offline batch, where fewer MACs pay off most plainly. */
export const LATENCY_BATCH = 32;

/**
 * Median wall time of one prediction of a batch of `batchSize` held-out examples (default 1;
 * cycled when the split is smaller), in milliseconds, over `runs` (default 50) after 5 warm-up runs.
 */
export function latencyMs(model: CondenseModel, data: Dataset, runs = 50, batchSize = 1): number {
  const order = Int32Array.from({ length: batchSize }, (_, i) => i % Math.max(1, data.test.count));
  const one = makeBatch(data.test, batchShapeFor(model, data.inputShape), data.numClasses, order, 0, batchSize);
  const times: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const t0 = performance.now();
    const out = model.predict(one.xs) as tf.Tensor;
    out.dataSync();
    const dt = performance.now() - t0;
    out.dispose();
    if (i >= 5) times.push(dt);
  }
  tf.dispose([one.xs, one.ys]);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Metrics measured after every stage: held-out accuracy (regression: mae, rmse) and loss,
 * parameter counts, sparsity, MACs per example (of a LayersModel); with `reference` (the input
 * model's predicted classes), `agreement`.
 */
export function quickMetrics(model: CondenseModel, data: Dataset, options: OutputOptions = {}, reference?: Int32Array): Metrics {
  return {
    ...accuracyAndLoss(model, data.test, data, 512, options, reference), ...parameterStats(model),
    ...(isGraphModel(model) ? {} : { macs: modelMacs(model) }),
  };
}

const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/** Per-layer, per-weight statistics of a model state, as its export stores it; `macs` per example of a LayersModel's counted layers. */
export function layerStats(state: ModelState): LayerStats[] {
  const layers = new Map<string, LayerStats>();
  const macs = new Map(isGraphModel(state.model) ? [] : layerMacs(state.model).map((l) => [l.name, l.macs]));
  for (const w of keyedWeights(state.model)) {
    const values = w.variable.read().dataSync();
    let nonzero = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonzero++;
    // modelFiles quantizes only float32 weights; others are stored as they are.
    const q = w.variable.dtype === 'float32' ? state.quantization.get(w.key) : undefined;
    // Recorded by a quantize stage as its own kind of state; read by name so model/ needs no stage.
    // A tensor the quantize stage kept float32 has its error too, marked `keptFloat`.
    const error = (state.quantizationError as Map<string, QuantizationError> | undefined)?.get(w.key);
    const dtype = q?.dtype ?? w.variable.dtype;
    const layerMacsCount = macs.get(w.layer.name);
    const layer = layers.get(w.layer.name) ?? { name: w.layer.name, className: w.layer.getClassName(), ...(layerMacsCount !== undefined ? { macs: layerMacsCount } : {}), weights: [] };
    layers.set(w.layer.name, layer);
    layer.weights.push({
      key: w.key,
      shape: [...w.variable.shape] as number[],
      params: values.length,
      nonzeroParams: nonzero,
      sparsity: values.length ? (values.length - nonzero) / values.length : 0,
      dtype,
      ...(q ? { quantization: { ...q } } : {}),
      ...(error ? { quantizationError: { ...error } } : {}),
      bytes: values.length * (STORED_BYTES[dtype] ?? 4),
    });
  }
  return [...layers.values()];
}
