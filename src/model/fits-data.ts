import type * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { ModelFileError } from '../errors.js';
import { isGraphModel } from './graph/editable.js';
import type { EditableGraphModel } from './graph/editable.js';
import { loadEditableGraphFromPath } from './graph/load.js';
import { isGraphModelJson } from './graph/topology.js';
import { loadModelFromPath } from './io.js';
import type { CondenseModel } from './kind.js';
import type { OutputOptions } from './outputs.js';
import { exampleShapeFor, formatShape, modelInputShape } from './shapes.js';

// A user's model file checked against the data before any stage runs, so that a model for
// other data is a usage error naming the file instead of a TF.js shape error inside a stage.

/** What {@link checkModelFitsData} needs to know of the data. */
export interface DataShape {
  name: string;
  inputShape: number[];
  numClasses: number;
}

/**
 * Checks that a model loaded from `file` can take the data's examples and predict its classes,
 * so a model for other data is a usage error before any stage runs instead of a TF.js shape
 * error inside one. Its input shape must hold as many values as an example (examples are
 * reshaped to it); unknown (null) dimensions match anything. Its output must have one unit per
 * class, one unit for two classes (binary) or, for `task: regression`, one unit.
 */
export function checkModelFitsData(model: CondenseModel, data: DataShape, file: string, options: OutputOptions = {}): void {
  const regression = options.task === 'regression';
  const ends = regression ? 'one output value' : `${data.numClasses} class scores${data.numClasses === 2 ? ' (or one binary unit)' : ''}`;
  const hint = `the model must take inputs of ${count(data.inputShape)} values (shape ${formatShape(data.inputShape)} or any shape of that size) and end in ${ends}, like the dataset ${data.name}`;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelFileError(file, `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; condense needs one of each`, { hint });
  }
  const input = modelInputShape(model);
  const example = exampleShapeFor(input, data.inputShape);
  if (!example) {
    const values = input.every((d) => d !== null) ? `${count(input as number[])} values against ${count(data.inputShape)}` : 'no reshape fits';
    throw new ModelFileError(file, `the model takes inputs of shape ${formatShape(input)}, but ${data.name} examples have shape `
      + `${formatShape(data.inputShape)} (${values})`, { hint });
  }
  // A graph's output shape is often unknown until it runs.
  if (isGraphModel(model)) learnOutputShape(model, example, file);
  const output = model.outputs[0]!.shape;
  const units = output[1];
  const unitsFit = units === null || (regression ? units === 1 : units === data.numClasses || (units === 1 && data.numClasses === 2));
  if (output.length !== 2 || !unitsFit) {
    const has = regression ? 'is a regression task (one output value)' : `has ${data.numClasses} classes`;
    throw new ModelFileError(file, `the model outputs shape [${output.map((d) => d ?? '?')}], but ${data.name} ${has}`, { hint });
  }
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function learnOutputShape(model: EditableGraphModel, example: number[], file: string): void {
  try {
    model.learnOutputShape(example);
  } catch (err) {
    throw new ModelFileError(file, `the graph model fails on an example of shape ${formatShape(example)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Loads a user's LayersModel file and checks it fits the data ({@link checkModelFitsData}); usage errors name the file. */
export async function loadModelFor(file: string, data: DataShape, options: OutputOptions = {}): Promise<tf.LayersModel> {
  return fitsData(await loadModelFromPath(file), data, file, options);
}

/**
 * Loads the model a recipe's `model.path` names, a LayersModel or (by its model.json) a
 * GraphModel, and checks it fits the data.
 */
export async function loadAnyModelFor(file: string, data: DataShape, options: OutputOptions = {}): Promise<CondenseModel> {
  const graph = isGraphModelJson(readJsonQuietly(file));
  return fitsData(graph ? loadEditableGraphFromPath(file) : await loadModelFromPath(file), data, file, options);
}

/** The parsed JSON of a file, or undefined when it cannot be read or parsed (loading then says why). */
function readJsonQuietly(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

function fitsData<M extends CondenseModel>(model: M, data: DataShape, file: string, options: OutputOptions): M {
  try {
    checkModelFitsData(model, data, file, options);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
