/**
 * FusedAdamOptimizer's update without the engine and without fresh buffers: the same addon.adam
 * call with the same scalars, writing into spare arrays that then become the variables' (and the
 * optimizer's moment variables') backing arrays, the replaced ones becoming the next step's spares.
 * The optimizer's own state (moment variables, beta powers, iterations) is what it would be after
 * `applyGradients`, so saving and restoring it (src/model/optimizer-state.ts) is unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { AdamFields, FusedAdamOptimizer } from '../../backend/native/adam.js';
import { exposeValues } from '../../backend/native/pool.js';
import { addon, uninitializedF32 } from '../../backend/native/util.js';

/** The protected parts of TF.js's AdamOptimizer this update reads and writes. */
type AdamState = AdamFields & { incrementIterations(): void };

/** An Adam update of the optimizer's variables in place of `applyGradients`. */
export class InPlaceAdam {
  /** Arrays this class allocated: the only ones it reuses (a replaced array may be a view into a loaded weight file). */
  private readonly owned = new WeakSet<Float32Array>();
  /** Per variable index: spare arrays for the weight, first and second moment. */
  private readonly spares: Array<Array<Float32Array | undefined>> = [];

  constructor(private readonly optimizer: FusedAdamOptimizer) {}

  /**
   * One step on `variables` (in the order the optimizer saw them) with their float32 gradients;
   * `masks[i]`, when given, is multiplied into variable i's new values.
   */
  update(variables: tf.Variable[], gradients: Float32Array[], masks: Array<Float32Array | undefined> = []): void {
    const self = this.optimizer as unknown as AdamState;
    const backend = tf.backend() as MathBackendCPU;
    const f = Math.fround;
    const scalar = (t: tf.Variable) => (backend.data.get(t.dataId).values as Float32Array)[0]!;
    // FusedAdamOptimizer's scalars, so the C update rounds identically
    const scalars = [self.beta1, 1 - self.beta1, self.beta2, 1 - self.beta2, f(1 - scalar(self.accBeta1)),
      f(1 - scalar(self.accBeta2)), self.epsilon, -self.learningRate];
    variables.forEach((value, i) => {
      self.accumulatedFirstMoment[i] ??= { originalName: `${value.name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      self.accumulatedSecondMoment[i] ??= { originalName: `${value.name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      const targets = [value, self.accumulatedFirstMoment[i].variable, self.accumulatedSecondMoment[i].variable];
      this.updateOne(backend, i, targets, gradients[i]!, scalars, masks[i]);
    });
    // tf.mul of two float32 scalars: the double product of float32 values rounds once, like C's float product
    setScalar(backend, self.accBeta1, f(scalar(self.accBeta1) * f(self.beta1)));
    setScalar(backend, self.accBeta2, f(scalar(self.accBeta2) * f(self.beta2)));
    self.incrementIterations();
  }

  private updateOne(backend: MathBackendCPU, i: number, targets: tf.Variable[], gradient: Float32Array, scalars: number[], mask?: Float32Array): void {
    const size = targets[0]!.size;
    const entries = targets.map((t) => backend.data.get(t.dataId));
    const ins = entries.map((e) => e.values);
    if (!ins.every((a) => a instanceof Float32Array && a.length === size) || gradient.length !== size) {
      throw new Error(`internal error: fast Adam step on a variable that is not a dense float32 tensor of ${size}`);
    }
    const spare = (this.spares[i] ??= []);
    const outs = [0, 1, 2].map((k) => (spare[k]?.length === size ? spare[k] : this.allocate(size)));
    const [w, m, v] = ins as Float32Array[];
    addon().adam(w!, m!, v!, gradient, outs[0]!, outs[1]!, outs[2]!, scalars, mask);
    entries.forEach((entry, k) => {
      if (entry.refCount === 1) {
        // Sole owner: the new values replace the old ones under the same tensor.
        entry.values = outs[k]!;
        spare[k] = this.owned.has(ins[k] as Float32Array) ? (ins[k] as Float32Array) : undefined;
      } else {
        // Another tensor shares these values: give the variable new ones, as the engine path does.
        tf.tidy(() => targets[k]!.assign(tf.tensor(outs[k]!, targets[k]!.shape)));
        spare[k] = undefined;
      }
    });
  }

  private allocate(size: number): Float32Array {
    const a = uninitializedF32(size);
    exposeValues(a); // swapped under variables and kept as a spare: never the backend's to reuse
    this.owned.add(a);
    return a;
  }
}

/** Sets a float32 scalar variable, in place when nothing else shares its values. */
function setScalar(backend: MathBackendCPU, variable: tf.Variable, value: number): void {
  const entry = backend.data.get(variable.dataId);
  if (entry.refCount === 1 && entry.values instanceof Float32Array && entry.values.length === 1) entry.values[0] = value;
  else tf.tidy(() => variable.assign(tf.scalar(value)));
}
