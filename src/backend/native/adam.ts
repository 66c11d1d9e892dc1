import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { NativeBackend } from './backend.js';
import { addon, uninitializedF32 } from './util.js';

/** The parts of TF.js's AdamOptimizer this subclass (and the engine-free step's update) read (protected in its typings). */
export interface AdamFields {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
}

type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/**
 * TF.js's Adam with a fused update on the native backend: one C pass per variable computes the new
 * moments and weights, where the stock optimizer runs a dozen elementwise kernels (each allocating
 * a tensor the size of the variable). Its results are bit-identical to the stock optimizer's, its
 * state (moments, beta powers, iterations) is the same, and on other backends it *is* the stock
 * optimizer.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    const backend = tf.backend();
    if (!(backend instanceof NativeBackend)) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamFields;
    const named = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor] as const)
      : Object.entries(variableGradients).map(([name, t]) => [name, t] as const);
    const arrays = (t: tf.Tensor) => (backend as MathBackendCPU).data.get(t.dataId).values;
    const f = Math.fround;
    tf.tidy(() => {
      // TF.js computes 1 - beta1^t as a float32 tensor op, then uses float32 scalars throughout.
      const oneMinusAccBeta1 = f(1 - (arrays(self.accBeta1) as Float32Array)[0]!);
      const oneMinusAccBeta2 = f(1 - (arrays(self.accBeta2) as Float32Array)[0]!);
      const scalars = [self.beta1, 1 - self.beta1, self.beta2, 1 - self.beta2, oneMinusAccBeta1,
        oneMinusAccBeta2, self.epsilon, -self.learningRate];
      named.forEach(([name, gradient], i) => {
        const value = tf.engine().registeredVariables[name]!;
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i]!.variable;
        const v = self.accumulatedSecondMoment[i]!.variable;
        const ins = [value, m, v, gradient].map(arrays);
        if (value.dtype !== 'float32' || gradient.dtype !== 'float32' || !ins.every((a) => a instanceof Float32Array && a.length === value.size)) {
          throw new Error(`fused Adam: variable ${name} is not a dense float32 tensor`);
        }
        const [wOut, mOut, vOut] = [0, 1, 2].map(() => uninitializedF32(value.size)) as [Float32Array, Float32Array, Float32Array];
        const [w, mIn, vIn, g] = ins as Float32Array[];
        addon().adam(w!, mIn!, vIn!, g!, wOut, mOut, vOut, scalars);
        m.assign(tf.tensor(mOut, value.shape));
        v.assign(tf.tensor(vOut, value.shape));
        value.assign(tf.tensor(wOut, value.shape));
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    this.incrementIterations();
  }
}
