// The dependency graph's view of a model: plain data, so that the grouping can be built and tested
// without TF.js, from a live model (describe.ts) or by hand.

/** One layer as the dependency graph sees it. Shapes omit the batch axis; channels are the last axis. */
export interface GraphLayer {
  name: string;
  className: string;
  /** The layer's config as `layer.getConfig()` gives it (camelCase keys). */
  config: Record<string, unknown>;
  /** Names of the layers whose outputs feed this one, in input order (empty for an input). */
  inbound: string[];
  /** Shape of each input, in the order of `inbound`. */
  inShapes: number[][];
  outShape: number[];
  /** Short names (`kernel`, `bias`, `gamma`, ...) and shapes of its weights, in the layer's order. */
  weights: Array<{ name: string; shape: number[] }>;
  /** Why the graph cannot read this layer's connections (shared layer, several outputs), if so. */
  problem?: string;
}

/** A model's layers (inputs included, in topological order) and which of them are its outputs. */
export interface LayerGraph {
  layers: GraphLayer[];
  outputs: string[];
}

/** Keep only `kept` indices (ascending) along `axis` of a weight. */
export interface AxisCut {
  axis: number;
  kept: number[];
}

/**
 * One prunable unit of a group: the elements (last-axis indices) it occupies in each layer output
 * it touches, by layer name. Removing the channel removes all of them together.
 */
export type Channel = Map<string, number[]>;

/**
 * Channels that must be cut together: they touch the same layer outputs (a producer's filters,
 * the BatchNormalization and pooling after it, an Add joining it with other producers...).
 */
export interface ChannelGroup {
  /** The layers that create these channels (Dense, Conv2D, ...): their `units`/`filters` shrink. */
  producers: string[];
  /** Every layer output the channels occupy. */
  tensors: string[];
  channels: Channel[];
  /** Why the group cannot be pruned (naming the layer responsible), or undefined. */
  fixed?: string;
}
