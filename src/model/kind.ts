import type * as tf from '@tensorflow/tfjs';
import type { EditableGraphModel } from './graph/editable.js';

/**
 * The models condense compresses: a LayersModel (trained, pruned, distilled, exported as a
 * layers model), or a GraphModel with editable weights (only stages that need no training;
 * exported as a graph model). Narrow with `isGraphModel` (src/model/graph/editable.ts).
 */
export type CondenseModel = tf.LayersModel | EditableGraphModel;

/**
 * The model as a LayersModel, for stages that train or rebuild it. A GraphModel reaching one is
 * refused before anything runs (a stage's `graphModels` rule), so here it is condense's bug.
 */
export function layersModelOf(model: CondenseModel, stage: string): tf.LayersModel {
  if (model.getClassName() === 'GraphModel') throw new Error(`internal error: stage "${stage}" received a GraphModel, which it cannot train or rebuild`);
  return model as tf.LayersModel;
}
