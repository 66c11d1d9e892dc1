import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CondenseError, ModelFileError } from '../errors.js';
import { CONDENSE_VERSION } from '../version.js';
import { quantizeValues } from '../compress/quantize.js';
import type { QuantizationSpec } from '../compress/quantize.js';
import { checkGroupSize, parseModelJson } from './model-json.js';
import type { ModelJson } from './model-json.js';
import { customLayerClasses } from './custom-layers.js';
import type { OutputOptions } from './outputs.js';
import { exampleShapeFor, formatShape, modelInputShape } from './shapes.js';
import { keyedWeights } from './weights.js';

/** Weight shards are cut at this size, like the TF.js converter (4 MiB). */
const SHARD_BYTES = 4 * 1024 * 1024;
/** Written into model.json's `convertedBy`. */
const GENERATED_BY = `condense ${CONDENSE_VERSION}`;

/** A model as files: `model.json` and its weight shards, by file name. */
export type ModelFiles = Map<string, Uint8Array>;

/** The model's topology and float weights as TF.js saves them. */
async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
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
    modelTopology: artifacts.modelTopology as ModelJson['modelTopology'],
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

/**
 * Model artifacts from files (model.json + weight files), quantized weights included. The
 * manifest is checked against the files' sizes before TF.js sees them.
 * @param source the model.json path errors name; weight files are named beside it.
 */
export function artifactsFromFiles(files: (name: string) => Uint8Array, source = 'model.json'): tf.io.ModelArtifacts {
  const json = parseModelJson(new TextDecoder().decode(files('model.json')), source);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  json.weightsManifest.forEach((group, index) => {
    const shards = group.paths.map((path) => files(path));
    checkGroupSize(group, index, shards.map((b) => b.length), source);
    weightSpecs.push(...group.weights);
    buffers.push(...shards);
  });
  const weightData = concatBytes(buffers);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs,
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer,
  };
}

/**
 * A TF.js IOHandler that loads a LayersModel from a model.json on disk (pure @tensorflow/tfjs
 * has no file:// handler in Node). Weight paths are resolved beside model.json. Unreadable,
 * missing or inconsistent files throw a {@link ModelFileError} naming the file.
 */
export function fileSystemHandler(modelJsonPath: string): tf.io.IOHandler {
  const dir = dirname(modelJsonPath);
  return {
    load: async () => artifactsFromFiles((name) => {
      const isJson = name === 'model.json';
      const file = isJson ? modelJsonPath : join(dir, name);
      try {
        return readFileSync(file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const what = isJson ? 'cannot read the model' : `cannot read a weights file listed in ${modelJsonPath}`;
        const hint = isJson ? undefined : 'keep every file named in weightsManifest[].paths beside model.json';
        throw new ModelFileError(file, `${what}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`, { hint, cause: err });
      }
    }, modelJsonPath),
  };
}

/**
 * Loads a LayersModel from disk through {@link fileSystemHandler}. What TF.js itself rejects
 * (weights the topology lacks or needs, shapes that differ, unknown layers) is a
 * {@link ModelFileError} naming model.json.
 */
export async function loadModelFromPath(modelJsonPath: string): Promise<tf.LayersModel> {
  const artifacts = await fileSystemHandler(modelJsonPath).load!();
  registerCustomLayers();
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw await explainLoadFailure(err, artifacts, modelJsonPath);
  }
}

/** Loads a LayersModel from files held in memory. */
export async function loadModelFromFiles(files: ModelFiles): Promise<tf.LayersModel> {
  registerCustomLayers();
  return tf.loadLayersModel(tf.io.fromMemory(artifactsFromFiles((name) => {
    const bytes = files.get(name);
    if (!bytes) throw new Error(`model file ${name} is missing`);
    return bytes;
  })));
}

/** Registers the layer classes plugins added, so the topologies that use them deserialize. */
function registerCustomLayers(): void {
  for (const c of customLayerClasses()) tf.serialization.registerClass(c as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);
}

const MISMATCH_HINT = 'model.json and its weight files must come from the same save: export the model again';

