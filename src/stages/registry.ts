import type { JsonSchema, StageDefinition } from './types.js';

/** Stage types by name. An instance, not a global, so tests and plugins make their own. */
export class StageRegistry {
  private readonly definitions = new Map<string, StageDefinition>();

  /** Adds a stage type; a second registration of the same type is an error. */
  register<P>(definition: StageDefinition<P>): this {
    if (this.definitions.has(definition.type)) {
      throw new Error(`stage type "${definition.type}" is already registered`);
    }
    this.definitions.set(definition.type, definition as unknown as StageDefinition);
    return this;
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
