/** Exit codes of the `condense` command (docs/recipe-language.md lists them). */
export const EXIT = {
  ok: 0,
  stageFailed: 1,
  usage: 2,
  gateFailed: 3,
  /** `condense reproduce`: a metric of the rerun differs from the original run's. */
  notReproduced: 4,
  interrupted: 130,
} as const;

/** Base of every error condense raises on purpose. `exitCode` is what the CLI exits with. */
export class CondenseError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, exitCode: number, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/** A mistake in how condense was called (bad flag, missing file, unknown backend): exit 2. */
export class UsageError extends CondenseError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, EXIT.usage, options);
  }
}

/** What a model path must name; the default hint of {@link ModelFileError}. */
export const MODEL_FILE_HINT = 'model.path and a distill teacher name the model.json of a TF.js LayersModel '
  + '(saved by tf.LayersModel.save, or tensorflowjs_converter --output_format=tfjs_layers_model), with its weight files beside it';

/**
 * A model file (a model.json or one of its weight files) that cannot be loaded as a TF.js
 * LayersModel: exit 2. The message starts with the file, and with `:LINE:COL` when known.
 */
export class ModelFileError extends UsageError {
  readonly file: string;
  constructor(file: string, message: string, options: { hint?: string; cause?: unknown; line?: number; col?: number } = {}) {
    const where = options.line === undefined ? file : `${file}:${options.line}:${options.col ?? 1}`;
    super(`${where}: ${message}`, { hint: options.hint ?? MODEL_FILE_HINT, cause: options.cause });
    this.file = file;
  }
}

/** Where in which file a recipe problem sits. Lines and columns start at 1. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/** One problem found in a recipe, with its place and the recipe path it concerns. */
export interface RecipeProblem extends SourceLocation {
  /** JSON-pointer-like path inside the recipe, e.g. `/stages/1/sparsity`. */
  path: string;
  message: string;
  /** Schema keyword or check that found it, e.g. `additionalProperties`, `duplicate-stage`. */
  keyword: string;
  hint?: string;
  /** A few lines of the file around the problem, with a caret under it. */
  frame?: string;
}

/** One or more problems in a recipe, all reported at once: exit 2. */
export class RecipeError extends CondenseError {
  readonly problems: RecipeProblem[];
  constructor(problems: RecipeProblem[]) {
    super(problems.map(formatProblem).join('\n'), EXIT.usage);
    this.problems = problems;
  }
}

/** `FILE:LINE:COL: message [keyword]`, then the hint on its own line. */
export function formatProblem(p: RecipeProblem): string {
  const head = `${p.file}:${p.line}:${p.col}: ${p.message} [${p.keyword}]`;
  return p.hint ? `${head}\n  hint: ${p.hint}` : head;
}

/** A stage threw while running: exit 1, naming the stage. */
export class StageFailedError extends CondenseError {
  readonly stage: string;
  constructor(stage: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`stage "${stage}" failed: ${why}`, EXIT.stageFailed, { cause });
    this.stage = stage;
  }
}

/** The run was stopped by SIGINT/SIGTERM at a safe point: exit 130. */
export class InterruptedError extends CondenseError {
  constructor(signal: string) {
    super(`interrupted by ${signal}; rerun with --resume to continue`, EXIT.interrupted);
  }
}
