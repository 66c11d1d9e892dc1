import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { deriveSeed } from '../util/prng.js';
import type { ModelSpec } from '../recipe/types.js';
import { buildMobileNet } from './builtin-mobilenet.js';
import { PositionEmbedding, registerBuiltinLayers } from './position-embedding.js';

/**
 * Builds a builtin model with seeded initializers (same seed, same weights). Inputs are taken
 * in the shape the data loader gives them: mlp flattens whatever it is given, lenet5 takes images
 * `[h, w, channels]` (or `[h, w]`, or flat square single-channel images), and so does mobilenet
 * (src/model/builtin-mobilenet.ts); textmlp and bert take
 * token ids `[maxLength]`. Outputs are class probabilities (softmax), or for `task: regression`
 * one linear unit.
 * @param vocabSize textmlp: embedding rows (token ids 0 … vocabSize − 1): the text dataset's `vocabSize`.
 */
export function buildBuiltinModel(
  spec: ModelSpec, inputShape: number[], numClasses: number, seed: number,
  vocabSize?: number, task: 'classification' | 'regression' = 'classification',
): tf.LayersModel {
  let layer = 0;
  const init = () => tf.initializers.glorotUniform({ seed: deriveSeed(seed, `init:${layer++}`) });
  const dense = (units: number, name: string, activation: 'relu' | 'softmax' | 'linear') =>
    tf.layers.dense({ units, activation, name, kernelInitializer: init(), biasInitializer: 'zeros' });
  if (spec.builtin === 'bert') return buildBert(spec, inputShape, numClasses, seed, vocabSize, task);
  if (spec.builtin === 'mobilenet') return buildMobileNet(spec, inputShape, numClasses, seed, task);
  const model = tf.sequential();
  if (spec.builtin === 'lenet5') {
    const conv = (filters: number, name: string, padding: 'same' | 'valid') =>
      tf.layers.conv2d({ filters, kernelSize: 5, padding, activation: 'relu', name, kernelInitializer: init() });
    const image = lenetImageShape(inputShape);
    if (image.join() === inputShape.join()) model.add(tf.layers.inputLayer({ inputShape, name: 'image' }));
    else model.add(tf.layers.reshape({ targetShape: image, inputShape, name: 'image' }));
    const [filters1, filters2] = spec.filters ?? [6, 16];
    model.add(conv(filters1!, 'conv1', spec.padding ?? 'same'));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
    model.add(conv(filters2!, 'conv2', 'valid'));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
    model.add(tf.layers.flatten({ name: 'flatten' }));
    (spec.hidden ?? [120, 84]).forEach((units, i) => model.add(dense(units, `fc${i + 1}`, 'relu')));
  } else if (spec.builtin === 'textmlp') {
    if (vocabSize === undefined || inputShape.length !== 1) {
      throw new UsageError('textmlp needs a text dataset of token ids (e.g. dataset: spam-assassin)');
    }
    // Stock layers only, so the exported model loads with a plain tf.loadLayersModel. The
    // embedding casts the float32 ids to int32 itself; padding (id 0) is averaged in like any
    // token (no masking: GlobalAveragePooling1D would need mask support in every consumer).
    const dim = spec.dim ?? 64;
    model.add(tf.layers.embedding({
      inputDim: vocabSize, outputDim: dim, inputLength: inputShape[0], inputShape, name: 'embedding',
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: deriveSeed(seed, `init:${layer++}`) }),
    }));
    model.add(tf.layers.globalAveragePooling1d({ name: 'pool' }));
    (spec.hidden ?? [64]).forEach((units, i) => model.add(dense(units, `dense${i + 1}`, 'relu')));
  } else {
    // A flat input keeps the InputLayer (and so the layer list) mlp has always had.
    if (inputShape.length === 1) model.add(tf.layers.inputLayer({ inputShape, name: 'input' }));
    else model.add(tf.layers.flatten({ inputShape, name: 'flatten' }));
    (spec.hidden ?? [300, 100]).forEach((units, i) => {
      model.add(dense(units, `dense${i + 1}`, 'relu'));
      if (spec.dropout) model.add(tf.layers.dropout({ rate: spec.dropout, name: `dropout${i + 1}` }));
    });
  }
  model.add(task === 'regression' ? dense(1, 'output', 'linear') : dense(numClasses, 'output', 'softmax'));
  return model;
}

/** The image shape lenet5 convolves: `[h, w, c]` as given, `[h, w]` with one channel, or a flat square image. */
function lenetImageShape(inputShape: number[]): number[] {
  if (inputShape.length === 3) return inputShape;
  if (inputShape.length === 2) return [...inputShape, 1];
  const featureSize = inputShape.reduce((a, b) => a * b, 1);
  const side = Math.round(Math.sqrt(featureSize));
  if (inputShape.length !== 1 || side * side !== featureSize) {
    throw new UsageError(`lenet5 needs images: examples of shape [h, w, channels], [h, w], or flat square single-channel images; examples have shape [${inputShape.join(', ')}]`);
  }
  return [side, side, 1];
}

