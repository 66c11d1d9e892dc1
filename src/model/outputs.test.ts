import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers.js';
import { classLogits, countCorrectOf, describeOutputs, outputLoss } from './outputs.js';

beforeAll(async () => {
  await useTestBackend();
});

const seq = (...layers: tf.layers.Layer[]) => {
  const m = tf.sequential();
  layers.forEach((l) => m.add(l));
  return m;
};

describe('describeOutputs', () => {
  it('detects softmax (activation or layer), linear logits, one sigmoid unit, inside nested models too', () => {
    const dense = (units: number, activation?: 'softmax' | 'sigmoid' | 'linear') => tf.layers.dense({ units, activation, inputShape: [4] });
    expect(describeOutputs(seq(dense(3, 'softmax')))).toEqual({ kind: 'classification', scores: 'probabilities' });
    expect(describeOutputs(seq(dense(3)))).toEqual({ kind: 'classification', scores: 'logits' });
    expect(describeOutputs(seq(dense(3), tf.layers.softmax()))).toEqual({ kind: 'classification', scores: 'probabilities' });
    expect(describeOutputs(seq(dense(3), tf.layers.activation({ activation: 'softmax' })))).toEqual({ kind: 'classification', scores: 'probabilities' });
    expect(describeOutputs(seq(dense(1, 'sigmoid')))).toEqual({ kind: 'binary', scores: 'probabilities' });
    expect(describeOutputs(seq(dense(1)))).toEqual({ kind: 'binary', scores: 'logits' });
    const inner = seq(dense(3, 'softmax'));
    const input = tf.input({ shape: [4] });
    const outer = tf.model({ inputs: input, outputs: inner.apply(input) as tf.SymbolicTensor });
    expect(describeOutputs(outer).scores).toBe('probabilities');
  });

  it('lets model.outputs override detection, and task: regression win', () => {
    const m = seq(tf.layers.dense({ units: 3, activation: 'relu', inputShape: [4] }));
    expect(describeOutputs(m).scores).toBe('logits');
    expect(describeOutputs(m, { outputs: 'probabilities' }).scores).toBe('probabilities');
    expect(describeOutputs(m, { task: 'regression' }).kind).toBe('regression');
  });
});

describe('losses and accuracy by output kind', () => {
  it('cross-entropy of logits equals that of their softmax; binary logits agree with sigmoid probabilities', () => {
    const z = tf.tensor2d([[2, -1, 0.5], [0, 3, -2]]);
    const y = tf.tensor2d([[1, 0, 0], [0, 0, 1]]);
    const fromLogits = outputLoss({ kind: 'classification', scores: 'logits' }, y, z).dataSync()[0]!;
    const fromProbs = outputLoss({ kind: 'classification', scores: 'probabilities' }, y, tf.softmax(z)).dataSync()[0]!;
    expect(fromLogits).toBeCloseTo(fromProbs, 5);
    const b = tf.tensor2d([[1.5], [-0.3]]);
    const t = tf.tensor2d([[1], [1]]);
    expect(outputLoss({ kind: 'binary', scores: 'logits' }, t, b).dataSync()[0]!)
      .toBeCloseTo(outputLoss({ kind: 'binary', scores: 'probabilities' }, t, tf.sigmoid(b)).dataSync()[0]!, 5);
    expect(countCorrectOf({ kind: 'binary', scores: 'logits' }, b, Int32Array.from([1, 1]))).toBe(1);
    expect(countCorrectOf({ kind: 'binary', scores: 'probabilities' }, tf.sigmoid(b), Int32Array.from([1, 0]))).toBe(2);
  });

  it('class logits of a binary unit give softmax = [1 − p, p]', () => {
    const p = tf.tensor2d([[0.8], [0.1]]);
    const probs = tf.softmax(classLogits({ kind: 'binary', scores: 'probabilities' }, p)).arraySync() as number[][];
    expect(probs[0]![1]).toBeCloseTo(0.8, 5);
    expect(probs[1]![0]).toBeCloseTo(0.9, 5);
  });

  it('mean squared error for regression', () => {
    const loss = outputLoss({ kind: 'regression', scores: 'logits' }, tf.tensor2d([[1], [2]]), tf.tensor2d([[2], [4]]));
    expect(loss.dataSync()[0]).toBeCloseTo(2.5, 6);
  });
});
