import type * as tf from '@tensorflow/tfjs';
import type { QuantizationSpec } from '../compress/quantize.js';
import { UsageError } from '../errors.js';
import type { ModelState, StateCodec, StateParts, TrainingConstraint } from '../types/model-state.js';
import { packFloat, unpackFloat } from '../util/float-pack.js';
import type { PackIndex } from '../util/float-pack.js';

/** Pruning masks: one float32 buffer, indexed by weight key. */
export const masksCodec: StateCodec<Map<string, Float32Array>> = {
  kind: 'masks',
  empty: () => new Map(),
  encode(masks) {
    const { index, bytes } = packFloat(masks);
    return { json: index, bytes };
  },
  decode: (json, bytes) => unpackFloat(json as PackIndex, bytes ?? new Uint8Array()),
};

/** Quantization choices: the manifest entries by weight key, as JSON. */
export const quantizationCodec: StateCodec<Map<string, QuantizationSpec>> = {
  kind: 'quantization',
  empty: () => new Map(),
  // Trained or pruned weights are off the quantization grid they were snapped to.
  tiedToWeights: true,
  encode: (quantization) => ({ json: Object.fromEntries(quantization) }),
  decode: (json) => new Map(Object.entries(json as Record<string, QuantizationSpec>)),
};

/** The codecs of condense's own kinds of state. */
export const BUILTIN_STATE_CODECS: readonly StateCodec[] = [masksCodec as StateCodec, quantizationCodec as StateCodec];

/** Looks a codec up by kind. */
export type CodecLookup = (kind: string) => StateCodec | undefined;

/** The parts of a state (every field but the model), in a stable order of kinds. */
export function stateParts(state: ModelState): StateParts {
  const { model: _model, ...parts } = state;
  return parts as StateParts;
}

/**
 * Every part of a state as files under `prefix`: `<kind>.json` and, for kinds with a binary
 * payload, `<kind>.bin`. A kind without a codec cannot be persisted: that is a bug in the stage
 * (or plugin) that added it, so it throws.
 */
export function encodeParts(parts: StateParts, codecs: CodecLookup, prefix: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const kind of Object.keys(parts).sort()) {
    const codec = codecs(kind);
    if (!codec) throw new Error(`model state "${kind}" has no registered codec; register one with the stage that adds it`);
    const { json, bytes } = codec.encode(parts[kind]);
    files.set(`${prefix}${kind}.json`, new TextEncoder().encode(JSON.stringify(json) + '\n'));
    if (bytes) files.set(`${prefix}${kind}.bin`, bytes);
  }
  return files;
}

/** The inverse of {@link encodeParts}; kinds the files lack start empty. */
export function decodeParts(files: Map<string, Uint8Array>, codecs: CodecLookup, kinds: readonly string[], prefix: string): StateParts {
  const parts: Record<string, unknown> = {};
  const stored = [...files.keys()].filter((f) => f.startsWith(prefix) && f.endsWith('.json')).map((f) => f.slice(prefix.length, -'.json'.length));
  for (const kind of new Set([...kinds, ...stored])) {
    const codec = codecs(kind);
    if (!codec) {
      throw new UsageError(`a checkpoint holds model state "${kind}", which no registered codec reads`, {
        hint: 'list the plugin that adds it under `plugins:` (or rerun without the stage that made it)',
      });
    }
    const json = files.get(`${prefix}${kind}.json`);
    parts[kind] = json ? codec.decode(JSON.parse(new TextDecoder().decode(json)), files.get(`${prefix}${kind}.bin`)) : codec.empty();
  }
  return parts as StateParts;
}

/**
 * The state a stage hands on: its input with `changes` applied. Every kind the stage does not
 * touch (including kinds it does not know) is carried along unchanged.
 */
export function nextState(input: ModelState, changes: Partial<ModelState>): ModelState {
  return { ...input, ...changes } as ModelState;
}

/**
 * The state after a stage changed weight values: every kind tied to the values
 * ({@link StateCodec.tiedToWeights}: quantization, ...) released, then `changes` applied; other
 * kinds (masks, and kinds the stage does not know) carried along.
 */
export function weightsChanged(input: ModelState, codecs: readonly StateCodec[], changes: Partial<ModelState> = {}): ModelState {
  const released: Record<string, unknown> = {};
  for (const codec of codecs) if (codec.tiedToWeights && codec.kind in input) released[codec.kind] = codec.empty();
  return nextState(input, { ...released, ...changes });
}

/** A state for a freshly built or loaded model: every registered kind empty. */
export function freshState(model: ModelState['model'], codecs: readonly StateCodec[]): ModelState {
  const state: Record<string, unknown> = { model };
  for (const codec of codecs) state[codec.kind] = codec.empty();
  return state as ModelState;
}

/**
 * The constraints the kinds of a state put on training that keeps them (cluster ties), each with
 * its kind: a stage applying them all may hand those kinds on instead of releasing them.
 */
export function trainingConstraints(state: ModelState, codecs: readonly StateCodec[]): Array<TrainingConstraint & { kind: string }> {
  const out: Array<TrainingConstraint & { kind: string }> = [];
  for (const codec of codecs) {
    // Only a LayersModel trains; a GraphModel state has nothing to constrain.
    const model = state.model.getClassName() === 'GraphModel' ? undefined : state.model as tf.LayersModel;
    const constraint = model && codec.kind in state ? codec.constrainTraining?.(state[codec.kind], model) : undefined;
    if (constraint) out.push({ ...constraint, kind: codec.kind });
  }
  return out;
}
