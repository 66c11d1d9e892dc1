import type * as tf from '@tensorflow/tfjs';
import { quantizeValues } from '../compress/quantize.js';
import type { QuantizationSpec } from '../compress/quantize.js';

/** Weight shards are cut at this size, like the TF.js converter (4 MiB). */
const SHARD_BYTES = 4 * 1024 * 1024;

/** One weight as saved: its manifest entry, its float32 (or other) bytes, and its quantization if any. */
export interface SavedWeight {
  spec: tf.io.WeightsManifestEntry;
  bytes: Uint8Array;
  quantization?: QuantizationSpec;
}

/**
 * The weights as a model.json's weightsManifest and its shard files: float32 weights with a
 * quantization spec are stored quantized, with the `quantization` field the stock loader decodes.
 */
export function weightShards(weights: readonly SavedWeight[]): { manifest: tf.io.WeightsManifestConfig; shards: Map<string, Uint8Array> } {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const { spec, bytes, quantization: q } of weights) {
    if (!q || spec.dtype !== 'float32') {
      specs.push({ name: spec.name, shape: spec.shape, dtype: spec.dtype });
      chunks.push(bytes);
      continue;
    }
    // A float view needs 4-byte alignment, which a bool weight before it can break.
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    const codes = quantizeValues(new Float32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4), q);
    specs.push({ name: spec.name, shape: spec.shape, dtype: 'float32', quantization: { ...q } as tf.io.WeightsManifestEntry['quantization'] });
    chunks.push(new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength));
  }
  const all = concatBytes(chunks);
  const shardCount = Math.max(1, Math.ceil(all.length / SHARD_BYTES));
  const shards = new Map<string, Uint8Array>();
  for (let i = 0; i < shardCount; i++) {
    shards.set(`group1-shard${i + 1}of${shardCount}.bin`, all.subarray(i * SHARD_BYTES, Math.min(all.length, (i + 1) * SHARD_BYTES)));
  }
  return { manifest: [{ paths: [...shards.keys()], weights: specs }], shards };
}

/** The byte arrays one after another. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
