// Where a scatter chart's point labels go: inside the plot, off the points and off each other.

/** A rectangle in SVG pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A label to place beside its point (pixel coordinates). */
export interface LabelRequest {
  x: number;
  y: number;
  text: string;
}

/** A placed label: where its text goes and how it is anchored, and the box it takes. */
export interface PlacedLabel {
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
  text: string;
  box: Box;
}

/** Pixels per character of a 12 px system-ui label: generous, so estimated boxes cover real ones. */
export const CHAR_WIDTH = 7.2;
const HEIGHT = 14;
const GAP = 8;
const POINT_RADIUS = 6;

/**
 * Candidate offsets from the point, in order of preference: right, left, above, below, the
 * diagonals, then right and left stepping a line further up or down each time (crowded points).
 */
const CANDIDATES: Array<{ dx: number; dy: number; anchor: PlacedLabel['anchor'] }> = [
  { dx: GAP, dy: 4, anchor: 'start' }, { dx: -GAP, dy: 4, anchor: 'end' },
  { dx: 0, dy: -GAP - 2, anchor: 'middle' }, { dx: 0, dy: GAP + 12, anchor: 'middle' },
  { dx: GAP, dy: -GAP - 2, anchor: 'start' }, { dx: -GAP, dy: -GAP - 2, anchor: 'end' },
  { dx: GAP, dy: GAP + 12, anchor: 'start' }, { dx: -GAP, dy: GAP + 12, anchor: 'end' },
  ...[1, 2, 3, 4, 5, 6].flatMap((k) => [-1, 1].flatMap((sign) => [
    { dx: GAP, dy: 4 + sign * k * HEIGHT, anchor: 'start' as const }, { dx: -GAP, dy: 4 + sign * k * HEIGHT, anchor: 'end' as const },
  ])),
];

function textBox(x: number, y: number, anchor: PlacedLabel['anchor'], text: string): Box {
  const width = text.length * CHAR_WIDTH;
  const left = anchor === 'start' ? x : anchor === 'end' ? x - width : x - width / 2;
  // y is the text baseline; the box spans the glyphs above it and descenders below.
  return { x: left, y: y - HEIGHT + 3, width, height: HEIGHT };
}

function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Area of `box` outside `bounds`. */
function outside(box: Box, bounds: Box): number {
  return box.width * box.height - overlap(box, bounds);
}

/**
 * Places each label at the first candidate spot that lies inside `plot` and covers no point and
 * no label placed before it; when none is free, at the spot with the least overlap (outside
 * the plot counting most), shifted back inside. Greedy, in the order given.
 */
export function placeLabels(labels: LabelRequest[], plot: Box): PlacedLabel[] {
  const points = labels.map((l) => ({ x: l.x - POINT_RADIUS, y: l.y - POINT_RADIUS, width: 2 * POINT_RADIUS, height: 2 * POINT_RADIUS }));
  const placed: PlacedLabel[] = [];
  for (const label of labels) {
    let best: { cost: number; label: PlacedLabel } | undefined;
    for (const c of CANDIDATES) {
      const x = label.x + c.dx;
      const y = label.y + c.dy;
      const box = textBox(x, y, c.anchor, label.text);
      const cost = 10 * outside(box, plot) + points.reduce((n, p) => n + overlap(box, p), 0) + placed.reduce((n, p) => n + overlap(box, p.box), 0);
      if (!best || cost < best.cost) best = { cost, label: { x, y, anchor: c.anchor, text: label.text, box } };
      if (cost === 0) break;
    }
    placed.push(shiftInside(best!.label, plot));
  }
  return placed;
}

function shiftInside(label: PlacedLabel, plot: Box): PlacedLabel {
  const dx = Math.max(0, plot.x - label.box.x) - Math.max(0, label.box.x + label.box.width - (plot.x + plot.width));
  const dy = Math.max(0, plot.y - label.box.y) - Math.max(0, label.box.y + label.box.height - (plot.y + plot.height));
  if (dx === 0 && dy === 0) return label;
  return { ...label, x: label.x + dx, y: label.y + dy, box: { ...label.box, x: label.box.x + dx, y: label.box.y + dy } };
}
