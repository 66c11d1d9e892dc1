import { describe, expect, it } from 'vitest';
import { placeLabels } from './labels.js';
import type { Box } from './labels.js';

const plot: Box = { x: 80, y: 46, width: 500, height: 200 };
const inside = (b: Box) => b.x >= plot.x - 1e-9 && b.y >= plot.y - 1e-9 && b.x + b.width <= plot.x + plot.width + 1e-9 && b.y + b.height <= plot.y + plot.height + 1e-9;
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('placeLabels', () => {
  it('keeps labels of points on the plot\'s edges and corners inside it', () => {
    const corners = [{ x: 80, y: 46, text: 'top-left' }, { x: 580, y: 46, text: 'finetune' }, { x: 580, y: 246, text: 'baseline' }, { x: 80, y: 246, text: 'quantize, final' }];
    for (const l of placeLabels(corners, plot)) expect(inside(l.box), l.text).toBe(true);
  });

  it('keeps crowded labels apart (the quickstart: three stages stacked at one size)', () => {
    const crowd = [{ x: 570, y: 50, text: 'finetune' }, { x: 570, y: 70, text: 'prune' }, { x: 570, y: 240, text: 'baseline' }, { x: 570, y: 60, text: 'another one' }, { x: 150, y: 50, text: 'quantize, final' }];
    const placed = placeLabels(crowd, plot);
    for (const l of placed) expect(inside(l.box), l.text).toBe(true);
    for (let i = 0; i < placed.length; i++) {
      for (let j = i + 1; j < placed.length; j++) expect(overlaps(placed[i]!.box, placed[j]!.box), `${placed[i]!.text} / ${placed[j]!.text}`).toBe(false);
    }
  });
});
