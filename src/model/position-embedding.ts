import * as tf from '@tensorflow/tfjs';

/** Constructor arguments of {@link PositionEmbedding}. */
export interface PositionEmbeddingArgs {
  name?: string;
  /** Seed of the initial table (uniform in ±0.05); irrelevant once weights are loaded. */
  seed?: number;
  trainable?: boolean;
}

/**
 * BERT's learned absolute position embeddings: adds a trained `[length, dim]` table to a
 * `[batch, length, dim]` input (position p gets row p). TF.js has no stock layer holding a
 * weight without an input to index it by, hence this layer.
 */
export class PositionEmbedding extends tf.layers.Layer {
  static className = 'PositionEmbedding';
  private table?: tf.LayerVariable;
  private readonly seed?: number;

  constructor(args: PositionEmbeddingArgs = {}) {
    super(args);
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [length, dim] = [shape[1], shape[2]];
    if (length == null || dim == null) throw new Error(`internal error: PositionEmbedding needs a fixed length and width, got [${shape.join(', ')}]`);
    this.table = this.addWeight('embeddings', [length, dim], 'float32',
      tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(Array.isArray(inputs) ? inputs[0]! : inputs, this.table!.read()));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}

let registered = false;

/** Registers the layer classes condense's builtins use, so their saved models deserialize. Idempotent. */
export function registerBuiltinLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(PositionEmbedding);
  registered = true;
}
