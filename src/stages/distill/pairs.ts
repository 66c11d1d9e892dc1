import type * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../errors.js';
import type { JsonSchema } from '../types.js';

/** How a pair's two outputs are compared. */
export type MatchLoss = 'mse' | 'cosine';

/**
 * One quantity the student is pulled toward: a student layer's output against a teacher layer's
 * (or the mean of several teacher layers', e.g. heads averaged for a student with fewer heads).
 */
export interface Match {
  /** Where the pair came from, for messages: hidden, attention or mapping. */
  field: 'hidden' | 'attention' | 'mapping';
  teacher: string[];
  student: string;
  weight: number;
  loss: MatchLoss;
  /** Widths may differ (a learned projection maps the student's); attention maps must agree exactly. */
  project: boolean;
}

const LAYER_PAIR = (what: string, extra: Record<string, JsonSchema> = {}): JsonSchema => ({
  type: 'object',
  properties: {
    teacher: { type: 'string', minLength: 1, description: `A ${what} layer name of the teacher.` },
    student: { type: 'string', minLength: 1, description: `A ${what} layer name of the student.` },
    weight: { type: 'number', minimum: 0, maximum: 1000, default: 1, description: 'Weight of this pair\'s loss (default 1).' },
    ...extra,
  },
  required: ['teacher', 'student'],
  additionalProperties: false,
});

const LOSS_SCHEMA: JsonSchema = {
  enum: ['mse', 'cosine'], default: 'mse',
  description: 'mse (default: mean squared error, as TinyBERT) or cosine (mean of 1 − cosine similarity over positions, as DistilBERT).',
};

/** Schema of `hidden`. */
export const HIDDEN_SCHEMA: JsonSchema = {
  type: 'array', minItems: 1, maxItems: 16,
  description: 'Hidden-state distillation (as in TinyBERT and DistilBERT): each pair adds weight · the distance (mse or cosine) between '
    + 'a student layer\'s output and a teacher layer\'s output. Their shapes must agree except the last '
    + 'dimension; when widths differ, a learned linear projection (trained with the student, not exported) maps the student\'s.',
  items: LAYER_PAIR('', { loss: LOSS_SCHEMA }),
};

/** Schema of `attention`. */
export const ATTENTION_SCHEMA: JsonSchema = {
  type: 'array', minItems: 1, maxItems: 64,
  description: 'Attention-map distillation (as in TinyBERT): each pair adds weight · the mean squared error between the attention '
    + 'probabilities of a student head and of a teacher head (the outputs of bert\'s Softmax layers block<b>_head<h>_attention, '
    + '[length, length] each). Shapes must agree.',
  items: LAYER_PAIR('attention'),
};

/** Schema of `mapping`. */
export const MAPPING_SCHEMA: JsonSchema = {
  description: 'Layer mapping for bert teachers and students (as in TinyBERT): "uniform" pairs student block i with teacher block i·k '
    + '(k = teacher blocks / student blocks; 0-based: i·k + k − 1), and the embedding outputs, adding hidden pairs on each block\'s output '
    + '(through projections where widths differ) and attention pairs head by head (a student with fewer heads matches the mean of '
    + 'its group of teacher heads). The object form sets the weights (0 drops a kind) and the hidden loss.',
  oneOf: [
    { const: 'uniform' },
    {
      type: 'object',
      properties: {
        layers: { const: 'uniform', description: 'How blocks are paired: uniform.' },
        hidden: { type: 'number', minimum: 0, maximum: 1000, description: 'Weight of each block-output pair (default 1).' },
        attention: { type: 'number', minimum: 0, maximum: 1000, description: 'Weight of each attention-head pair (default 1).' },
        embeddings: { type: 'number', minimum: 0, maximum: 1000, description: 'Weight of the embedding-output pair (default 1).' },
        loss: { enum: ['mse', 'cosine'], description: 'Distance of the hidden pairs: mse (default) or cosine.' },
      },
      required: ['layers'],
      additionalProperties: false,
    },
  ],
};

/** The `mapping` field as the recipe gives it. */
export type MappingSpec = 'uniform' | { layers: 'uniform'; hidden?: number; attention?: number; embeddings?: number; loss?: MatchLoss };

/** The fields of a distill stage that name pairs. */
export interface PairFields {
  hidden?: Array<{ teacher: string; student: string; weight?: number; loss?: MatchLoss }>;
  attention?: Array<{ teacher: string; student: string; weight?: number }>;
  mapping?: MappingSpec;
}

