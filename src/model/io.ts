import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CondenseError, ModelFileError } from '../errors.js';
import { CONDENSE_VERSION } from '../version.js';
import type { QuantizationSpec } from '../compress/quantize.js';
import { checkGroupSize, parseModelJson } from './model-json.js';
import type { ModelJson } from './model-json.js';
import { customLayerClasses } from './custom-layers.js';
import { registerBuiltinLayers } from './position-embedding.js';
import { exampleShapeFor, modelInputShape } from './shapes.js';
import { keyedWeights } from './weights.js';
import { concatBytes, weightShards } from './weight-files.js';
import type { SavedWeight } from './weight-files.js';
import { isGraphModel } from './graph/editable.js';
import { editableGraph, graphSourceFromFiles } from './graph/load.js';
import { isGraphModelJson } from './graph/topology.js';
import { graphModelFiles } from './graph/files.js';
import type { CondenseModel } from './kind.js';

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
export async function modelFiles(model: CondenseModel, quantization: Map<string, QuantizationSpec> = new Map()): Promise<ModelFiles> {
  if (isGraphModel(model)) return graphModelFiles(model, quantization, GENERATED_BY);
  const artifacts = await modelArtifacts(model);
  const keyByName = new Map(keyedWeights(model).map((w) => [w.variable.originalName, w.key]));
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!));
  let offset = 0;
  const weights = (artifacts.weightSpecs ?? []).map((spec): SavedWeight => {
    const bytes = data.slice(offset, offset + spec.shape.reduce((a, b) => a * b, 1) * 4);
    offset += bytes.length;
    return { spec, bytes, quantization: quantization.get(keyByName.get(spec.name) ?? spec.name) };
  });
  const { manifest, shards } = weightShards(weights);
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: GENERATED_BY,
    modelTopology: artifacts.modelTopology as ModelJson['modelTopology'],
    weightsManifest: manifest as ModelJson['weightsManifest'],
  };
  return new Map([['model.json', new TextEncoder().encode(JSON.stringify(json))], ...shards]);
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

/**
 * Loads the model files a checkpoint holds: a LayersModel, or a GraphModel (its output shape
 * found on an example of `exampleShape`, the data's).
 */
export async function loadStateModel(files: ModelFiles, exampleShape: readonly number[]): Promise<CondenseModel> {
  const json = files.get('model.json');
  if (!json || !isGraphModelJson(JSON.parse(new TextDecoder().decode(json)))) return loadModelFromFiles(files);
  const model = editableGraph(graphSourceFromFiles((name) => {
    const bytes = files.get(name);
    if (!bytes) throw new Error(`model file ${name} is missing`);
    return bytes;
  }, 'model.json'), 'model.json');
  const example = exampleShapeFor(modelInputShape(model), exampleShape);
  if (example) model.learnOutputShape(example);
  return model;
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
  registerBuiltinLayers();
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

