import { cmudictStressDataset } from './cmudict-stress.js';
import { csvDataset } from './csv.js';
import { npyDataset } from './npy.js';
import { idxDataset } from './idx.js';
import { imagesDataset } from './images.js';
import { jsonlDataset } from './jsonl.js';
import { mnistDataset } from './mnist.js';
import type { DatasetDefinition } from './registry.js';
import { spamAssassinDataset } from './spam-assassin.js';

/** The dataset types condense ships, in the order the schema lists them. */
export const BUILTIN_DATASETS: DatasetDefinition[] = [
  mnistDataset, idxDataset, spamAssassinDataset, cmudictStressDataset, csvDataset, npyDataset, imagesDataset, jsonlDataset,
] as DatasetDefinition[];
