import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PRESETS_DIR } from '../recipe/extends.js';
import { installedPresetPackages } from '../recipe/packages.js';

/** One preset `extends` can name. */
export interface PresetEntry {
  /** What to write in `extends`: `quickstart`, or `@acme/condense-presets/bert`. */
  name: string;
  /** `built-in`, or the package's `name@version`. */
  from: string;
  file: string;
  description: string;
}

/** The `description` of a preset file ('' when it has none or does not parse). */
function describe(file: string): string {
  try {
    const value = parseYaml(readFileSync(file, 'utf8')) as { description?: unknown };
    return typeof value?.description === 'string' ? value.description.replace(/\s+/g, ' ').trim() : '';
  } catch {
    return '';
  }
}

/** The built-in presets and those of every preset package installed where `fromDir` resolves packages. */
export function listPresets(fromDir: string): PresetEntry[] {
  const builtin = existsSync(PRESETS_DIR) ? readdirSync(PRESETS_DIR).filter((f) => f.endsWith('.yaml')).sort() : [];
  const entries: PresetEntry[] = builtin.map((f) => ({ name: f.slice(0, -5), from: 'built-in', file: join(PRESETS_DIR, f), description: describe(join(PRESETS_DIR, f)) }));
  for (const pkg of installedPresetPackages(fromDir)) {
    for (const [preset, file] of pkg.presets) {
      entries.push({ name: `${pkg.name}/${preset}`, from: `${pkg.name}@${pkg.version}`, file, description: describe(file) });
    }
  }
  return entries;
}

/** `condense presets`: what `extends` can name from the current directory, with descriptions. */
export async function presetsCommand(flags: { json?: boolean }): Promise<void> {
  const entries = listPresets(process.cwd());
  if (flags.json) {
    process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
    return;
  }
  const width = Math.max(...entries.map((e) => e.name.length), 4);
  const fromWidth = Math.max(...entries.map((e) => e.from.length), 4);
  for (const e of entries) process.stdout.write(`${e.name.padEnd(width)}  ${e.from.padEnd(fromWidth)}  ${e.description}\n`);
}
