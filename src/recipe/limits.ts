// Leaf module: the bounds that keep hostile recipes cheap to refuse.

/** Largest recipe file condense reads, in bytes (recipes are small; anything bigger is hostile). */
export const MAX_RECIPE_BYTES = 1024 * 1024;
/** Bound on alias expansion, so a "billion laughs" recipe fails fast instead of eating memory. */
export const MAX_ALIAS_COUNT = 100;
/** Deepest nesting of mappings and lists a recipe may have (real recipes use under 10). */
export const MAX_DEPTH = 64;
/** Keys that could reach Object.prototype when merged; refused anywhere in a recipe. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