/**
 * A small BERT-style encoder from stock layers only (Embedding, Conv1D, Dense, Dot, Softmax, Add,
 * Concatenate, LayerNormalization, GlobalAveragePooling1D), so the exported model loads with a
 * plain tf.loadLayersModel. Two departures from BERT, both for that reason: by default
 * (`positions: conv`) positions enter through a width-3 convolution over the embeddings (as in
 * ConvBERT/wav2vec 2.0) instead of a learned position table (`positions: learned`: BERT's table,
 * a PositionEmbedding layer, needed where absolute position matters, e.g. cmudict-stress), and
 * the classifier averages the tokens instead of reading a [CLS] token. Attention probabilities
 * are the outputs of the Softmax layers `block<b>_head<h>_attention`, which distill taps. The feed-forward uses ReLU (BERT: GELU). Padding is attended to like any token.
 */
function buildBert(spec: ModelSpec, inputShape: number[], numClasses: number, seed: number,
  vocabSize: number | undefined, task: 'classification' | 'regression'): tf.LayersModel {
  if (vocabSize === undefined || inputShape.length !== 1) {
    throw new UsageError('bert needs a text dataset of token ids (e.g. dataset: spam-assassin)');
  }
  const dim = spec.dim ?? 64;
  const heads = spec.heads ?? 2;
  const blocks = spec.layers ?? 2;
  if (dim % heads !== 0) throw new UsageError(`bert: dim (${dim}) must be a multiple of heads (${heads})`);
  const headDim = dim / heads;
  let n = 0;
  const next = () => deriveSeed(seed, `init:${n++}`);
  const glorot = () => tf.initializers.glorotUniform({ seed: next() });
  const dense = (units: number, name: string, activation: 'relu' | 'linear' | 'softmax' = 'linear') =>
    tf.layers.dense({ units, activation, name, kernelInitializer: glorot(), biasInitializer: 'zeros' });
  const norm = (name: string) => tf.layers.layerNormalization({ name });
  const tokens = tf.input({ shape: inputShape, name: 'tokens' });
  const embedded = tf.layers.embedding({
    inputDim: vocabSize, outputDim: dim, name: 'embedding',
    embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: next() }),
  }).apply(tokens) as tf.SymbolicTensor;
  let x = norm('embedding_norm').apply(withPositions(embedded, spec.positions ?? 'conv', dim, glorot, next())) as tf.SymbolicTensor;
  for (let b = 1; b <= blocks; b++) {
    const contexts: tf.SymbolicTensor[] = [];
    for (let h = 1; h <= heads; h++) {
      const at = `block${b}_head${h}`;
      // 1/headDim in the query's initial variance: the 1/sqrt(headDim) scaling of dot-product attention
      const query = tf.layers.dense({ units: headDim, name: `${at}_query`, biasInitializer: 'zeros',
        kernelInitializer: tf.initializers.varianceScaling({ scale: 1 / headDim, mode: 'fanAvg', distribution: 'uniform', seed: next() }) })
        .apply(x) as tf.SymbolicTensor;
      const key = dense(headDim, `${at}_key`).apply(x) as tf.SymbolicTensor;
      const value = dense(headDim, `${at}_value`).apply(x) as tf.SymbolicTensor;
      const scores = tf.layers.dot({ axes: [2, 2], name: `${at}_scores` }).apply([query, key]) as tf.SymbolicTensor;
      const weights = tf.layers.softmax({ axis: -1, name: `${at}_attention` }).apply(scores) as tf.SymbolicTensor;
      contexts.push(tf.layers.dot({ axes: [2, 1], name: `${at}_context` }).apply([weights, value]) as tf.SymbolicTensor);
    }
    const joined = contexts.length === 1 ? contexts[0]! : tf.layers.concatenate({ axis: -1, name: `block${b}_heads` }).apply(contexts) as tf.SymbolicTensor;
    const attended = dense(dim, `block${b}_attention_output`).apply(joined) as tf.SymbolicTensor;
    x = norm(`block${b}_attention_norm`).apply(tf.layers.add({ name: `block${b}_attention_add` }).apply([x, attended])) as tf.SymbolicTensor;
    const inner = dense(4 * dim, `block${b}_ffn_inner`, 'relu').apply(x) as tf.SymbolicTensor;
    const outer = dense(dim, `block${b}_ffn_output`).apply(inner) as tf.SymbolicTensor;
    x = norm(`block${b}_ffn_norm`).apply(tf.layers.add({ name: `block${b}_ffn_add` }).apply([x, outer])) as tf.SymbolicTensor;
  }
  const pooled = tf.layers.globalAveragePooling1d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const probs = (task === 'regression' ? dense(1, 'output') : dense(numClasses, 'output', 'softmax')).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: tokens, outputs: probs, name: 'bert' });
}

/** The embeddings with position information added: a width-3 convolution (conv) or BERT's learned table (learned). */
function withPositions(embedded: tf.SymbolicTensor, kind: 'conv' | 'learned', dim: number,
  glorot: () => ReturnType<typeof tf.initializers.glorotUniform>, seed: number): tf.SymbolicTensor {
  // Registered so that a model rebuilt from this one's JSON (structured pruning) deserializes.
  if (kind === 'learned') registerBuiltinLayers();
  if (kind === 'learned') return new PositionEmbedding({ name: 'position_embedding', seed }).apply(embedded) as tf.SymbolicTensor;
  const positions = tf.layers.conv1d({ filters: dim, kernelSize: 3, padding: 'same', name: 'position_conv', kernelInitializer: glorot() })
    .apply(embedded) as tf.SymbolicTensor;
  return tf.layers.add({ name: 'embedding_add' }).apply([embedded, positions]) as tf.SymbolicTensor;
}
