import { distillStage } from './distill/distill.js';
import { evaluateStage } from './evaluate/evaluate.js';
import { exportStage } from './export/export.js';
import { finetuneStage } from './finetune/finetune.js';
import { pruneStage } from './prune/prune.js';
import { quantizeStage } from './quantize/quantize.js';
import { StageRegistry } from './registry.js';
import { trainStage } from './train/train.js';

/** A registry holding condense's built-in stage types. */
export function builtinStages(): StageRegistry {
  return new StageRegistry()
    .register(trainStage)
    .register(finetuneStage)
    .register(pruneStage)
    .register(distillStage)
    .register(quantizeStage)
    .register(evaluateStage)
    .register(exportStage);
}
