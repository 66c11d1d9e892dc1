// Trimming a vocabulary out of a model: every Embedding over the vocabulary keeps only the rows of
// the ids kept, in their order (new id i = row kept[i]); the model is rebuilt from its JSON.
import * as tf from '@tensorflow/tfjs';
import { modelJson } from './depgraph/describe.js';

/** The rows `kept` of a `[rows, width]` matrix stored row-major. */
export function keepRows(values: Float32Array, width: number, kept: readonly number[]): Float32Array {
  const out = new Float32Array(kept.length * width);
  kept.forEach((row, i) => out.set(values.subarray(row * width, (row + 1) * width), i * width));
  return out;
}

/** Names of the Embedding layers of `model` whose table has `vocabSize` rows. */
export function vocabularyEmbeddings(model: tf.LayersModel, vocabSize: number): string[] {
  return model.layers.filter((l) => l.getClassName() === 'Embedding' && (l.getConfig() as { inputDim?: number }).inputDim === vocabSize).map((l) => l.name);
}

/**
 * A new model whose embeddings `layers` keep only the rows `kept` (ascending old ids); every other
 * weight copied, names unchanged.
 */
export async function trimEmbeddings(model: tf.LayersModel, layers: readonly string[], kept: readonly number[]): Promise<tf.LayersModel> {
  const json = modelJson(model);
  for (const entry of json.config.layers) if (layers.includes(entry.config.name as string)) entry.config.input_dim = kept.length;
  const rebuilt = await tf.models.modelFromJSON({ modelTopology: json as never });
  for (const layer of rebuilt.layers) {
    const values = model.getLayer(layer.name).getWeights();
    if (!values.length) continue;
    if (!layers.includes(layer.name)) {
      layer.setWeights(values);
      continue;
    }
    const [table] = values;
    const width = table!.shape[1]!;
    const trimmed = tf.tensor2d(keepRows(table!.dataSync() as Float32Array, width, kept), [kept.length, width]);
    layer.setWeights([trimmed]);
    trimmed.dispose();
  }
  return rebuilt;
}
