/**
 * A small seeded PRNG (mulberry32): every random choice condense makes (shuffles, splits,
 * sampling) derives from the recipe seed through this, never from Math.random.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles in place (Fisher–Yates) and returns the array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** The internal state, to save in a checkpoint and restore with {@link Prng.fromState}. */
  getState(): number {
    return this.state;
  }

  static fromState(state: number): Prng {
    const prng = new Prng(0);
    prng.state = state >>> 0;
    return prng;
  }
}

/** Derives an independent 32-bit seed for a named purpose (e.g. `"split"`, `"stage:prune"`). */
export function deriveSeed(seed: number, purpose: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < purpose.length; i++) {
    h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}

/** 0..n-1 as an Int32Array, shuffled by the PRNG. */
export function shuffledIndices(n: number, prng: Prng): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return prng.shuffle(idx);
}
