// Leaf module: the records that stages, the runner and the reports exchange. It imports nothing
// but other leaf types, so every folder may depend on it without tying them together.
import type { QuantizationSpec } from '../compress/quantize.js';

/** Metric values by key (accuracy, loss, params, nonzeroParams, sparsity, sizeBytes, ...). */
export type Metrics = Record<string, number>;

/** How a stage ended up: computed now, reused from its checkpoint, or continued from one. */
export type StageStatus = 'ran' | 'cached' | 'resumed';

/** What a stage checkpoint records besides the model. */
export interface StageRecord {
  stage: string;
  type: string;
  fingerprint: string;
  /** The stage's resolved fields, to tell what changed when it reruns. */
  params: Record<string, unknown>;
  seconds: number;
  metrics: Metrics;
  history: Array<Record<string, number>>;
  /** What produced it besides its fields and inputs; absent in checkpoints of older condense versions. */
  provenance?: Provenance;
  /** What an evaluate stage with `browser:` measured in the browser. */
  browser?: BrowserResult;
  /** What a sensitivity stage measured and proposed. */
  sensitivity?: SensitivityResult;
}

/**
 * A sensitivity scan: each selected layer pruned alone (magnitude) at each level of a ladder, its
 * accuracy measured on a seeded sample of the training split (never the test split), and the
 * per-layer sparsities proposed from it, which a later `prune` takes with `sparsity: stage:<name>`.
 */
export interface SensitivityResult {
  /** Sparsity levels tried, ascending. */
  levels: number[];
  /** Training examples the accuracy was measured on. */
  examples: number;
  /** Accuracy of the unchanged model on them. */
  accuracy: number;
  /** Each scanned layer: its prunable weights and the accuracy lost (unchanged − pruned) at each level. */
  layers: Array<{ name: string; className: string; params: number; drops: number[] }>;
  /** What the proposal meets: an overall sparsity of the scanned weights, or a per-layer accuracy budget. */
  target: { sparsity: number } | { maxDrop: number };
  /** Proposed sparsity by layer name. */
  proposal: Record<string, number>;
  /** Overall sparsity of the scanned weights under the proposal. */
  sparsity: number;
  /** The accuracy drop (interpolated) every layer pruned alone to its proposed level stays within. */
  tolerance: number;
}

/** A TF.js backend in the browser: measured, or why it could not be. */
export type BrowserBackendResult = BrowserBackendMeasured | { status: 'unavailable'; reason: string };

/** One backend's figures in the browser, for the model as exported (model/ served over HTTP). */
export interface BrowserBackendMeasured {
  status: 'measured';
  /** Bytes of model.json and the weight files as received, compressed (Resource Timing encodedBodySize, headers excluded). */
  transferBytes: number;
  /** The same files decoded: the exported sizeBytes. */
  decodedBytes: number;
  /** Content-Encoding the page negotiated: br, gzip or identity. */
  encoding: string;
  /** tf.loadLayersModel over HTTP: fetch, parse, weights to tensors (ms). */
  loadMs: number;
  /** The first batch-1 prediction after loading, shader compilation or wasm warm-up included (ms). */
  firstMs: number;
  /** Median milliseconds of one predict call (read back) by batch size, e.g. `{"1": 0.4, "32": 2.1}`. */
  latencyMs: Record<string, number>;
  /** 90th-percentile milliseconds by batch size. */
  p90Ms: Record<string, number>;
  /** Bytes of tensors the loaded model holds (tf.memory().numBytes after load, less before). */
  memoryBytes: number;
  /** Fraction of the test slice whose top-1 class in the browser is the one condense predicts in Node (classifiers). */
  agreement?: number;
  /** Largest absolute difference between the browser's outputs and Node's on the test slice. */
  maxAbsDiff: number;
  /** Test examples compared. */
  examples: number;
  /** wasm: `simd`, `threads`; webgl: `renderer`, `software` (true on SwiftShader). */
  details?: Record<string, string | number | boolean>;
}

/** What a browser evaluation measured: the browser, and each backend asked for. */
export interface BrowserResult {
  /** The browser and its version, e.g. `Chromium 156.0.8078.114`; absent when it was skipped. */
  engine?: string;
  backends: Record<string, BrowserBackendResult>;
  /** Why nothing was measured (`optional: true` and no browser): recorded as a warning in the report. */
  skipped?: string;
}

/**
 * What produced a stage's result besides its recipe fields and inputs: condense's version, the
 * stage code's own version and the exact backend build. Part of the fingerprint, and recorded in
 * each checkpoint so that a plan can say which of them changed.
 */
export interface Provenance {
  condense: string;
  stageVersion: string;
  /** The backend build identifier (for native: its BLAS and the compile flags that change numbers). */
  backend: string;
  /** sha256 of the plugin module that defines the stage type, for plugin stages. */
  plugin?: string;
}

/** One stage's outcome as the report lists it. */
export interface StageOutcome extends StageRecord {
  status: StageStatus;
}

