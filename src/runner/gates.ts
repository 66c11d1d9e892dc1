import type { Gate } from '../recipe/types.js';
import type { Metrics } from '../stages/types.js';
import type { GateResult } from './events.js';

/** Checks each gate against the final metrics; a metric that was not measured fails its gate. */
export function checkGates(gates: Record<string, Gate> | undefined, metrics: Metrics): GateResult[] {
  return Object.entries(gates ?? {}).map(([metric, gate]) => {
    const value = metrics[metric];
    const passed = value !== undefined && (gate.min === undefined || value >= gate.min) && (gate.max === undefined || value <= gate.max);
    return { metric, ...gate, value: value ?? null, passed };
  });
}

/** `accuracy 0.91 < min 0.95` */
export function describeGate(g: GateResult): string {
  const bounds = [g.min !== undefined ? `min ${g.min}` : '', g.max !== undefined ? `max ${g.max}` : ''].filter(Boolean).join(', ');
  return `${g.metric} = ${g.value ?? 'not measured'} (${bounds}): ${g.passed ? 'met' : 'NOT met'}`;
}
