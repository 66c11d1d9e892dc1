import { BACKEND_NAMES } from '../backend/names.js';
import type { StageRegistry } from '../stages/registry.js';
import type { JsonSchema } from '../stages/types.js';
import { datasetSchema } from '../data/registry.js';

/** The schema's `$id`; its version moves with the recipe language version. */
export const RECIPE_SCHEMA_ID = 'https://condense.dev/schemas/recipe-v1.schema.json';

const gate: JsonSchema = {
  type: 'object',
  description: 'Bounds on one metric (inclusive); give min, max or both.',
  properties: {
    min: { type: 'number', description: 'The metric must be at least this.' },
    max: { type: 'number', description: 'The metric must be at most this.' },
  },
  additionalProperties: false,
};

/** Schema of `model`: exactly one of `builtin` and `path`. */
export const MODEL_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'The model to compress: a builtin architecture or a TF.js LayersModel on disk.',
  properties: {
    builtin: {
      enum: ['mlp', 'lenet5', 'textmlp', 'bert', 'mobilenet'],
      description: 'Builtin architecture: mlp (dense layers), lenet5 (conv net), textmlp (token ids: embedding → '
        + 'global average pooling → dense layers), bert (token ids: a BERT-style self-attention encoder) or mobilenet (images: '
        + 'residual depthwise-separable blocks with BatchNormalization, for structured pruning). textmlp and '
        + 'bert need a text dataset such as spam-assassin, whose vocabSize sizes the embedding.',
    },
    hidden: {
      type: 'array',
      items: { type: 'integer', minimum: 1, maximum: 65536 },
      minItems: 1,
      maxItems: 16,
      description: 'Hidden layer sizes of mlp (default [300, 100]), textmlp (default [64]) and lenet5 (its dense layers after the convolutions, default [120, 84]).',
    },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'mlp: rate of a Dropout layer after each hidden layer (dropout1, …), active only while training (default: none).' },
    filters: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 4096 }, minItems: 2, maxItems: 2, description: 'lenet5: filters of its two 5×5 convolutions (default [6, 16]; the Caffe LeNet-5 of Deep Compression: [20, 50]).' },
    padding: { enum: ['same', 'valid'], description: 'lenet5: padding of the first convolution (default same; the Caffe LeNet-5: valid).' },
    dim: { type: 'integer', minimum: 1, maximum: 4096, description: 'Embedding width of textmlp and model width of bert (default 64); width of mobilenet\'s first stage (default 32, the second is twice).' },
    layers: { type: 'integer', minimum: 1, maximum: 24, description: 'Encoder blocks of bert (default 2); residual blocks per stage of mobilenet (default 2).' },
    heads: { type: 'integer', minimum: 1, maximum: 64, description: 'Attention heads of bert (default 2); dim must be a multiple of it.' },
    positions: {
      enum: ['conv', 'learned'],
      description: 'How bert sees token order: conv (default: a width-3 convolution over the embeddings, stock layers only; '
        + 'relative order within 3 tokens, absolute position only through the edges) or learned (BERT\'s trained table of '
        + 'absolute position embeddings, a PositionEmbedding layer).',
    },
    path: { type: 'string', minLength: 1, description: 'model.json of a TF.js LayersModel, relative to the recipe.' },
    outputs: {
      enum: ['probabilities', 'logits'],
      description: 'What the model\'s output holds (default: detected from its last layer: softmax or sigmoid = probabilities, '
        + 'anything else = logits). Losses and distillation take logits; set this when the detection is wrong.',
    },
  },
  additionalProperties: false,
};

/** `remove` on a stage: a merge directive of `extends`, stripped before validation of the merged recipe. */
const REMOVE_DIRECTIVE: JsonSchema = {
  type: 'boolean',
  description: 'Merge directive: `remove: true` drops the stage of this name inherited through `extends`.',
};

/**
 * The registry's stage schema as an item of `stages`: the `remove` merge directive added to every
 * branch, and the top-level `required` dropped. Every branch already requires `type` (which is
 * what ajv's discriminator needs), and strict mode refuses a `required` naming a property that the
 * same schema object does not declare.
 */