/** One quality gate checked against a final metric, or (accuracyDrop, sizeRatio) against the baseline. */
export interface GateResult {
  metric: string;
  min?: number;
  max?: number;
  value: number | null;
  passed: boolean;
  /** For a relative gate: the stage whose model it compares with (the first stage). */
  baseline?: string;
}

/** Size of a stage's model as it would be exported then (model.json + weights, its quantization applied). */
export interface ExportedSize {
  sizeBytes: number;
  gzipBytes: number;
}

/** One stage in report.json. */
export interface ReportStage {
  name: string;
  type: string;
  status: string;
  seconds: number;
  metrics: Metrics;
  history: Array<Record<string, number>>;
  exported?: ExportedSize;
  browser?: BrowserResult;
  sensitivity?: SensitivityResult;
  /** A distill stage's teacher, when it is an earlier stage of the run (`teacher: stage:<name>`): that stage's name. */
  teacher?: string;
}

/** The {@link Baseline.stage} of a baseline that is the model as given (`model.path`), before any stage. */
export const INPUT_BASELINE = 'input';

/**
 * What the final model is compared with: the model as given (`model.path`: stage `input`), or for
 * a builtin, which starts untrained, the first stage's model.
 */
export interface Baseline {
  /** The first stage's name, or {@link INPUT_BASELINE}. */
  stage: string;
  /** Its metrics; sizeBytes and gzipBytes are those of its float32 export. */
  metrics: Metrics;
}

/** Final metrics relative to the baseline; the relative gates bound these. */
export interface RelativeMetrics {
  /** baseline accuracy − final accuracy (positive: accuracy was lost). */
  accuracyDrop?: number;
  /** final sizeBytes / float32 sizeBytes of the baseline model. */
  sizeRatio?: number;
  /** What a browser downloads of the final model (the smaller of brotliBytes and gzipBytes) / float32 sizeBytes of the baseline model. */
  downloadRatio?: number;
  /** final macs / baseline macs (LayersModels: both measured). */
  macsRatio?: number;
}

/** How far a quantized weight's stored values are from its float32 ones (chosen by the quantize stage). */
export interface QuantizationError {
  /** Root-mean-square error, in the weight's units. */
  rmse: number;
  /** Largest absolute error. */
  maxAbs: number;
  /** rmse / RMS of the float32 values (0 for an all-zero tensor). */
  relative: number;
  /** Stored quantized, this weight makes the download larger than float32 (its manifest entry outweighs the bytes saved). */
  larger?: true;
  /** Why the quantize stage left it float32: quantized it would be `larger`, or its `error` passed `maxRelativeError`. */
  keptFloat?: 'larger' | 'error';
}

/** One weight of the final model as exported. */
export interface WeightStats {
  /** The weight's key: its full path, e.g. `dense1/kernel`, `encoder/dense1/kernel` inside a nested model. */
  key: string;
  shape: number[];
  params: number;
  nonzeroParams: number;
  /** Fraction of this weight's values that are zero. */
  sparsity: number;
  /** dtype as stored in the weight file: float32, int32, or the quantized uint8 / uint16 / float16. */
  dtype: string;
  /** The manifest's quantization entry, for quantized weights. */
  quantization?: QuantizationSpec;
  /** Its reconstruction error, for weights a quantize stage stored quantized. */
  quantizationError?: QuantizationError;
  /** Bytes of this weight in the weight shards. */
  bytes: number;
}

/** A layer of the final model with its weights (layers without weights are left out). */
export interface LayerStats {
  name: string;
  className: string;
  /** Multiply-accumulates per example (Dense, convolutions); absent for layers macs.ts does not count. */
  macs?: number;
  weights: WeightStats[];
}

/** How a run ended: every stage done, a stage failed, or stopped by a signal (SIGINT/SIGTERM). */
export type RunStatus = 'complete' | 'failed' | 'interrupted';

/** Why a run that did not complete stopped, and what it did not get to. */
export interface RunFailure {
  /** The stage that failed or was running when the signal came; absent when it stopped between stages. */
  stage?: string;
  /** The error as the CLI printed it. */
  message: string;
  /** Stages of the recipe that did not finish (the failed one first), in recipe order. */
  notRun: string[];
}

/** report.json: the shape schemas/report.schema.json describes. */
export interface Report {
  /**
   * `complete`, or `failed` / `interrupted` for a run that stopped: then `stages` holds the
   * stages that finished, `final` the last finished stage's metrics (no final model was written)
   * and `gates` is empty (not checked). Absent in reports of older condense versions: complete.
   */
  status?: RunStatus;
  /** For a run that did not complete: why, and which stages did not finish. */
  failure?: RunFailure;
  name: string;
  backend: string;
  backendVersion: string;
  seed: number;
  recipeHash: string;
  stages: ReportStage[];
  baseline?: Baseline;
  /**
   * `browser`: the browser figures of the final model, from the last stage that measured them when
   * no stage after it changed the model.
   */
  final: { metrics: Metrics; relative?: RelativeMetrics; layers?: LayerStats[]; browser?: BrowserResult };
  gates: GateResult[];
  /** What the run could not do but did not fail for (an optional browser evaluation without a browser). */
  warnings?: string[];
  /** Seconds for the whole run, cached stages included. */
  seconds: number;
}
