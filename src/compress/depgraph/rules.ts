// How each layer class couples the channels of its inputs with those of its output, and how its
// weights are cut once channels are removed. A class missing here is unknown: the graph stops at
// it and keeps every channel it touches (it is never assumed to be element-wise).
import type { AxisCut, GraphLayer } from './types.js';

/** Ties element `i` of input `k` to element `o` of the layer's output: removed together. */
export type Link = (k: number, i: number, o: number) => void;

/** What a rule may do besides linking an input to the output. */
export interface Coupling {
  /** Ties element `i` of input `k` to element `j` of input `m` (a contraction: q·kᵀ). */
  tie(k: number, i: number, m: number, j: number): void;
  /** Keeps every element of input `k` whole, and why. */
  fix(k: number, why: string): void;
}

/** What the graph knows about one layer class. */
export interface LayerRule {
  /** Its output channels are its own (not its input's), set by this config field. */
  sizeField?: 'units' | 'filters';
  /** Links input to output elements; returns why it cannot (then every channel it touches stays). */
  couple(layer: GraphLayer, link: Link, coupling: Coupling): string | undefined;
  /** Why its output channels must stay although its inputs may shrink (a softmax over them). */
  outputFixed?(layer: GraphLayer): string | undefined;
  /** The cuts of each weight, by short name, given the kept elements of each input and of the output. */
  cuts?(layer: GraphLayer, keptIn: number[][], keptOut: number[]): Map<string, AxisCut[]>;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const channelsOf = (shape: number[] | undefined) => shape?.at(-1) ?? 0;
const lastAxis = (layer: GraphLayer, axis: unknown) => {
  const rank = layer.outShape.length + 1;
  const axes = Array.isArray(axis) ? axis : [axis ?? -1];
  return axes.length === 1 && (axes[0] === -1 || axes[0] === rank - 1);
};

function channelsFirst(layer: GraphLayer): string | undefined {
  return layer.config.dataFormat === 'channelsFirst' ? `${layer.name} (${layer.className}) uses channelsFirst data` : undefined;
}

function softmaxOutput(layer: GraphLayer): string | undefined {
  return layer.config.activation === 'softmax' ? `${layer.name} applies a softmax across its channels` : undefined;
}

/** Same channel count in and out, channel c to channel c (activations, dropout, pooling, norms). */
function sameChannels(layer: GraphLayer, link: Link, k = 0): string | undefined {
  const c = channelsOf(layer.outShape);
  if (channelsOf(layer.inShapes[k]) !== c) return `${layer.name} (${layer.className}) changes the channel count`;
  for (let i = 0; i < c; i++) link(k, i, i);
  return undefined;
}

const passThrough: LayerRule = { couple: (l, link) => channelsFirst(l) ?? sameChannels(l, link) };

/** Every weight is one entry per channel (normalisation scales, offsets and statistics). */
const perChannel = (l: GraphLayer, _in: number[][], out: number[]) => new Map(l.weights.map((w) => [w.name, [{ axis: 0, kept: out }]]));

const normalization = (axisField: string): LayerRule => ({
  couple: (l, link) => (lastAxis(l, l.config[axisField]) ? sameChannels(l, link) : `${l.name} (${l.className}) normalizes along an axis other than the channels`),
  cuts: perChannel,
});

/** Kernel [..., in, out] and bias [out]: Dense, Conv1D, Conv2D. */
const producer = (sizeField: 'units' | 'filters'): LayerRule => ({
  sizeField,
  couple: (l) => channelsFirst(l),
  outputFixed: softmaxOutput,
  cuts: (l, [keptIn], out) => new Map(l.weights.map((w) => [w.name, w.name === 'kernel'
    ? [{ axis: w.shape.length - 2, kept: keptIn! }, { axis: w.shape.length - 1, kept: out }]
    : [{ axis: 0, kept: out }]])),
});

/** Input channel c feeds depthwise outputs c·m … c·m + m − 1. */
const expand = (kept: number[], m: number) => kept.flatMap((c) => range(m).map((j) => c * m + j));

const depthwise: LayerRule = {
  couple(l, link) {
    const m = depthMultiplierOf(l);
    const c = channelsOf(l.inShapes[0]);
    if (channelsOf(l.outShape) !== c * m) return `${l.name} (DepthwiseConv2D) output is not its input × depthMultiplier`;
    for (let i = 0; i < c; i++) for (let j = 0; j < m; j++) link(0, i, i * m + j);
    return channelsFirst(l);
  },
  outputFixed: softmaxOutput,
  cuts: (l, [keptIn], out) => new Map(l.weights.map((w) => [w.name, w.name === 'depthwise_kernel' ? [{ axis: 2, kept: keptIn! }] : [{ axis: 0, kept: out }]])),
};

/**
 * From the depthwise kernel [kh, kw, in, m]: TF.js's SeparableConv2D leaves `depthMultiplier` out
 * of its config (tfjs 4.22).
 */
export function depthMultiplierOf(l: GraphLayer): number {
  return l.weights.find((w) => w.name === 'depthwise_kernel')?.shape[3] ?? Number(l.config.depthMultiplier ?? 1);
}

const separable: LayerRule = {
  sizeField: 'filters',
  couple: (l) => channelsFirst(l),
  outputFixed: softmaxOutput,
  cuts(l, [keptIn], out) {
    const m = depthMultiplierOf(l);
    return new Map(l.weights.map((w) => [w.name,
      w.name === 'depthwise_kernel' ? [{ axis: 2, kept: keptIn! }]
        : w.name === 'pointwise_kernel' ? [{ axis: 2, kept: expand(keptIn!, m) }, { axis: 3, kept: out }]
          : [{ axis: 0, kept: out }]]));
  },
};

/** Element-wise merges: channel c of every input is channel c of the output. */
const merge: LayerRule = {
  couple(l, link) {
    for (let k = 0; k < l.inShapes.length; k++) {
      if (channelsOf(l.inShapes[k]) !== channelsOf(l.outShape)) return `${l.name} (${l.className}) broadcasts an input of ${channelsOf(l.inShapes[k])} channels`;
    }
    l.inShapes.forEach((_, k) => sameChannels(l, link, k));
    return undefined;
  },
};

const concatenate: LayerRule = {
  couple(l, link) {
    if (!lastAxis(l, l.config.axis)) return `${l.name} (Concatenate) joins along an axis other than the channels`;
    let offset = 0;
    l.inShapes.forEach((shape, k) => {
      for (let i = 0; i < channelsOf(shape); i++) link(k, i, offset + i);
      offset += channelsOf(shape);
    });
    return undefined;
  },
};

/** Channels-last flattening: output element p·C + c is channel c at position p. */
function flattenLink(l: GraphLayer, link: Link): void {
  const c = channelsOf(l.inShapes[0]);
  const n = channelsOf(l.outShape);
  for (let o = 0; o < n; o++) link(0, o % c, o);
}

const flatten: LayerRule = { couple: (l, link) => channelsFirst(l) ?? (flattenLink(l, link), undefined) };

const reshape: LayerRule = {
  couple(l, link) {
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const [inShape] = l.inShapes;
    if (l.outShape.length === 1 && size(inShape!) === l.outShape[0]) return flattenLink(l, link), undefined;
    if (channelsOf(l.outShape) === channelsOf(inShape)) return sameChannels(l, link);
    return `${l.name} (Reshape to [${l.outShape}]) splits or merges the channel axis`;
  },
};

/** Contraction axes of a Dot over rank-3 inputs, as non-negative axes counting the batch axis. */
function dotAxes(l: GraphLayer): [number, number] | undefined {
  const raw = l.config.axes;
  const axes = (Array.isArray(raw) ? raw : [raw, raw]) as number[];
  if (l.inShapes.length !== 2 || l.inShapes.some((s) => s.length !== 2) || axes.length !== 2) return undefined;
  return axes.map((a) => (a < 0 ? a + 3 : a)) as [number, number];
}

/**
 * Dot of [batch, positions, channels] inputs, as attention uses it: contracting both channel axes
 * (scores = q·kᵀ) ties query channel i to key channel i; contracting the first input's channels
 * with the second's positions (context = attention·v) links the second's channels to the output's
 * and keeps the first's whole (they are positions).
 */
const dot: LayerRule = {
  couple(l, link, { tie, fix }) {
    const axes = dotAxes(l);
    if (!axes) return `${l.name} (Dot) multiplies inputs that are not [positions, channels]`;
    const [c0, c1] = [channelsOf(l.inShapes[0]), channelsOf(l.inShapes[1])];
    if (axes[0] === 2 && axes[1] === 2) {
      for (let i = 0; i < c0; i++) tie(0, i, 1, i);
      return undefined;
    }
    if (axes[0] === 2 && axes[1] === 1 && channelsOf(l.outShape) === c1) {
      fix(0, `${l.name} (Dot) contracts the channels of ${l.inbound[0]} with the positions of ${l.inbound[1]}`);
      for (let j = 0; j < c1; j++) link(1, j, j);
      return undefined;
    }
    return `${l.name} (Dot) contracts axes [${axes}], not an attention product`;
  },
};

const fixedSource = (why: string): LayerRule => ({ couple: () => undefined, outputFixed: (l) => `${l.name} (${l.className}) ${why}` });

const activationRule: LayerRule = { couple: (l, link) => softmaxOutput(l) ?? sameChannels(l, link) };
const softmaxRule: LayerRule = { couple: (l, link) => (lastAxis(l, l.config.axis) ? `${l.name} (Softmax) normalizes across its channels` : sameChannels(l, link)) };

/** The layer classes the graph understands. */
export const LAYER_RULES: Readonly<Record<string, LayerRule>> = {
  InputLayer: fixedSource('is a model input'),
  Embedding: fixedSource('is an Embedding: its output size is not pruned'),
  Dense: producer('units'),
  Conv1D: producer('filters'),
  Conv2D: producer('filters'),
  DepthwiseConv2D: depthwise,
  SeparableConv2D: separable,
  BatchNormalization: normalization('axis'),
  LayerNormalization: normalization('axis'),
  Add: merge, Subtract: merge, Multiply: merge, Average: merge, Maximum: merge, Minimum: merge,
  Concatenate: concatenate,
  Dot: dot,
  Flatten: flatten,
  Reshape: reshape,
  // condense's learned position table [length, channels], added to its input (the bert builtin).
  PositionEmbedding: { couple: (l, link) => sameChannels(l, link), cuts: (l, _in, out) => new Map(l.weights.map((w) => [w.name, [{ axis: 1, kept: out }]])) },
  Activation: activationRule,
  Softmax: softmaxRule,
  ...Object.fromEntries([
    'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU',
    'MaxPooling1D', 'MaxPooling2D', 'AveragePooling1D', 'AveragePooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D',
    'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D',
  ].map((name) => [name, passThrough])),
};

/** Why a layer class stops the graph, or undefined when the graph knows it. */
export function unknownClassReason(layer: { name: string; className: string }): string | undefined {
  if (LAYER_RULES[layer.className]) return undefined;
  return `${layer.name} is a ${layer.className}, a layer class structured pruning does not know: the channels it touches stay whole`;
}
