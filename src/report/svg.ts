import { coord, escapeHtml } from './escape.js';

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000'];

/** One line of a line chart; each point gets a circle with a `<title>` tooltip. */
export interface Series {
  name: string;
  points: Array<{ x: number; y: number; label?: string }>;
}

/** A point of a scatter chart, labelled on the chart. */
export interface LabeledPoint {
  x: number;
  y: number;
  label: string;
  /** Tooltip text; default: the label and both coordinates. */
  title?: string;
  /** Index into {@link PALETTE}; default 0. */
  color?: number;
}

/** Axes, labels and size of a chart (pixels; default 520 × 300). */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Forced axis bounds; otherwise taken from the data (with 0 in range when `zeroY`/`zeroX`). */
  yMin?: number;
  yMax?: number;
  zeroX?: boolean;
  zeroY?: boolean;
  formatX?: (x: number) => string;
  formatY?: (y: number) => string;
  /** Only whole-number x ticks (epochs). */
  integerX?: boolean;
  /** Draw x ticks (default true; bar charts label their categories instead). */
  xTicks?: boolean;
}

const M = { left: 80, right: 20, top: 46, bottom: 46 };

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function extent(values: number[], zero: boolean, forcedLo?: number, forcedHi?: number): [number, number] {
  let lo = forcedLo ?? Math.min(...values, ...(zero ? [0] : []));
  let hi = forcedHi ?? Math.max(...values, ...(zero ? [0] : []));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) {
    const pad = Math.abs(hi) * 0.1 || 1;
    lo -= forcedLo === undefined ? pad : 0;
    hi += forcedHi === undefined ? pad : 0;
  }
  const ticks = niceTicks(lo, hi);
  return [Math.min(lo, ticks[0]!), Math.max(hi, ticks[ticks.length - 1]!)];
}

const plain = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

/** Frame, grid, ticks, axis labels and title; returns the SVG prefix and the scale functions. */
function frame(o: ChartOptions, xs: number[], ys: number[]) {
  const width = o.width ?? 520;
  const height = o.height ?? 300;
  const [x0, x1] = extent(xs, o.zeroX ?? false);
  const [y0, y1] = extent(ys, o.zeroY ?? false, o.yMin, o.yMax);
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * (width - M.left - M.right);
  const sy = (y: number) => height - M.bottom - ((y - y0) / (y1 - y0)) * (height - M.top - M.bottom);
  const fx = o.formatX ?? plain;
  const fy = o.formatY ?? plain;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-label="${escapeHtml(o.title)}">`,
    `<title>${escapeHtml(o.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${M.left}" y="18" class="chart-title">${escapeHtml(o.title)}</text>`,
  ];
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${M.left}" x2="${width - M.right}" y1="${coord(sy(t))}" y2="${coord(sy(t))}" stroke="#e3e3e3"/>`,
      `<text x="${M.left - 6}" y="${coord(sy(t) + 4)}" text-anchor="end" class="tick">${escapeHtml(fy(t))}</text>`);
  }
  for (const t of o.xTicks === false ? [] : niceTicks(x0, x1).filter((t) => !o.integerX || Number.isInteger(t))) {
    parts.push(`<line x1="${coord(sx(t))}" x2="${coord(sx(t))}" y1="${height - M.bottom}" y2="${height - M.bottom + 4}" stroke="#888"/>`,
      `<text x="${coord(sx(t))}" y="${height - M.bottom + 17}" text-anchor="middle" class="tick">${escapeHtml(fx(t))}</text>`);
  }
  parts.push(
    `<line x1="${M.left}" x2="${width - M.right}" y1="${height - M.bottom}" y2="${height - M.bottom}" stroke="#888"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top - 6}" y2="${height - M.bottom}" stroke="#888"/>`,
    `<text x="${coord((M.left + width - M.right) / 2)}" y="${height - 8}" text-anchor="middle" class="axis">${escapeHtml(o.xLabel)}</text>`,
    `<text transform="translate(14 ${coord((M.top + height - M.bottom) / 2)}) rotate(-90)" text-anchor="middle" class="axis">${escapeHtml(o.yLabel)}</text>`,
  );
  return { parts, sx, sy, fx, fy, width };
}

/** A note in place of a chart that has nothing to plot. */
export function emptyChart(title: string, note: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 560 80" width="560" height="80" aria-label="${escapeHtml(title)}">` +
    `<title>${escapeHtml(title)}</title><text x="10" y="24" class="chart-title">${escapeHtml(title)}</text>` +
    `<text x="10" y="52" class="axis">${escapeHtml(note)}</text></svg>`;
}

