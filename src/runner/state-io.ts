import { loadStateModel, modelFiles } from '../model/io.js';
import { decodeParts, encodeParts, stateParts } from '../state/codecs.js';
import type { CodecLookup } from '../state/codecs.js';
import type { ModelState } from '../types/model-state.js';
import type { StageRecord } from '../types/records.js';

export type { StageRecord } from '../types/records.js';

/** Where a checkpoint keeps the state's parts, one codec's files each. */
const STATE_PREFIX = 'state/';

/**
 * A stage's output as checkpoint files: the float32 model under `model/`, every kind of state
 * through its codec under `state/`, the stage's record as `record.json`, and its artifacts.
 */
export async function encodeStageOutput(state: ModelState, record: StageRecord, codecs: CodecLookup, artifacts?: Map<string, Uint8Array>): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const [name, bytes] of await modelFiles(state.model)) files.set(`model/${name}`, bytes);
  for (const [name, bytes] of encodeParts(stateParts(state), codecs, STATE_PREFIX)) files.set(name, bytes);
  files.set('record.json', new TextEncoder().encode(JSON.stringify(record, null, 2) + '\n'));
  for (const [name, bytes] of artifacts ?? []) files.set(name, bytes);
  return files;
}

/** The record of a stage checkpoint, without loading its model. */
export function decodeStageRecord(files: Map<string, Uint8Array>): StageRecord {
  const bytes = files.get('record.json');
  if (!bytes) throw new Error('no record.json (written by an older condense)');
  return JSON.parse(new TextDecoder().decode(bytes)) as StageRecord;
}

/**
 * Rebuilds the model state a stage checkpoint holds; `kinds` are those every state has, and
 * `exampleShape` the data's (a GraphModel's output shape is found on one).
 */
export async function decodeStageOutput(files: Map<string, Uint8Array>, codecs: CodecLookup, kinds: readonly string[], exampleShape: readonly number[]): Promise<ModelState> {
  const model = new Map<string, Uint8Array>();
  for (const [name, bytes] of files) if (name.startsWith('model/')) model.set(name.slice('model/'.length), bytes);
  return { model: await loadStateModel(model, exampleShape), ...decodeParts(files, codecs, kinds, STATE_PREFIX) } as ModelState;
}
