import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import type { DataSpec } from '../recipe/types.js';
import type { JsonSchema } from '../stages/types.js';
import { BUILTIN_DATASETS } from './builtin.js';
import { datasetSchema } from './registry.js';
import type { DatasetLookup, LoadedData } from './registry.js';
import type { DataTask, Dataset, Split, Targets } from './types.js';

export type { DataTask, Dataset, Split, Targets } from './types.js';
export type { DatasetContext, DatasetDefinition, DatasetLookup, LoadedData } from './registry.js';

/** The built-in dataset types alone, for callers without a registry. */
export const BUILTIN_DATASET_LOOKUP: DatasetLookup = {
  dataset: (name) => BUILTIN_DATASETS.find((d) => d.name === name),
  datasets: () => [...BUILTIN_DATASETS],
};

/** One schema branch per built-in dataset, selected by `dataset`. */
export const DATASET_SCHEMAS: JsonSchema[] = BUILTIN_DATASETS.map(datasetSchema);

/**
 * Loads the dataset a recipe names and splits it with the seed.
 * @param baseDir directory that relative paths in `spec` are resolved against (the recipe's).
 * @param lookup the dataset types (a StageRegistry with plugins' datasets); default the built-ins.
 * @param task the recipe's `task`: for `regression` labels are read as numbers (one output unit).
 */
export function loadDataset(
  spec: DataSpec, seed: number, baseDir: string, lookup: DatasetLookup = BUILTIN_DATASET_LOOKUP, task: DataTask = 'classification',
): Dataset {
  const definition = lookup.dataset(String(spec.dataset));
  if (!definition) {
    throw new UsageError(`unknown dataset ${JSON.stringify(spec.dataset)}`, {
      hint: `data.dataset is one of: ${lookup.datasets().map((d) => d.name).join(', ')}`,
    });
  }
  const ctx = { seed, dir: baseDir, resolve: (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p)), task };
  const loaded = labelsChecked(definition.load(spec as Parameters<typeof definition.load>[0], ctx), definition.name, task);
  // LOADER_VERSION is the name the fingerprint has always hashed the version under; `task` only
  // when it is not the default, so classification fingerprints stay as they were.
  const origin = lookup.datasetOrigin?.(definition.name);
  const regression = task === 'regression' ? { task } : {};
  return datasetOf(spec.dataset, loaded, canonicalJson({ spec, seed, LOADER_VERSION: definition.version, ...(origin ? { origin } : {}), ...regression }));
}

/** The loaded data, once its labels are known to be what the task reads: numeric targets for regression, class indices otherwise. */
function labelsChecked(loaded: LoadedData, name: string, task: DataTask): LoadedData {
  const numeric = loaded.train.y instanceof Float32Array && loaded.test.y instanceof Float32Array;
  const indices = loaded.train.y instanceof Int32Array && loaded.test.y instanceof Int32Array;
  if (task === 'regression' && !numeric) {
    throw new UsageError(`dataset "${name}" gives class labels, but task: regression needs numeric targets`, {
      hint: 'use dataset: csv, npy or jsonl (their label is then read as a number), or remove task: regression',
    });
  }
  if (task !== 'regression' && !indices) {
    throw new UsageError(`dataset "${name}" gives numeric targets (a Float32Array y), but the task is classification`, {
      hint: 'set task: regression at the top of the recipe, or give class indices as an Int32Array',
    });
  }
  return task === 'regression' ? { ...loaded, numClasses: 1 } : loaded;
}

/** Arrays given to a run directly: `runRecipe(loaded, { data })`. */
export interface InMemoryData {
  train: { x: Float32Array | Uint8Array; y: Targets | ArrayLike<number>; scale?: number };
  test: { x: Float32Array | Uint8Array; y: Targets | ArrayLike<number>; scale?: number };
  /** Shape of one example; x holds `count × product(inputShape)` values. */
  inputShape: number[];
  /** Default: largest label + 1 (regression: 1). */
  numClasses?: number;
  /** `regression`: y holds the numbers to predict (kept as float32) instead of class indices. Default classification. */
  task?: DataTask;
  name?: string;
  vocabulary?: string[];
  vocabSize?: number;
}

/**
 * A Dataset from in-memory arrays (a complete Dataset is returned as it is). Its fingerprint
 * hashes the arrays, so different data reruns the stages that read it.
 */
export function datasetFromArrays(data: InMemoryData | Dataset): Dataset {
  if ('fingerprint' in data && typeof data.fingerprint === 'string') return data as Dataset;
  const featureSize = data.inputShape.reduce((a, b) => a * b, 1);
  const regression = (data as InMemoryData).task === 'regression';
  const split = (part: InMemoryData['train'], which: string): Split => {
    const y = regression ? (part.y instanceof Float32Array ? part.y : Float32Array.from(part.y))
      : part.y instanceof Int32Array ? part.y : Int32Array.from(part.y);
    if (!Number.isInteger(part.x.length / featureSize) || part.x.length / featureSize !== y.length) {
      throw new UsageError(`data.${which}: ${part.x.length} values are not ${y.length} examples of shape [${data.inputShape.join(', ')}]`);
    }
    return { x: part.x, y, count: y.length, ...(part.scale !== undefined ? { scale: part.scale } : {}) };
  };
  const train = split(data.train, 'train');
  const test = split(data.test, 'test');
  let largest = 0;
  for (const part of [train, test]) for (const label of part.y) largest = Math.max(largest, label);
  const numClasses = regression ? 1 : data.numClasses ?? Math.max(2, largest + 1);
  const loaded: LoadedData = { train, test, inputShape: data.inputShape, numClasses, vocabulary: data.vocabulary, vocabSize: data.vocabSize };
  return datasetOf(data.name ?? 'in-memory', loaded, canonicalJson({ inMemory: true, inputShape: data.inputShape, numClasses, ...(regression ? { task: 'regression' } : {}) }));
}

/** The Dataset of loaded splits; its fingerprint hashes `header` and every split's bytes. */
function datasetOf(name: string, loaded: LoadedData, header: string): Dataset {
  const bytes = (a: ArrayBufferView) => sha256(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const { train, test } = loaded;
  const scales = (train.scale ?? 1) !== 1 || (test.scale ?? 1) !== 1 ? canonicalJson([train.scale, test.scale]) : '';
  const fingerprint = sha256(header + bytes(train.x) + bytes(test.x) + bytes(train.y) + bytes(test.y) + scales);
  return {
    name,
    inputShape: loaded.inputShape,
    featureSize: loaded.inputShape.reduce((a, b) => a * b, 1),
    numClasses: loaded.numClasses,
    ...(loaded.imageShape ? { imageShape: loaded.imageShape } : {}),
    ...(loaded.classes ? { classes: loaded.classes } : {}),
    ...(loaded.vocabulary ? { vocabSize: loaded.vocabSize, vocabulary: loaded.vocabulary } : {}),
    train,
    test,
    fingerprint,
  };
}