/** Lines with a marker per point and a legend; series with no points are left out. */
export function lineChart(series: Series[], o: ChartOptions): string {
  const drawn = series.filter((s) => s.points.length > 0);
  if (drawn.length === 0) return emptyChart(o.title, 'no data');
  const { parts, sx, sy, fx, fy } = frame(o, drawn.flatMap((s) => s.points.map((p) => p.x)), drawn.flatMap((s) => s.points.map((p) => p.y)));
  let legendX = M.left;
  drawn.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.points.map((p) => `${coord(sx(p.x))},${coord(sy(p.y))}`).join(' ');
    parts.push(`<g class="series" data-series="${escapeHtml(s.name)}">`);
    if (s.points.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
    for (const p of s.points) {
      const tip = `${s.name}${p.label ? ` ${p.label}` : ''}: ${fx(p.x)}, ${fy(p.y)}`;
      parts.push(`<circle cx="${coord(sx(p.x))}" cy="${coord(sy(p.y))}" r="3.5" fill="${color}"><title>${escapeHtml(tip)}</title></circle>`);
    }
    parts.push('</g>',
      `<rect x="${legendX}" y="28" width="10" height="10" fill="${color}"/>`,
      `<text x="${legendX + 14}" y="37" class="legend">${escapeHtml(s.name)}</text>`);
    legendX += 24 + 7 * s.name.length;
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Labelled points, optionally joined in order by a line (e.g. stages in run order). */
export function scatterChart(points: LabeledPoint[], o: ChartOptions & { connect?: boolean }): string {
  if (points.length === 0) return emptyChart(o.title, 'no data');
  const { parts, sx, sy, fx, fy, width } = frame(o, points.map((p) => p.x), points.map((p) => p.y));
  if (o.connect && points.length > 1) {
    const pts = points.map((p) => `${coord(sx(p.x))},${coord(sy(p.y))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="#999" stroke-dasharray="4 3" points="${pts}"/>`);
  }
  // Points drawn on top of each other (e.g. an evaluate stage after quantize) share one label.
  const labels: Array<{ x: number; y: number; text: string }> = [];
  for (const p of points) {
    const color = PALETTE[(p.color ?? 0) % PALETTE.length]!;
    const x = sx(p.x);
    const y = sy(p.y);
    parts.push(`<circle cx="${coord(x)}" cy="${coord(y)}" r="5" fill="${color}" class="point"><title>${escapeHtml(p.title ?? `${p.label}: ${fx(p.x)}, ${fy(p.y)}`)}</title></circle>`);
    const near = labels.find((l) => Math.abs(l.x - x) < 4 && Math.abs(l.y - y) < 4);
    if (near) near.text += `, ${p.label}`;
    else labels.push({ x, y, text: p.label });
  }
  for (const l of labels) {
    // Labels flip to the left of points near the right edge, and below points near the top.
    const left = l.x > width - M.right - 7 * l.text.length - 10;
    const below = l.y < M.top + 8;
    parts.push(`<text x="${coord(left ? l.x - 8 : l.x + 8)}" y="${coord(below ? l.y + 16 : l.y - 7)}" text-anchor="${left ? 'end' : 'start'}" class="label">${escapeHtml(l.text)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Grouped vertical bars: one group per category, one bar per series (missing values skipped). */
export function barChart(categories: string[], series: Array<{ name: string; values: Array<number | undefined> }>, o: ChartOptions): string {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  if (all.length === 0) return emptyChart(o.title, 'no data');
  const width = o.width ?? 520;
  const { parts, sy, fy } = frame({ ...o, zeroY: true, xTicks: false }, [0, 1], all);
  const slot = (width - M.left - M.right) / categories.length;
  const bar = Math.min(28, (slot * 0.8) / series.length);
  const bottom = sy(0);
  categories.forEach((cat, c) => {
    const start = M.left + c * slot + (slot - bar * series.length) / 2;
    series.forEach((s, i) => {
      const v = s.values[c];
      if (v === undefined) return;
      const top = sy(v);
      parts.push(`<rect x="${coord(start + i * bar)}" y="${coord(top)}" width="${coord(bar - 2)}" height="${coord(bottom - top)}" fill="${PALETTE[i % PALETTE.length]}">` +
        `<title>${escapeHtml(`${cat} ${s.name}: ${fy(v)}`)}</title></rect>`);
    });
    parts.push(`<text x="${coord(M.left + (c + 0.5) * slot)}" y="${coord(bottom + 17)}" text-anchor="middle" class="tick">${escapeHtml(cat)}</text>`);
  });
  let legendX = M.left;
  series.forEach((s, i) => {
    parts.push(`<rect x="${legendX}" y="28" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${legendX + 14}" y="37" class="legend">${escapeHtml(s.name)}</text>`);
    legendX += 24 + 7 * s.name.length;
  });
  parts.push('</svg>');
  return parts.join('');
}
