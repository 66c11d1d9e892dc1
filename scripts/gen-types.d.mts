// Types of scripts/gen-types.mjs, for TypeScript importers (test/recipe-generated.test.ts).

/** TypeScript declarations of the resolved recipe described by the recipe JSON Schema. */
export declare function recipeTypesSource(schema: Record<string, unknown>): string;
