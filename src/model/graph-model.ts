import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ModelFileError } from '../errors.js';
import { checkGroupSize } from './model-json.js';
import type { WeightGroup } from './model-json.js';
import type { ScoreKind } from './outputs.js';

// TF.js GraphModels (converted from SavedModels or frozen graphs) as inference-only models:
// distillation teachers. condense trains and exports LayersModels only.

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
}

/** A loaded GraphModel with what condense reads of its graph. */
export interface LoadedGraphModel {
  model: tf.GraphModel;
  /** What its (first) output holds, from the op that computes it: Softmax/Sigmoid = probabilities. */
  scores: ScoreKind;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Loads a TF.js GraphModel from a model.json on disk, its weight files beside it. Unreadable or
 * inconsistent files, and a layers model, are a {@link ModelFileError} naming the file.
 */
export async function loadGraphModelFromPath(modelJsonPath: string): Promise<LoadedGraphModel> {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ModelFileError(file, `cannot read ${what}${(err as NodeJS.ErrnoException).code === 'ENOENT' ? ': no such file' : ''}`, { cause: err });
    }
  };
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(read(modelJsonPath, 'the model').toString('utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(modelJsonPath, `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const topology = json.modelTopology;
  if (!isObject(topology) || !Array.isArray(topology.node) || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(modelJsonPath, 'is not a TF.js graph model (no modelTopology.node list and weightsManifest)', {
      hint: 'format: graph is for models from tensorflowjs_converter --output_format=tfjs_graph_model; a LayersModel needs no format',
    });
  }
  const groups = json.weightsManifest as WeightGroup[];
  const buffers: Uint8Array[] = [];
  groups.forEach((group, index) => {
    const shards = group.paths.map((p) => read(join(dirname(modelJsonPath), p), `a weights file listed in ${modelJsonPath}`));
    checkGroupSize(group, index, shards.map((b) => b.length), modelJsonPath);
    buffers.push(...shards);
  });
  const weightData = new Uint8Array(tf.io.CompositeArrayBuffer.join(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)));
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: topology, format: 'graph-model', weightSpecs: groups.flatMap((g) => g.weights), weightData: weightData.buffer as ArrayBuffer,
    ...(isObject(json.signature) ? { signature: json.signature } : {}),
    ...(isObject(json.modelInitializer) ? { modelInitializer: json.modelInitializer } : {}),
  };
  let model: tf.GraphModel;
  try {
    model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw new ModelFileError(modelJsonPath, `TF.js cannot load this graph model: ${(err as Error).message}`, { cause: err });
  }
  return { model, scores: outputScores(topology.node as GraphNode[], model.outputNodes[0] ?? '') };
}

/** Probabilities when the output, through any Identity ops, comes from a Softmax or Sigmoid op; logits otherwise. */
function outputScores(nodes: GraphNode[], output: string): ScoreKind {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  let node = byName.get(output.replace(/:\d+$/, ''));
  for (let hops = 0; node && node.op === 'Identity' && hops < 100; hops++) node = byName.get((node.input?.[0] ?? '').replace(/:\d+$/, ''));
  return node && (node.op === 'Softmax' || node.op === 'Sigmoid') ? 'probabilities' : 'logits';
}
