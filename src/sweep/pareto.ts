import type { Objective } from './spec.js';

/**
 * Indices of the points no other point dominates (at least as good on every objective and better
 * on one). Points missing an objective's value take no part.
 */
export function paretoFront(points: Array<Record<string, number> | undefined>, objectives: Objective[]): number[] {
  const usable = points.map((p, i) => ({ p, i })).filter((x): x is { p: Record<string, number>; i: number } =>
    !!x.p && objectives.every((o) => typeof x.p![o.metric] === 'number' && Number.isFinite(x.p![o.metric])));
  const better = (a: number, b: number, o: Objective) => (o.goal === 'max' ? a > b : a < b);
  const dominates = (a: Record<string, number>, b: Record<string, number>) =>
    objectives.every((o) => a[o.metric] === b[o.metric] || better(a[o.metric]!, b[o.metric]!, o))
    && objectives.some((o) => better(a[o.metric]!, b[o.metric]!, o));
  return usable.filter(({ p }) => !usable.some((q) => dominates(q.p, p))).map(({ i }) => i);
}