/** Every pair the stage matches: the recipe's hidden and attention pairs, then those the mapping generates. */
export function resolveMatches(fields: PairFields, teacher: tf.LayersModel | undefined, student: tf.LayersModel): Match[] {
  const given: Match[] = [
    ...(fields.hidden ?? []).map((h): Match => ({ field: 'hidden', teacher: [h.teacher], student: h.student, weight: h.weight ?? 1, loss: h.loss ?? 'mse', project: true })),
    ...(fields.attention ?? []).map((a): Match => ({ field: 'attention', teacher: [a.teacher], student: a.student, weight: a.weight ?? 1, loss: 'mse', project: false })),
  ];
  if (!fields.mapping) return given;
  if (!teacher) throw new UsageError('distill.mapping needs a LayersModel teacher: a graph-model teacher has no layers to match');
  return [...given, ...uniformMatches(fields.mapping, bertShape(teacher, 'teacher'), bertShape(student, 'student'))];
}

/** Blocks and heads of a bert-built model, read from its layer names. */
export interface BertShape {
  blocks: number;
  heads: number;
  /** Per block, its attention layers in head order, where heads were pruned (numbers no longer 1…heads). */
  attentionLayers?: string[][];
}

/** The block and head counts of a bert builtin (layers block<b>_ffn_norm, block1_head<h>_attention), or a UsageError. */
export function bertShape(model: tf.LayersModel, role: string): BertShape {
  const names = model.layers.map((l) => l.name);
  const count = (pattern: RegExp) => names.filter((n) => pattern.test(n)).length;
  const blocks = count(/^block\d+_ffn_norm$/);
  const heads = count(/^block1_head\d+_attention$/);
  if (blocks === 0 || heads === 0 || !names.includes('embedding_norm')) {
    throw new UsageError(`distill.mapping: the ${role} is not a bert (no layers block<b>_ffn_norm, block1_head<h>_attention, embedding_norm)`, {
      hint: 'mapping pairs bert builtins\' layers; for other models list the pairs in hidden and attention',
    });
  }
  const attentionLayers = Array.from({ length: blocks }, (_, b) => names.filter((n) => new RegExp(`^block${b + 1}_head\\d+_attention$`).test(n))
    .sort((x, y) => headNumber(x) - headNumber(y)));
  return { blocks, heads, attentionLayers };
}

const headNumber = (name: string) => Number(/_head(\d+)_/.exec(name)![1]);

/** Block `b`'s attention layers in head order: as read from the model, else block<b>_head1…H_attention. */
function attentionLayersOf(shape: BertShape, b: number): string[] {
  return shape.attentionLayers?.[b - 1] ?? Array.from({ length: shape.heads }, (_, h) => `block${b}_head${h + 1}_attention`);
}

/** TinyBERT's uniform mapping: student block i ↔ teacher block i·k (1-based), heads by group, embeddings ↔ embeddings. */
export function uniformMatches(spec: MappingSpec, teacher: BertShape, student: BertShape): Match[] {
  const options = spec === 'uniform' ? { layers: 'uniform' as const } : spec;
  const k = teacher.blocks / student.blocks;
  if (!Number.isInteger(k)) {
    throw new UsageError(`distill.mapping: uniform needs the teacher's blocks (${teacher.blocks}) to be a multiple of the student's (${student.blocks})`);
  }
  const studentHeads = (i: number) => attentionLayersOf(student, i);
  const teacherHeads = (b: number) => attentionLayersOf(teacher, b);
  for (let i = 1; i <= student.blocks; i++) {
    const [t, s] = [teacherHeads(i * k).length, studentHeads(i).length];
    if (!Number.isInteger(t / s)) {
      throw new UsageError(`distill.mapping: the teacher's heads (${t} in block${i * k}) must be a multiple of the student's (${s} in block${i})`);
    }
  }
  const loss = options.loss ?? 'mse';
  const matches: Match[] = [];
  const add = (weight: number | undefined, m: Omit<Match, 'field' | 'weight' | 'loss'>, pairLoss: MatchLoss = loss) => {
    if ((weight ?? 1) > 0) matches.push({ field: 'mapping', weight: weight ?? 1, loss: pairLoss, ...m });
  };
  add(options.embeddings, { teacher: ['embedding_norm'], student: 'embedding_norm', project: true });
  for (let i = 1; i <= student.blocks; i++) {
    const t = i * k;
    add(options.hidden, { teacher: [`block${t}_ffn_norm`], student: `block${i}_ffn_norm`, project: true });
    const [own, theirs] = [studentHeads(i), teacherHeads(t)];
    const perHead = theirs.length / own.length;
    own.forEach((name, h) => add(options.attention, { teacher: theirs.slice(h * perHead, (h + 1) * perHead), student: name, project: false }, 'mse'));
  }
  return matches;
}
