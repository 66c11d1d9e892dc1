// Multiply-accumulates per example: what a forward pass costs wherever the model runs, unlike
// zeros in weights (TF.js multiplies those like any other). Counted for the layers that multiply
// weights or activations (dense, convolutions, attention dot products); element-wise layers,
// normalisation and pooling add comparatively little and are not counted, as usual for MACs.
import type * as tf from '@tensorflow/tfjs';

/** MACs of one layer per example. */
export interface LayerMacs {
  name: string;
  className: string;
  macs: number;
}

const product = (shape: ReadonlyArray<number | null>) => shape.reduce<number>((a, b) => a * (b ?? 1), 1);
const withoutBatch = (shape: unknown): number[] => (Array.isArray(shape) && !Array.isArray(shape[0]) ? (shape.slice(1) as number[]) : []);

/** Per output element, the kernel entries it reads: Dense and Conv1D/2D/3D kernels are [..., in, out]. */
function kernelMacs(layer: tf.layers.Layer): number {
  const kernel = layer.weights.find((w) => w.originalName.endsWith('/kernel'))!;
  return (product(kernel.shape) / kernel.shape.at(-1)!) * product(withoutBatch(layer.outputShape));
}

function depthwiseMacs(layer: tf.layers.Layer): number {
  const [kh, kw] = layer.weights.find((w) => w.originalName.endsWith('depthwise_kernel'))!.shape as number[];
  return kh! * kw! * product(withoutBatch(layer.outputShape));
}

function separableMacs(layer: tf.layers.Layer): number {
  const [kh, kw, inputs, m] = layer.weights.find((w) => w.originalName.endsWith('depthwise_kernel'))!.shape as number[];
  const out = withoutBatch(layer.outputShape);
  const positions = product(out.slice(0, -1));
  return positions * inputs! * m! * (kh! * kw! + out.at(-1)!);
}

/** A Dot of [..., n, d] and [..., d, k]-like inputs: each output element sums over the contracted axis. */
function dotMacs(layer: tf.layers.Layer): number {
  const inputs = layer.input;
  const first = withoutBatch((Array.isArray(inputs) ? inputs[0]! : inputs).shape);
  const axes = (layer.getConfig().axes as number | number[]) ?? -1;
  const axis = Array.isArray(axes) ? axes[0]! : axes;
  // Keras axes count the batch axis.
  const contracted = first[axis < 0 ? first.length + axis : axis - 1]!;
  return contracted * product(withoutBatch(layer.outputShape));
}

const COUNTED: Record<string, (layer: tf.layers.Layer) => number> = {
  Dense: kernelMacs, Conv1D: kernelMacs, Conv2D: kernelMacs, Conv3D: kernelMacs,
  DepthwiseConv2D: depthwiseMacs, SeparableConv2D: separableMacs, Dot: dotMacs,
};

/** MACs per example of every counted layer (nested models' layers by their own names), in layer order. */
export function layerMacs(model: tf.LayersModel): LayerMacs[] {
  return model.layers.flatMap((layer) => {
    if ('layers' in layer) return layerMacs(layer as unknown as tf.LayersModel);
    const count = COUNTED[layer.getClassName()];
    return count ? [{ name: layer.name, className: layer.getClassName(), macs: count(layer) }] : [];
  });
}

/** MACs per example of the whole model (see {@link layerMacs}). */
export function modelMacs(model: tf.LayersModel): number {
  return layerMacs(model).reduce((n, l) => n + l.macs, 0);
}
