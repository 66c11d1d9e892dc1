import type { QuantizationSpec } from '../compress/quantize.js';
import { loadModelFromFiles, modelFiles } from '../model/io.js';
import type { ModelState, Metrics } from '../stages/types.js';
import { packFloat, unpackFloat } from '../util/float-pack.js';
import type { PackIndex } from '../util/float-pack.js';

/** What a stage checkpoint records besides the model. */
export interface StageRecord {
  stage: string;
  type: string;
  fingerprint: string;
  /** The stage's resolved fields, to tell what changed when it reruns. */
  params: Record<string, unknown>;
  seconds: number;
  metrics: Metrics;
  history: Array<Record<string, number>>;
}

interface StateJson extends StageRecord {
  masks: PackIndex;
  quantization: Record<string, QuantizationSpec>;
}

/** A stage's output as checkpoint files: the float32 model, masks, quantization and its record. */
export async function encodeStageOutput(state: ModelState, record: StageRecord, artifacts?: Map<string, Uint8Array>): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const [name, bytes] of await modelFiles(state.model)) files.set(`model/${name}`, bytes);
  const masks = packFloat(state.masks);
  files.set('masks.bin', masks.bytes);
  const json: StateJson = {
    ...record,
    masks: masks.index,
    quantization: Object.fromEntries(state.quantization),
  };
  files.set('state.json', new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n'));
  for (const [name, bytes] of artifacts ?? []) files.set(name, bytes);
  return files;
}

/** The record of a stage checkpoint, without loading its model. */
export function decodeStageRecord(files: Map<string, Uint8Array>): StageRecord {
  const { masks: _m, quantization: _q, ...record } = JSON.parse(new TextDecoder().decode(files.get('state.json'))) as StateJson;
  return record;
}

/** Rebuilds the model state a stage checkpoint holds. */
export async function decodeStageOutput(files: Map<string, Uint8Array>): Promise<ModelState> {
  const json = JSON.parse(new TextDecoder().decode(files.get('state.json'))) as StateJson;
  const model = new Map<string, Uint8Array>();
  for (const [name, bytes] of files) if (name.startsWith('model/')) model.set(name.slice('model/'.length), bytes);
  const masks = unpackFloat(json.masks, files.get('masks.bin')!);
  return {
    model: await loadModelFromFiles(model),
    masks,
    quantization: new Map(Object.entries(json.quantization)),
  };
}
