import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { CONDENSE_VERSION } from '../version.js';
import { quantizeValues } from '../compress/quantize.js';
import type { QuantizationSpec } from '../compress/quantize.js';
import { keyedWeights } from './weights.js';

/** Weight shards are cut at this size, like the TF.js converter (4 MiB). */
export const SHARD_BYTES = 4 * 1024 * 1024;
/** Written into model.json's `convertedBy`. */
export const GENERATED_BY = `condense ${CONDENSE_VERSION}`;

/** A model as files: `model.json` and its weight shards, by file name. */
export type ModelFiles = Map<string, Uint8Array>;

interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: string;
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** The model's topology and float weights as TF.js saves them. */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
  return saved!;
}

/**
 * The model in the stock TF.js layers-model format. Weights with a quantization spec (by weight
 * key) are stored quantized, with the manifest's `quantization` field the stock loader decodes.
 */
export async function modelFiles(model: tf.LayersModel, quantization: Map<string, QuantizationSpec> = new Map()): Promise<ModelFiles> {
  const artifacts = await modelArtifacts(model);
  const keyByName = new Map(keyedWeights(model).map((w) => [w.variable.originalName, w.key]));
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = data.slice(offset, offset + count * 4);
    offset += count * 4;
    const q = spec.dtype === 'float32' ? quantization.get(keyByName.get(spec.name) ?? spec.name) : undefined;
    if (!q) {
      specs.push({ name: spec.name, shape: spec.shape, dtype: spec.dtype });
      chunks.push(bytes);
      continue;
    }
    const codes = quantizeValues(new Float32Array(bytes.buffer, bytes.byteOffset, count), q);
    specs.push({ name: spec.name, shape: spec.shape, dtype: 'float32', quantization: { ...q } as tf.io.WeightsManifestEntry['quantization'] });
    chunks.push(new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength));
  }
  const all = concatBytes(chunks);
  const shardCount = Math.max(1, Math.ceil(all.length / SHARD_BYTES));
  const files: ModelFiles = new Map();
  const paths: string[] = [];
  for (let i = 0; i < shardCount; i++) {
    const path = `group1-shard${i + 1}of${shardCount}.bin`;
    paths.push(path);
    files.set(path, all.subarray(i * SHARD_BYTES, Math.min(all.length, (i + 1) * SHARD_BYTES)));
  }
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: GENERATED_BY,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths, weights: specs }],
  };
  files.set('model.json', new TextEncoder().encode(JSON.stringify(json)));
  return new Map([['model.json', files.get('model.json')!], ...[...files].filter(([k]) => k !== 'model.json')]);
}

function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Model artifacts from files in memory (model.json + shards), quantized weights included. */
export function artifactsFromFiles(files: (name: string) => Uint8Array, source = 'model.json'): tf.io.ModelArtifacts {
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder().decode(files('model.json'))) as ModelJson;
  } catch (err) {
    throw new UsageError(`${source}: not a TF.js model.json (${(err as Error).message})`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UsageError(`${source}: not a TF.js layers model (no modelTopology or weightsManifest)`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) buffers.push(files(path));
  }
  const weightData = concatBytes(buffers);
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs,
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer,
  };
}

/**
 * A TF.js IOHandler that loads a LayersModel from a model.json on disk (pure @tensorflow/tfjs
 * has no file:// handler in Node). Weight paths are resolved beside model.json.
 */
export function fileSystemHandler(modelJsonPath: string): tf.io.IOHandler {
  const dir = dirname(modelJsonPath);
  return {
    load: async () =>
      artifactsFromFiles((name) => {
        const file = name === 'model.json' ? modelJsonPath : join(dir, name);
        try {
          return readFileSync(file);
        } catch {
          throw new UsageError(`cannot read ${file}`, { hint: 'model.path must name a TF.js model.json with its weight files beside it' });
        }
      }, modelJsonPath),
  };
}

/** Loads a LayersModel from disk through {@link fileSystemHandler}. */
export async function loadModelFromPath(modelJsonPath: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileSystemHandler(modelJsonPath));
}

/** Loads a LayersModel from files held in memory. */
export async function loadModelFromFiles(files: ModelFiles): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(artifactsFromFiles((name) => {
    const bytes = files.get(name);
    if (!bytes) throw new Error(`model file ${name} is missing`);
    return bytes;
  })));
}
