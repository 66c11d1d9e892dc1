import type { JsonSchema } from '../stages/types.js';
import { definitionShapeProblem } from '../util/definition-shape.js';
import type { DataTask, Examples, Split } from './types.js';

/** What a dataset loader gets besides its recipe fields. */
export interface DatasetContext {
  /** The recipe seed: splits drawn from it are the same on every run. */
  seed: number;
  /** The recipe's directory. */
  dir: string;
  /** A path from the recipe, resolved against the recipe's directory (absolute paths stay). */
  resolve(path: string): string;
  /**
   * The recipe's `task` (default classification). For `regression` a loader reads labels as
   * numbers into a Float32Array `y` and reports `numClasses: 1`; a loader with class labels only
   * may ignore it (loading then fails with a message naming the dataset).
   */
  task?: DataTask;
}

/** What a loader returns: its examples already split, and text datasets' vocabulary. */
export interface LoadedData {
  train: Split;
  test: Split;
  /** Shape of one example, e.g. [28, 28, 1]. */
  inputShape: number[];
  /** As {@link Dataset.imageShape} (absent: none, unless `inputShape` is [h, w, c]). */
  imageShape?: [number, number, number];
  numClasses: number;
  /** Class names by index, when the labels were strings or folder names. */
  classes?: string[];
  /** Text datasets: the vocabulary, ids 0 and 1 being '<pad>' and '<unk>'. */
  vocabulary?: string[];
  vocabSize?: number;
}

/**
 * A dataset type: the recipe's `data.dataset` value, its fields and its loader. Built-in datasets
 * and plugins' datasets are registered alike (see {@link StageRegistry.registerDataset}).
 */
export interface DatasetDefinition<S = Record<string, unknown>> {
  /** The value of `data.dataset`; lowercase, `[a-z][a-z0-9._-]*`. */
  name: string;
  /** One line, shown in the schema and the reference. */
  description: string;
  /**
   * JSON Schema (draft-07) of each field besides `dataset`, `testFraction` and `limit` (which every
   * dataset has); `default`s are filled in before `load` sees them.
   */
  properties: Record<string, JsonSchema>;
  /** Fields the recipe must give. */
  required?: string[];
  /** Other schema keywords of the branch (e.g. `dependencies`), strict-Ajv valid. */
  extra?: JsonSchema;
  /** Raised whenever the loader's output changes: it enters the data fingerprint. */
  version: number;
  /**
   * Loads and splits the data. User mistakes (a missing or broken file) throw UsageError naming
   * the file (and `file:line:` for text formats). Spec: the resolved `data` mapping.
   */
  load(spec: S & { dataset: string; testFraction: number; limit?: number }, ctx: DatasetContext): LoadedData;
}

/** Something that finds dataset types by name: the stage registry, or the built-ins alone. */
export interface DatasetLookup {
  dataset(name: string): DatasetDefinition | undefined;
  datasets(): DatasetDefinition[];
  /** The sha256 of the plugin that registered a dataset type, if one did. */
  datasetOrigin?(name: string): string | undefined;
}

/** Fields every dataset takes. */
export const COMMON_DATA_PROPERTIES: Record<string, JsonSchema> = {
  testFraction: {
    type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.2,
    description: 'Fraction held out for evaluation, drawn with the seed (default 0.2).',
  },
  limit: { type: 'integer', minimum: 2, description: 'Cap on examples used (train + test), for quick runs.' },
};

/** Fields a plugin's dataset may not define in `properties` (condense adds them). */
export const RESERVED_DATA_FIELDS = ['dataset', ...Object.keys(COMMON_DATA_PROPERTIES)];

/** The schema branch of one dataset type, selected by `dataset: { const: name }`. */
export function datasetSchema(definition: DatasetDefinition): JsonSchema {
  return {
    type: 'object',
    description: definition.description,
    properties: {
      dataset: { const: definition.name, description: definition.description.split(/(?<=\.)\s/)[0] },
      ...COMMON_DATA_PROPERTIES,
      ...definition.properties,
    },
    required: ['dataset', ...(definition.required ?? [])],
    ...definition.extra,
    additionalProperties: false,
  };
}

/** What is wrong with the shape of a dataset definition (from a plugin), or undefined. */
export function datasetDefinitionProblem(d: unknown): string | undefined {
  return definitionShapeProblem(d, {
    id: { field: 'name', example: 'parquet' }, fn: { field: 'load', shown: 'load(spec, ctx)' },
    reserved: RESERVED_DATA_FIELDS, noun: 'dataset', versionWhen: 'the loader returns something different',
  });
}

/** Examples as a {@link LoadedData} once split. */
export function loadedFrom(examples: Examples, split: { train: Split; test: Split }): LoadedData {
  return {
    ...split,
    inputShape: examples.inputShape,
    numClasses: examples.numClasses,
    ...(examples.imageShape ? { imageShape: examples.imageShape } : {}),
    ...(examples.classes ? { classes: examples.classes } : {}),
  };
}
