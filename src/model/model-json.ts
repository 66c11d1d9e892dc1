import type * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { ModelFileError } from '../errors.js';
import { jsonSyntaxProblem } from '../util/json-syntax.js';

/** One group of a model.json's weightsManifest: weights stored back to back across `paths`. */
export interface WeightGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** A model.json of a TF.js LayersModel, checked by {@link parseModelJson}. */
export interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: Record<string, unknown>;
  weightsManifest: WeightGroup[];
}

/** Bytes per stored value, by dtype (a quantization dtype overrides the weight's). */
const VALUE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };
const DTYPES = ['float32', 'int32', 'bool', 'complex64', 'string'];
const QUANTIZED = ['uint8', 'uint16', 'float16'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses and checks a model.json: valid JSON, a layers-model topology (not a graph model), and
 * a weightsManifest whose every entry has a name, a shape and a dtype TF.js can decode.
 * @param file the path errors name.
 */
export function parseModelJson(text: string, file: string): ModelJson {
  const json = parseJson(text.replace(/^\uFEFF/, ''), file);
  if (!isObject(json)) throw new ModelFileError(file, 'not a TF.js model.json (the JSON is not an object)');
  const topology = json.modelTopology;
  if (json.format === 'graph-model' || (isObject(topology) && Array.isArray(topology.node))) {
    throw new ModelFileError(file, 'is a TF.js graph model, not a layers model; condense compresses LayersModels', {
      hint: 'convert the original Keras model with tensorflowjs_converter --output_format=tfjs_layers_model, or save it with tf.LayersModel.save',
    });
  }
  if (!isObject(topology)) throw new ModelFileError(file, 'has no modelTopology object: not a TF.js layers model');
  if (typeof topology.class_name !== 'string' && !isObject(topology.model_config)) {
    throw new ModelFileError(file, 'modelTopology is not a layers-model topology (no class_name or model_config)');
  }
  if (!Array.isArray(json.weightsManifest)) throw new ModelFileError(file, 'has no weightsManifest array: not a TF.js layers model');
  json.weightsManifest.forEach((group, g) => checkGroup(group, `weightsManifest[${g}]`, file));
  return json as unknown as ModelJson;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const at = jsonSyntaxProblem(text);
    const why = at?.reason ?? (err as Error).message;
    throw new ModelFileError(file, `not valid JSON: ${why}`, { line: at?.line, col: at?.col, cause: err });
  }
}

function checkGroup(group: unknown, where: string, file: string): void {
  if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
    throw new ModelFileError(file, `${where} must be an object with "paths" and "weights" arrays`);
  }
  if (!group.paths.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new ModelFileError(file, `${where}.paths must list weight file names`);
  }
  group.weights.forEach((w, i) => checkEntry(w, `${where}.weights[${i}]`, file));
}

function checkEntry(w: unknown, where: string, file: string): void {
  if (!isObject(w) || typeof w.name !== 'string') throw new ModelFileError(file, `${where} has no weight name`);
  const what = `${where} ("${w.name}")`;
  if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ModelFileError(file, `${what}: shape must be a list of non-negative integers, got ${JSON.stringify(w.shape)}`);
  }
  if (!DTYPES.includes(w.dtype as string)) {
    throw new ModelFileError(file, `${what}: dtype ${JSON.stringify(w.dtype)} is not one TF.js stores (${DTYPES.join(', ')})`);
  }
  if (w.quantization === undefined) return;
  const q = w.quantization;
  if (!isObject(q) || !QUANTIZED.includes(q.dtype as string)) {
    throw new ModelFileError(file, `${what}: quantization dtype ${JSON.stringify(isObject(q) ? q.dtype : q)} is not one TF.js decodes (${QUANTIZED.join(', ')})`);
  }
  if (q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
    throw new ModelFileError(file, `${what}: ${q.dtype} quantization needs numeric "scale" and "min"`);
  }
}

/** Bytes a group's weights take in its files; undefined when a string weight makes it unknowable here. */
export function groupBytes(group: WeightGroup): number | undefined {
  let total = 0;
  for (const w of group.weights) {
    const dtype = w.quantization?.dtype ?? w.dtype;
    if (dtype === 'string') return undefined;
    total += w.shape.reduce((a, b) => a * b, 1) * VALUE_BYTES[dtype]!;
  }
  return total;
}

/**
 * Checks that a group's weight files hold exactly the bytes its manifest entries describe.
 * @param modelJson the model.json path; weight files are named beside it.
 * @param sizes byte length of each file of `group.paths`, in order.
 */
export function checkGroupSize(group: WeightGroup, index: number, sizes: number[], modelJson: string): void {
  const need = groupBytes(group);
  const have = sizes.reduce((a, b) => a + b, 0);
  if (need === undefined || need === have) return;
  const files = group.paths.map((p) => join(modelJson, '..', p));
  const file = files.at(-1) ?? modelJson;
  const named = files.length > 1 ? `weight files ${files.join(', ')} hold` : 'the weights file holds';
  const detail = `${named} ${have} bytes; weightsManifest[${index}] in ${modelJson} needs ${need}`;
  throw new ModelFileError(file, need > have ? `weights file is truncated: ${detail}` : `weights file is longer than its manifest says: ${detail}`, {
    hint: 'the weight files must be the ones saved with this model.json: copy them again, or export the model again',
  });
}
