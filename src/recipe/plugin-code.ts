import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/** Bound on the local modules followed from one plugin (a plugin tree larger than this is unusual). */
const MAX_FILES = 1000;

// Relative specifiers of static imports/exports, side-effect imports and dynamic imports. A
// plain scan: a specifier inside a comment or string is followed too, which only over-hashes.
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/**
 * sha256 of a plugin's code: its module file and every local module it imports, transitively
 * (`./` and `../` specifiers; packages it imports are not followed). Editing a helper module the
 * plugin imports changes it, so stages that plugin defines rerun.
 */
export function pluginCodeHash(entry: string): string {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  const lines: string[] = [];
  while (queue.length && seen.size <= MAX_FILES) {
    const file = queue.shift()!;
    const bytes = readFileSync(file);
    lines.push(`${relative(dirname(entry), file)} ${createHash('sha256').update(bytes).digest('hex')}`);
    for (const m of bytes.toString('utf8').matchAll(RELATIVE_IMPORT)) {
      const target = resolve(dirname(file), m[1]!);
      if (!seen.has(target) && existsSync(target) && statSync(target).isFile()) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}
