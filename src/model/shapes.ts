
// Examples keep the shape their loader gives them (Dataset.inputShape); a model may take another
// shape with the same number of values, and batches are then reshaped to the model's. Nothing
// here imports TF.js at run time.

/** `[28, 28, 1]`, or `[?, ?, 3]` for unknown dimensions. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => d ?? '?').join(', ')}]`;
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The shape one example must have for a model whose input shape (batch dimension excluded) is
 * `modelShape`, given examples of `dataShape`; undefined when none fits. Known dimensions must
 * agree in element count; unknown ones (null) take the data's dimension where the ranks agree,
 * or, when there is exactly one, the rest of the element count.
 */
export function exampleShapeFor(modelShape: readonly (number | null)[], dataShape: readonly number[]): number[] | undefined {
  const count = product(dataShape);
  const unknown = modelShape.filter((d) => d === null).length;
  if (unknown === 0) return product(modelShape as number[]) === count ? [...modelShape as number[]] : undefined;
  if (modelShape.length === dataShape.length && modelShape.every((d, i) => d === null || d === dataShape[i])) return [...dataShape];
  if (unknown > 1) return undefined;
  const known = product(modelShape.filter((d): d is number => d !== null));
  if (known === 0 || count % known !== 0) return undefined;
  return modelShape.map((d) => d ?? count / known);
}

/** What the shapes here read of a model (a LayersModel or a GraphModel): its inputs' shapes, batch first. */
export interface ModelWithInputs {
  readonly inputs: ReadonlyArray<{ readonly shape: readonly (number | null)[] }>;
}

/** The input shape of a model's single input, batch dimension excluded (null: unknown). */
export function modelInputShape(model: ModelWithInputs): (number | null)[] {
  return model.inputs[0]!.shape.slice(1);
}

/**
 * The shape batches for `model` have, for examples of `dataShape`: the model's own input shape
 * with unknown dimensions resolved ({@link exampleShapeFor}), or the data's shape when it does not
 * fit (the pre-run check refuses such a model before any stage runs).
 */
export function batchShapeFor(model: ModelWithInputs, dataShape: readonly number[]): number[] {
  return exampleShapeFor(modelInputShape(model), dataShape) ?? [...dataShape];
}
