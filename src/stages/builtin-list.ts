// The built-in stage types, one line each: adding a stage type is its folder and a line here.
// (The registry takes them in this module's export order, which ECMAScript sorts by name.)
export { clusterStage } from './cluster/cluster.js';
export { distillStage } from './distill/distill.js';
export { evaluateStage } from './evaluate/evaluate.js';
export { exportStage } from './export/export.js';
export { finetuneStage } from './finetune/finetune.js';
export { pruneStage } from './prune/prune.js';
export { quantizeStage } from './quantize/quantize.js';
export { sensitivityStage } from './sensitivity/sensitivity.js';
export { trainStage } from './train/train.js';
export { trimVocabularyStage } from './trim-vocabulary/trim-vocabulary.js';
