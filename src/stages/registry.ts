import { BUILTIN_DATASETS } from '../data/builtin.js';
import type { DatasetDefinition } from '../data/registry.js';
import { BUILTIN_STATE_CODECS } from '../state/codecs.js';
import type { StateCodec } from '../types/model-state.js';
import type { JsonSchema, StageDefinition } from './types.js';

/**
 * Stage types by name, and the codecs of the kinds of model state they produce. An instance, not
 * a global, so tests and plugins make their own. Masks and quantization are always registered.
 * It also holds the dataset types (`data.dataset`), the built-in ones always registered.
 */
export class StageRegistry {
  private readonly definitions = new Map<string, StageDefinition>();
  private readonly datasetTypes = new Map<string, DatasetDefinition>(BUILTIN_DATASETS.map((d) => [d.name, d]));
  private readonly datasetOrigins = new Map<string, string>();
  private readonly codecs = new Map<string, StateCodec>(BUILTIN_STATE_CODECS.map((c) => [c.kind, c]));
  private readonly origins = new Map<string, string>();

  /**
   * Adds a stage type; a second registration of the same type is an error. `origin` identifies
   * the code that defines it beyond its version (a plugin file's sha256): it enters fingerprints.
   */
  register<P>(definition: StageDefinition<P>, options: { origin?: string } = {}): this {
    if (this.definitions.has(definition.type)) {
      throw new Error(`stage type "${definition.type}" is already registered`);
    }
    if (!Number.isInteger(definition.version) || definition.version < 1) {
      throw new Error(`stage type "${definition.type}" needs a \`version\` (an integer ≥ 1) that enters its fingerprint`);
    }
    for (const codec of definition.stateCodecs ?? []) {
      if (this.codecs.get(codec.kind) !== codec) this.registerStateCodec(codec);
    }
    this.definitions.set(definition.type, definition as unknown as StageDefinition);
    if (options.origin) this.origins.set(definition.type, options.origin);
    return this;
  }

  /** The origin a type was registered with (a plugin's sha256), if any. */
  originOf(type: string): string | undefined {
    return this.origins.get(type);
  }

  /** An independent copy: registering on it leaves this registry as it is. */
  clone(): StageRegistry {
    const copy = new StageRegistry();
    for (const [type, definition] of this.definitions) copy.register(definition, { origin: this.origins.get(type) });
    for (const codec of this.codecs.values()) if (!copy.codecs.has(codec.kind)) copy.registerStateCodec(codec);
    for (const [name, definition] of this.datasetTypes) {
      if (!copy.datasetTypes.has(name)) copy.registerDataset(definition, { origin: this.datasetOrigins.get(name) });
    }
    return copy;
  }

  /**
   * Adds a dataset type (`data.dataset: <name>`); a name registered twice is an error. `origin`
   * (a plugin file's sha256) enters the data fingerprint.
   */
  registerDataset<S>(definition: DatasetDefinition<S>, options: { origin?: string } = {}): this {
    if (this.datasetTypes.has(definition.name)) throw new Error(`dataset "${definition.name}" is already registered`);
    this.datasetTypes.set(definition.name, definition as unknown as DatasetDefinition);
    if (options.origin) this.datasetOrigins.set(definition.name, options.origin);
    return this;
  }

  /** The dataset type of a name. */
  dataset(name: string): DatasetDefinition | undefined {
    return this.datasetTypes.get(name);
  }

  /** The origin a dataset type was registered with (a plugin's sha256), if any. */
  datasetOrigin(name: string): string | undefined {
    return this.datasetOrigins.get(name);
  }

  /** Every dataset type, built-ins first, in registration order. */
  datasets(): DatasetDefinition[] {
    return [...this.datasetTypes.values()];
  }

  /** Adds the codec of a kind of model state; `model` and a kind registered twice are errors. */
  registerStateCodec<T>(codec: StateCodec<T>): this {
    if (codec.kind === 'model' || this.codecs.has(codec.kind)) {
      throw new Error(`model state kind "${codec.kind}" is ${codec.kind === 'model' ? 'reserved' : 'already registered'}`);
    }
    this.codecs.set(codec.kind, codec as StateCodec);
    return this;
  }

  /** The codec of a kind of model state. */
  stateCodec(kind: string): StateCodec | undefined {
    return this.codecs.get(kind);
  }

  /** Every registered state codec, in registration order. */
  stateCodecs(): StateCodec[] {
    return [...this.codecs.values()];
  }

  get(type: string): StageDefinition | undefined {
    return this.definitions.get(type);
  }

  /** Registered type names, in registration order. */
  types(): string[] {
    return [...this.definitions.keys()];
  }

  /** The JSON Schema of one stage entry of `stages`, one branch per type, selected by `type`. */
  stageSchema(): JsonSchema {
    const branches = [...this.definitions.values()].map((d) => ({
      type: 'object',
      description: d.description,
      properties: {
        name: {
          type: 'string',
          pattern: '^[a-z0-9][a-z0-9._-]*$',
          description: `Unique name of the stage within the recipe (default: "${d.type}").`,
        },
        type: { const: d.type, description: d.description },
        ...d.properties,
      },
      required: ['type', ...(d.required ?? [])],
      additionalProperties: false,
    }));
    return {
      type: 'object',
      description: 'One stage: `type` selects which fields it takes.',
      discriminator: { propertyName: 'type' },
      required: ['type'],
      oneOf: branches,
    };
  }
}
