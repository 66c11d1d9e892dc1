import { fitAxis } from './axis.js';
import type { Axis, AxisOptions } from './axis.js';
import { coord, escapeHtml } from './escape.js';
import { placeLabels } from './labels.js';

export { niceTicks } from './axis.js';

/**
 * Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), then darker
 * ones from Paul Tol's muted scheme, so that runs of up to 11 stages need no colour twice.
 */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#882255', '#999933', '#332288', '#661100'];

/** The colour of the `index`th item (a stage in run order), the same in every chart. */
export const paletteColor = (index: number) => PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length]!;

/** One line of a line chart; each point gets a circle with a `<title>` tooltip. */
export interface Series {
  name: string;
  points: Array<{ x: number; y: number; label?: string }>;
  /** CSS colour; default: the palette colour of the series' index. */
  color?: string;
}

/** A point of a scatter chart, labelled on the chart. */
export interface LabeledPoint {
  x: number;
  y: number;
  label: string;
  /** Tooltip text; default: the label and both coordinates. */
  title?: string;
  /** CSS colour, or an index into {@link PALETTE}; default 0. */
  color?: number | string;
}

/** Width of a chart by default: the page's content width (report.html's `main`, less its padding), pixels. */
export const CHART_WIDTH = 1064;

/** Axes, labels and size of a chart (pixels; default {@link CHART_WIDTH} × 300). */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** How each axis is fitted to its values (unit, zero in range, clamp, whole numbers). */
  x?: AxisOptions;
  y?: AxisOptions;
  /** Tooltip formats; default: 6 significant digits. */
  formatX?: (x: number) => string;
  formatY?: (y: number) => string;
  /** Draw x ticks (default true; bar charts label their categories instead). */
  xTicks?: boolean;
}

const M = { left: 80, right: 24, top: 46, bottom: 46 };

/** Tooltips show values to 6 significant digits, not rounded to the axis's ticks. */
const precise = (v: number) => String(Number(v.toPrecision(6)));

/** Frame, grid, ticks, axis labels and title; returns the SVG prefix and the scale functions. */
function frame(o: ChartOptions, xAxis: Axis, yAxis: Axis) {
  const width = o.width ?? CHART_WIDTH;
  const height = o.height ?? 300;
  const sx = (x: number) => M.left + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * (width - M.left - M.right);
  const sy = (y: number) => height - M.bottom - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * (height - M.top - M.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-label="${escapeHtml(o.title)}">`,
    `<title>${escapeHtml(o.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${M.left}" y="18" class="chart-title">${escapeHtml(o.title)}</text>`,
  ];
  for (const t of yAxis.ticks) {
    parts.push(`<line x1="${M.left}" x2="${width - M.right}" y1="${coord(sy(t))}" y2="${coord(sy(t))}" stroke="#e3e3e3" class="grid"/>`,
      `<text x="${M.left - 6}" y="${coord(sy(t) + 4)}" text-anchor="end" class="tick">${escapeHtml(yAxis.format(t))}</text>`);
  }
  for (const t of o.xTicks === false ? [] : xAxis.ticks) {
    parts.push(`<line x1="${coord(sx(t))}" x2="${coord(sx(t))}" y1="${height - M.bottom}" y2="${height - M.bottom + 4}" stroke="#888"/>`,
      `<text x="${coord(sx(t))}" y="${height - M.bottom + 17}" text-anchor="middle" class="tick">${escapeHtml(xAxis.format(t))}</text>`);
  }
  parts.push(
    `<line x1="${M.left}" x2="${width - M.right}" y1="${height - M.bottom}" y2="${height - M.bottom}" stroke="#888"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top - 6}" y2="${height - M.bottom}" stroke="#888"/>`,
    `<text x="${coord((M.left + width - M.right) / 2)}" y="${height - 8}" text-anchor="middle" class="axis">${escapeHtml(o.xLabel)}</text>`,
    `<text transform="translate(16 ${coord((M.top + height - M.bottom) / 2)}) rotate(-90)" text-anchor="middle" class="axis">${escapeHtml(o.yLabel)}</text>`,
  );
  const fx = o.formatX ?? precise;
  const fy = o.formatY ?? precise;
  return { parts, sx, sy, fx, fy, width, height, plot: { x: M.left, y: M.top, width: width - M.left - M.right, height: height - M.top - M.bottom } };
}

/** A note in place of a chart that has nothing to plot. */
export function emptyChart(title: string, note: string, width = CHART_WIDTH): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} 80" width="${width}" height="80" aria-label="${escapeHtml(title)}">` +
    `<title>${escapeHtml(title)}</title><text x="10" y="24" class="chart-title">${escapeHtml(title)}</text>` +
    `<text x="10" y="52" class="axis">${escapeHtml(note)}</text></svg>`;
}

/** A row of colour swatches with names above the plot, left to right. */
function legend(items: Array<{ name: string; swatch: string }>): string {
  let x = M.left;
  return items.map(({ name, swatch }) => {
    const out = `<g class="legend-item">${swatch.replaceAll('{x}', String(x))}<text x="${x + 14}" y="37" class="legend">${escapeHtml(name)}</text></g>`;
    x += 28 + 7 * name.length;
    return out;
  }).join('');
}

const square = (fill: string, extra = '') => `<rect x="{x}" y="28" width="10" height="10" fill="${fill}"${extra}/>`;

