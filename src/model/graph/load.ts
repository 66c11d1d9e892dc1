import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ModelFileError } from '../../errors.js';
import { checkGroupSize } from '../model-json.js';
import type { WeightGroup } from '../model-json.js';
import type { ScoreKind } from '../model-types.js';
import { EditableGraphModel } from './editable.js';
import type { GraphModelSource } from './editable.js';
import { isGraphModelJson } from './topology.js';
import type { GraphModelJson } from './topology.js';

// TF.js GraphModels (converted from SavedModels or frozen graphs) from files: as inference-only
// distillation teachers, and as the model a recipe compresses without training.

/** A loaded GraphModel with what condense reads of its graph. */
export interface LoadedGraphModel {
  model: EditableGraphModel;
  /** What its (first) output holds, from the op that computes it: Softmax/Sigmoid = probabilities. */
  scores: ScoreKind;
}

/** Weight dtypes condense can hold and write back (string tables and complex numbers it cannot). */
const EDITABLE_DTYPES = new Set(['float32', 'int32', 'bool']);

/** Reads a file of a model, as a {@link ModelFileError} naming it when it cannot. */
function readModelFile(file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ModelFileError(file, `cannot read ${what}${(err as NodeJS.ErrnoException).code === 'ENOENT' ? ': no such file' : ''}`, { cause: err });
  }
}

/**
 * A graph model's model.json and decoded weights, from its files by name (`model.json` and the
 * shards its manifest lists); quantized weights are decoded to float32 as the stock loader does.
 * @param source the model.json path errors name.
 */
export function graphSourceFromFiles(files: (name: string) => Uint8Array, source: string): GraphModelSource {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(files('model.json')).replace(/^\uFEFF/, ''));
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(source, `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isGraphModelJson(json) || !Array.isArray(json.modelTopology?.node) || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(source, 'is not a TF.js graph model (no modelTopology.node list and weightsManifest)', {
      hint: 'format: graph is for models from tensorflowjs_converter --output_format=tfjs_graph_model; a LayersModel needs no format',
    });
  }
  const groups = json.weightsManifest as WeightGroup[];
  const buffers: Uint8Array[] = [];
  groups.forEach((group, index) => {
    const shards = group.paths.map((p) => files(p));
    checkGroupSize(group, index, shards.map((b) => b.length), source);
    buffers.push(...shards);
  });
  const specs = groups.flatMap((g) => g.weights);
  const odd = specs.find((s) => !EDITABLE_DTYPES.has(s.dtype));
  if (odd) throw new ModelFileError(source, `weight "${odd.name}" has dtype ${odd.dtype}; condense edits graph models whose weights are float32, int32 or bool`);
  const data = tf.io.CompositeArrayBuffer.join(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
  return { json: json as GraphModelJson, weights: tf.io.decodeWeights(data, specs), order: specs.map((s) => s.name) };
}

/** {@link graphSourceFromFiles} for a model.json on disk, its weight files beside it. */
function graphSourceFromPath(modelJsonPath: string): GraphModelSource {
  return graphSourceFromFiles((name) => (name === 'model.json'
    ? readModelFile(modelJsonPath, 'the model')
    : readModelFile(join(dirname(modelJsonPath), name), `a weights file listed in ${modelJsonPath}`)), modelJsonPath);
}

/** Builds a graph model from its source; what TF.js refuses is a {@link ModelFileError} naming the file. */
export function editableGraph(source: GraphModelSource, file: string): EditableGraphModel {
  try {
    return new EditableGraphModel(source);
  } catch (err) {
    tf.dispose(Object.values(source.weights));
    throw new ModelFileError(file, `TF.js cannot load this graph model: ${(err as Error).message}`, { cause: err });
  }
}

/** Loads a graph model from disk with editable weights (the model a recipe compresses). */
export function loadEditableGraphFromPath(modelJsonPath: string): EditableGraphModel {
  return editableGraph(graphSourceFromPath(modelJsonPath), modelJsonPath);
}

/**
 * Loads a TF.js GraphModel from a model.json on disk, its weight files beside it (an
 * inference-only teacher). Unreadable or inconsistent files, and a layers model, are a
 * {@link ModelFileError} naming the file.
 */
export async function loadGraphModelFromPath(modelJsonPath: string): Promise<LoadedGraphModel> {
  const model = loadEditableGraphFromPath(modelJsonPath);
  return { model, scores: model.scores };
}