/** Why TF.js could not load `artifacts`, found by building the topology alone and comparing its weights with the manifest's. */
async function explainLoadFailure(err: unknown, artifacts: tf.io.ModelArtifacts, file: string): Promise<Error> {
  if (err instanceof CondenseError) return err;
  const why = err instanceof Error ? err.message : String(err);
  let bare: tf.LayersModel;
  try {
    bare = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: artifacts.modelTopology }));
  } catch {
    return new ModelFileError(file, `TF.js cannot build the model in modelTopology: ${why}`, { cause: err });
  }
  const needed = new Map(bare.weights.map((w) => [w.originalName, w.shape]));
  bare.dispose();
  const given = new Map((artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer')
    .map((s) => [matchedName(s.name, needed), s.shape]));
  const problems = weightMismatches(needed, given);
  const message = problems.length
    ? `weightsManifest does not match modelTopology: ${problems.join('; ')}`
    : `TF.js cannot load this model: ${why}`;
  return new ModelFileError(file, message, { hint: problems.length ? MISMATCH_HINT : undefined, cause: err });
}

/** TF.js also matches `layer/cell/weight` to `layer/weight` (the cell names TF 2.2 added). */
function matchedName(name: string, needed: Map<string, unknown>): string {
  if (needed.has(name)) return name;
  const tokens = name.split('/');
  const short = [...tokens.slice(0, -2), tokens.at(-1)].join('/');
  return needed.has(short) ? short : name;
}

/** Weights one side has and the other lacks, and shapes that differ, in words. */
function weightMismatches(needed: Map<string, readonly (number | null)[]>, given: Map<string, number[]>): string[] {
  const list = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
  const extra = [...given.keys()].filter((n) => !needed.has(n));
  const missing = [...needed.keys()].filter((n) => !given.has(n));
  const reshaped = [...given].filter(([n, shape]) => needed.has(n) && needed.get(n)!.join(',') !== shape.join(','))
    .map(([n, shape]) => `"${n}" has shape [${shape}] in weightsManifest, [${needed.get(n)!.join(',')}] in the topology`);
  return [
    ...(extra.length ? [`it lists ${extra.length} weight(s) the topology does not have: ${list(extra)}`] : []),
    ...(missing.length ? [`it lacks ${missing.length} weight(s) the topology needs: ${list(missing)}`] : []),
    ...reshaped,
  ];
}

/** What {@link checkModelFitsData} needs to know of the data. */
export interface DataShape {
  name: string;
  inputShape: number[];
  numClasses: number;
}

/**
 * Checks that a model loaded from `file` can take the data's examples and predict its classes,
 * so a model for other data is a usage error before any stage runs instead of a TF.js shape
 * error inside one. Its input shape must hold as many values as an example (examples are
 * reshaped to it); unknown (null) dimensions match anything. Its output must have one unit per
 * class, one unit for two classes (binary) or, for `task: regression`, one unit.
 */
export function checkModelFitsData(model: tf.LayersModel, data: DataShape, file: string, options: OutputOptions = {}): void {
  const regression = options.task === 'regression';
  const ends = regression ? 'one output value' : `${data.numClasses} class scores${data.numClasses === 2 ? ' (or one binary unit)' : ''}`;
  const hint = `the model must take inputs of ${count(data.inputShape)} values (shape ${formatShape(data.inputShape)} or any shape of that size) and end in ${ends}, like the dataset ${data.name}`;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelFileError(file, `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; condense needs one of each`, { hint });
  }
  const input = modelInputShape(model);
  if (!exampleShapeFor(input, data.inputShape)) {
    const values = input.every((d) => d !== null) ? `${count(input as number[])} values against ${count(data.inputShape)}` : 'no reshape fits';
    throw new ModelFileError(file, `the model takes inputs of shape ${formatShape(input)}, but ${data.name} examples have shape `
      + `${formatShape(data.inputShape)} (${values})`, { hint });
  }
  const output = model.outputs[0]!.shape;
  const units = output[1];
  const unitsFit = units === null || (regression ? units === 1 : units === data.numClasses || (units === 1 && data.numClasses === 2));
  if (output.length !== 2 || !unitsFit) {
    const has = regression ? 'is a regression task (one output value)' : `has ${data.numClasses} classes`;
    throw new ModelFileError(file, `the model outputs shape [${output.map((d) => d ?? '?')}], but ${data.name} ${has}`, { hint });
  }
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Loads a user's model file and checks it fits the data ({@link checkModelFitsData}); usage errors name the file. */
export async function loadModelFor(file: string, data: DataShape, options: OutputOptions = {}): Promise<tf.LayersModel> {
  const model = await loadModelFromPath(file);
  try {
    checkModelFitsData(model, data, file, options);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