function stageItem(stage: JsonSchema): JsonSchema {
  const { required: _required, ...rest } = stage;
  const branches = (stage.oneOf as JsonSchema[] | undefined) ?? [];
  return {
    ...rest,
    oneOf: branches.map((b) => ({ ...b, properties: { ...(b.properties as JsonSchema), remove: REMOVE_DIRECTIVE } })),
  };
}

/** Schema of `plugins`: modules whose stage types the recipe uses. */
const PLUGINS_SCHEMA: JsonSchema = {
  type: 'array',
  items: { type: 'string', minLength: 1 },
  description: 'Modules that add stage types (see docs/plugins.md): paths starting with ./ or ../, relative to the file '
    + 'that lists them and inside the recipe\'s directory, or names of installed npm packages. Never URLs. A plugin is code '
    + 'run with your permissions; the run lock records each one\'s path and sha256.',
};

/** Builds the whole recipe schema from the registered stage and dataset types. */
export function buildRecipeSchema(registry: StageRegistry): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: RECIPE_SCHEMA_ID,
    title: 'condense recipe, version 1',
    description: 'A staged compression of a TensorFlow.js model. The language: docs/recipe-language.md; every field: docs/recipe-reference.md.',
    type: 'object',
    properties: {
      $schema: { type: 'string', description: 'Schema reference for editors; ignored by condense.' },
      version: { const: 1, description: 'Recipe language version. Only 1 exists.' },
      name: { type: 'string', pattern: '^[a-z0-9._-]+$', maxLength: 128, description: 'Names the run; [a-z0-9._-]+.' },
      description: { type: 'string', description: 'What the recipe does, for people.' },
      extends: {
        type: 'array',
        items: { type: 'string' },
        description: 'Presets (recipes/<name>.yaml) or relative paths merged under this recipe.',
      },
      plugins: PLUGINS_SCHEMA,
      seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 42, description: 'One seed drives init, shuffling and sampling (default 42).' },
      backend: { enum: [...BACKEND_NAMES], default: 'auto', description: 'Compute backend; auto picks the fastest that loads.' },
      vars: {
        type: 'object',
        description: 'Values referenced as ${vars.NAME}; settable with --set vars.NAME=VALUE.',
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      },
      data: {
        type: 'object',
        description: 'The dataset and its held-out split.',
        // Every branch requires `dataset`; see stageItem for why the top level does not.
        discriminator: { propertyName: 'dataset' },
        oneOf: registry.datasets().map(datasetSchema),
      },
      model: MODEL_SCHEMA,
      task: {
        enum: ['classification', 'regression'],
        description: 'classification (absent: the default): class labels, cross-entropy, accuracy. regression: numeric targets, '
          + 'mean squared error, and the metrics mae and rmse instead of accuracy.',
      },
      stages: { type: 'array', minItems: 1, items: stageItem(registry.stageSchema()), description: 'Stages, run in order.' },
      gates: {
        type: 'object',
        description: 'Quality gates, keyed by metric; an unmet gate exits 3 and is named in the output and every report. '
          + 'Absolute: accuracy, loss, mae, rmse (task: regression), params, nonzeroParams, sparsity, sizeBytes, gzipBytes, macs, latencyMs, latencyMs32 bound the final value. '
          + 'Relative to the first stage\'s model (the baseline): accuracyDrop = first-stage accuracy − final accuracy '
          + '(e.g. { max: 0.01 }); sizeRatio = final sizeBytes / float32 size of the first stage\'s model, i.e. the bytes of '
          + 'its checkpoint\'s model.json + unquantized weight files, exactly what an export before any quantization writes '
          + '(e.g. { max: 0.1 }); downloadRatio = the smaller of final brotliBytes and gzipBytes / that same float32 size '
          + '(e.g. { max: 0.025 } for 40× below float32); macsRatio = final macs / the baseline\'s macs (e.g. { max: 0.5 }).',
        additionalProperties: gate,
      },
    },
    required: ['version', 'name', 'data', 'model', 'stages'],
    additionalProperties: false,
  };
}
