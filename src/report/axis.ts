// Axis scales of the report's charts: round ticks in the unit a chart shows, and bounds that the
// ticks cover, so that no value lies beyond the last labelled tick.

/** How an axis shows its values: plain numbers, fractions as percents, or bytes in B / KiB / MiB. */
export type AxisUnit = 'plain' | 'percent' | 'bytes';

/** An axis fitted to values: `ticks` run from `min` to `max`, `format` labels them in `unit`. */
export interface Axis {
  min: number;
  max: number;
  ticks: number[];
  format: (value: number) => string;
}

/** How {@link fitAxis} fits an axis. */
export interface AxisOptions {
  unit?: AxisUnit;
  /** Keep 0 in range (losses, sizes, rates). Default false. */
  zero?: boolean;
  /** Bounds the axis never goes past, e.g. [0, 1] for a fraction. */
  clamp?: [number, number];
  /** Whole-number ticks only (epochs). */
  integer?: boolean;
  /** About how many intervals; default 5. */
  count?: number;
}

const STEPS = [1, 2, 2.5, 5, 10];
const BYTE_UNITS: Array<[string, number]> = [['MiB', 1024 * 1024], ['KiB', 1024], ['B', 1]];

/** The smallest round step (1, 2, 2.5 or 5 × 10^k) that splits `span` into at most `count` intervals. */
export function niceStep(span: number, count = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return STEPS.map((f) => f * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
}

/** Multiples of a round step covering [lo, hi] (kept for callers that want ticks without an axis). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  return ticksBetween(lo, hi, niceStep(hi - lo, count), false);
}

function ticksBetween(lo: number, hi: number, step: number, outward: boolean): number[] {
  const first = (outward ? Math.floor(lo / step + 1e-9) : Math.ceil(lo / step - 1e-9)) * step;
  const last = (outward ? Math.ceil(hi / step - 1e-9) : Math.floor(hi / step + 1e-9)) * step;
  const ticks: number[] = [];
  for (let i = 0; first + i * step <= last + step * 1e-9; i++) ticks.push(Number((first + i * step).toPrecision(12)));
  return ticks;
}

/** The byte unit a chart of values up to `max` bytes shows, and its size in bytes. */
export function byteUnit(max: number): [string, number] {
  return BYTE_UNITS.find(([, size]) => max >= size) ?? BYTE_UNITS[2]!;
}

/** Decimals that show every multiple of `step` exactly (2.5 → 1, 0.05 → 2, 200 → 0). */
function decimalsFor(step: number): number {
  for (let d = 0; d < 12; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 12;
}

/**
 * An axis fitted to `values` in its unit: range padded when all values are equal, widened out to
 * the round ticks around it (so the largest value never passes the last tick), clamped to
 * `clamp`. Byte axes tick at round numbers of the unit they show (0.2 MiB, 250 KiB), not of bytes.
 */
export function fitAxis(values: number[], o: AxisOptions = {}): Axis {
  const unit = o.unit ?? 'plain';
  const finite = values.filter(Number.isFinite);
  let lo = Math.min(...finite, ...(o.zero ? [0] : []));
  let hi = Math.max(...finite, ...(o.zero ? [0] : []));
  if (finite.length === 0) [lo, hi] = [0, 1];
  if (hi === lo) {
    const pad = Math.abs(hi) * 0.1 || (unit === 'percent' ? 0.1 : 1);
    [lo, hi] = [lo - pad, hi + pad];
    if (o.zero && lo < 0 && finite.every((v) => v >= 0)) lo = 0;
  }
  if (o.clamp) [lo, hi] = [Math.max(lo, o.clamp[0]), Math.min(hi, o.clamp[1])];
  const [unitName, unitSize] = unit === 'bytes' ? byteUnit(Math.max(Math.abs(lo), Math.abs(hi))) : ['', 1];
  let step = niceStep((hi - lo) / unitSize, o.count) * unitSize;
  if (o.integer) step = Math.max(1, Math.round(step));
  const ticks = ticksBetween(lo, hi, step, true).filter((t) => !o.clamp || (t >= o.clamp[0] - 1e-12 && t <= o.clamp[1] + 1e-12));
  const min = Math.min(lo, ticks[0]!);
  const max = Math.max(hi, ticks[ticks.length - 1]!);
  return { min, max, ticks, format: formatter(unit, step, unitName, unitSize) };
}

function formatter(unit: AxisUnit, step: number, unitName: string, unitSize: number): (v: number) => string {
  if (unit === 'bytes') {
    const d = decimalsFor(step / unitSize);
    return (v) => (v === 0 ? '0' : `${(v / unitSize).toFixed(d)} ${unitName}`);
  }
  if (unit === 'percent') {
    const d = decimalsFor(step * 100);
    return (v) => `${(v * 100).toFixed(d)}%`;
  }
  const d = decimalsFor(step);
  return (v) => v.toFixed(d);
}
