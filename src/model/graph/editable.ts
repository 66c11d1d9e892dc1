import * as tf from '@tensorflow/tfjs';
import type { ScoreKind } from '../model-types.js';
import type { WeightOwner, WeightVariable } from '../model-types.js';
import { graphConsumers, outputScores } from './topology.js';
import type { GraphModelJson } from './topology.js';

// A TF.js GraphModel whose weights condense can read and rewrite: what lets a model converted
// from a SavedModel go through the stages that need no training (one-shot pruning,
// quantization). TF.js's own GraphModel keeps its weights private to its executor, so this
// holds them itself and builds an executable GraphModel from them whenever they changed.

/** Ops whose input 1 is a filter or weight matrix: the weights pruning may zero. */
const KERNEL_OPS = new Set([
  'Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'MatMul', '_FusedMatMul',
  'BatchMatMul', 'BatchMatMulV2', 'Conv2DBackpropInput', 'Conv3D', 'Conv1D',
]);

/** One weight of a graph: a Const node's tensor, read and written like a LayerVariable. */
class GraphWeight implements WeightVariable {
  constructor(readonly originalName: string, private tensor: tf.Tensor, private readonly changed: () => void) {}

  get shape(): readonly number[] {
    return this.tensor.shape;
  }

  get dtype(): tf.DataType {
    return this.tensor.dtype;
  }

  read(): tf.Tensor {
    return this.tensor;
  }

  /** Takes a copy of `values` (callers dispose theirs, often in a tidy). */
  write(values: tf.Tensor): void {
    const next = tf.keep(values.clone());
    this.tensor.dispose();
    this.tensor = next;
    this.changed();
  }

  dispose(): void {
    this.tensor.dispose();
  }
}

/**
 * The node a weight feeds, as a layer-like owner: named after the weight (a graph's weights are
 * its nodes), classed by the op that consumes it, so selectors like `type:Conv2D` or
 * `re:block_3` pick graph weights as they pick layers.
 */
export interface GraphWeightOwner extends WeightOwner {
  readonly weights: readonly GraphWeight[];
}

/** A model.json's graph-model topology and weights, as loaded: what {@link EditableGraphModel} starts from. */
export interface GraphModelSource {
  json: GraphModelJson;
  weights: tf.NamedTensorMap;
  /** Weight names in manifest order. */
  order: string[];
}

/** A GraphModel with editable weights; see the module comment. Inference only. */
export class EditableGraphModel {
  readonly layers: GraphWeightOwner[];
  /** What its output holds, from the op computing it. */
  readonly scores: ScoreKind;
  /** Its single input and output, batch dimension first (null: unknown). */
  readonly inputs: Array<{ shape: (number | null)[]; dtype: tf.DataType }>;
  readonly outputs: Array<{ shape: (number | null)[] }>;
  readonly json: GraphModelJson;
  private readonly kernels: Set<string>;
  private executable: tf.GraphModel<tf.io.IOHandlerSync> | undefined;

  constructor(source: GraphModelSource) {
    this.json = source.json;
    const nodes = source.json.modelTopology.node;
    const consumers = graphConsumers(nodes);
    const mark = () => this.invalidate();
    this.layers = source.order.map((name) => {
      const uses = consumers.get(name) ?? [];
      const className = uses[0]?.op ?? 'Const';
      return { name, getClassName: () => className, weights: [new GraphWeight(name, source.weights[name]!, mark)] };
    });
    this.kernels = new Set(source.order.filter((name) => source.weights[name]!.dtype === 'float32' && source.weights[name]!.rank >= 2
      && (consumers.get(name) ?? []).some((u) => u.input === 1 && KERNEL_OPS.has(u.op))));
    this.scores = outputScores(nodes, this.build().outputNodes[0] ?? '');
    const graph = this.build();
    this.inputs = graph.inputs.map((i) => ({ shape: (i.shape ?? [-1]).map((d) => (d < 0 ? null : d)), dtype: i.dtype }));
    this.outputs = graph.outputs.map((o) => ({ shape: o.shape ? o.shape.map((d) => (d < 0 ? null : d)) : [null] }));
  }

  getClassName(): string {
    return 'GraphModel';
  }

  /** The filters of convolutions and matrix products, by weight name. */
  prunableWeightNames(): ReadonlySet<string> {
    return this.kernels;
  }

  /** Runs the graph on a batch (cast to the input's dtype); the caller disposes the result. */
  predict(xs: tf.Tensor): tf.Tensor {
    const dtype = this.inputs[0]!.dtype;
    // Built outside the tidy, which would dispose a new executable's weights with the intermediates.
    const graph = this.build();
    return tf.tidy(() => graph.predict(xs.dtype === dtype ? xs : tf.cast(xs, dtype)) as tf.Tensor);
  }

  /** Records the output shape once a prediction has shown it (graphs often leave it unknown). */
  learnOutputShape(exampleShape: readonly number[]): void {
    if (this.outputs[0]!.shape.slice(1).every((d) => d !== null) && this.outputs[0]!.shape.length > 1) return;
    const out = this.predict(tf.zeros([1, ...exampleShape]));
    this.outputs[0] = { shape: [null, ...out.shape.slice(1)] };
    out.dispose();
  }

  /** The current weights as tensors, by name, in manifest order (owned by this model). */
  weightTensors(): Array<{ name: string; tensor: tf.Tensor }> {
    return this.layers.map((l) => ({ name: l.name, tensor: l.weights[0]!.read() }));
  }

  dispose(): void {
    this.invalidate();
    for (const layer of this.layers) layer.weights[0]!.dispose();
  }

  private invalidate(): void {
    this.executable?.dispose();
    this.executable = undefined;
  }

  /** The stock GraphModel over the current weights, rebuilt after any weight changed. */
  private build(): tf.GraphModel<tf.io.IOHandlerSync> {
    if (this.executable) return this.executable;
    const { weightSpecs, weightData } = encodeFloatWeights(this.weightTensors());
    const { modelTopology, signature, modelInitializer } = this.json;
    const executable = tf.loadGraphModelSync({
      modelTopology, weightSpecs, weightData, format: 'graph-model',
      ...(signature ? { signature } : {}), ...(modelInitializer ? { modelInitializer } : {}),
    });
    this.executable = executable;
    return executable;
  }
}

/** Bytes per value of the dtypes a graph's weights may have here. */
const STORED: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * The weights as TF.js stores them unquantized, synchronously (tf.io.encodeWeights is async):
 * float32, int32 and bool, which is every dtype {@link loadGraphSource} admits.
 */
export function encodeFloatWeights(weights: Array<{ name: string; tensor: tf.Tensor }>): { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer } {
  const total = weights.reduce((n, w) => n + w.tensor.size * STORED[w.tensor.dtype]!, 0);
  const out = new Uint8Array(total);
  let at = 0;
  const weightSpecs = weights.map(({ name, tensor }) => {
    const values = tensor.dataSync();
    const bytes = tensor.dtype === 'bool' ? Uint8Array.from(values as Uint8Array) : new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    out.set(bytes, at);
    at += bytes.length;
    return { name, shape: [...tensor.shape], dtype: tensor.dtype as 'float32' | 'int32' | 'bool' };
  });
  return { weightSpecs, weightData: out.buffer };
}

/** Whether a model is a GraphModel with editable weights (else a LayersModel). */
export function isGraphModel(model: unknown): model is EditableGraphModel {
  return model instanceof EditableGraphModel;
}