/** Lines with a marker per point and a legend; series with no points are left out. */
export function lineChart(series: Series[], o: ChartOptions): string {
  const drawn = series.map((s, i) => ({ ...s, color: s.color ?? paletteColor(i) })).filter((s) => s.points.length > 0);
  if (drawn.length === 0) return emptyChart(o.title, 'no data', o.width);
  const xAxis = fitAxis(drawn.flatMap((s) => s.points.map((p) => p.x)), o.x);
  const yAxis = fitAxis(drawn.flatMap((s) => s.points.map((p) => p.y)), o.y);
  const { parts, sx, sy, fx, fy } = frame(o, xAxis, yAxis);
  for (const s of drawn) {
    const pts = s.points.map((p) => `${coord(sx(p.x))},${coord(sy(p.y))}`).join(' ');
    parts.push(`<g class="series" data-series="${escapeHtml(s.name)}">`);
    if (s.points.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`);
    for (const p of s.points) {
      const tip = `${s.name}${p.label ? ` ${p.label}` : ''}: ${fx(p.x)}, ${fy(p.y)}`;
      parts.push(`<circle cx="${coord(sx(p.x))}" cy="${coord(sy(p.y))}" r="3.5" fill="${s.color}"><title>${escapeHtml(tip)}</title></circle>`);
    }
    parts.push('</g>');
  }
  parts.push(legend(drawn.map((s) => ({ name: s.name, swatch: square(s.color) }))), '</svg>');
  return parts.join('');
}

/** Labelled points, optionally joined in order by a line (e.g. stages in run order); labels stay inside the plot and off each other. */
export function scatterChart(points: LabeledPoint[], o: ChartOptions & { connect?: boolean }): string {
  if (points.length === 0) return emptyChart(o.title, 'no data', o.width);
  const { parts, sx, sy, fx, fy, plot } = frame(o, fitAxis(points.map((p) => p.x), o.x), fitAxis(points.map((p) => p.y), o.y));
  if (o.connect && points.length > 1) {
    const pts = points.map((p) => `${coord(sx(p.x))},${coord(sy(p.y))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="#999" stroke-dasharray="4 3" points="${pts}"/>`);
  }
  // Points drawn on top of each other (e.g. an evaluate stage after quantize) share one label.
  const labels: Array<{ x: number; y: number; text: string }> = [];
  for (const p of points) {
    const color = typeof p.color === 'string' ? p.color : paletteColor(p.color ?? 0);
    const x = sx(p.x);
    const y = sy(p.y);
    parts.push(`<circle cx="${coord(x)}" cy="${coord(y)}" r="5" fill="${color}" class="point"><title>${escapeHtml(p.title ?? `${p.label}: ${fx(p.x)}, ${fy(p.y)}`)}</title></circle>`);
    const near = labels.find((l) => Math.abs(l.x - x) < 4 && Math.abs(l.y - y) < 4);
    if (near) near.text += `, ${p.label}`;
    else labels.push({ x, y, text: p.label });
  }
  for (const l of placeLabels(labels, plot)) {
    parts.push(`<text x="${coord(l.x)}" y="${coord(l.y)}" text-anchor="${l.anchor}" class="label">${escapeHtml(l.text)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A category of a bar chart: its label, its colour (a stage's) and one value per series. */
export interface BarGroup {
  label: string;
  color: string;
  values: Array<number | undefined>;
}

/**
 * Grouped vertical bars: one group per category in the category's colour, one bar per series
 * (the first solid, the others paler), missing values skipped; the y axis always includes 0.
 */
export function barChart(groups: BarGroup[], seriesNames: string[], o: ChartOptions): string {
  const all = groups.flatMap((g) => g.values.filter((v): v is number => v !== undefined));
  if (all.length === 0) return emptyChart(o.title, 'no data', o.width);
  const yAxis = fitAxis(all, { ...o.y, zero: true });
  const { parts, sy, fy, plot } = frame({ ...o, xTicks: false }, fitAxis([0, 1]), yAxis);
  const slot = plot.width / groups.length;
  const bar = Math.min(36, (slot * 0.8) / seriesNames.length);
  const bottom = sy(0);
  const fill = (color: string, i: number) => (i === 0 ? `fill="${color}"` : `fill="${color}" fill-opacity="${Math.max(0.2, 0.45 - 0.1 * (i - 1))}" stroke="${color}"`);
  groups.forEach((g, c) => {
    const start = plot.x + c * slot + (slot - bar * seriesNames.length) / 2;
    seriesNames.forEach((name, i) => {
      const v = g.values[i];
      if (v === undefined) return;
      const top = sy(v);
      parts.push(`<rect x="${coord(start + i * bar)}" y="${coord(top)}" width="${coord(bar - 2)}" height="${coord(bottom - top)}" ${fill(g.color, i)} class="bar">` +
        `<title>${escapeHtml(`${g.label} ${name}: ${fy(v)}`)}</title></rect>`);
    });
    parts.push(`<text x="${coord(plot.x + (c + 0.5) * slot)}" y="${coord(bottom + 17)}" text-anchor="middle" class="tick">${escapeHtml(g.label)}</text>`);
  });
  parts.push(legend(seriesNames.map((name, i) => ({ name, swatch: square('#6b7580', i === 0 ? '' : ` fill-opacity="0.45" stroke="#6b7580"`) }))), '</svg>');
  return parts.join('');
}
