import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every ```yaml block of docs/recipe-language.md that starts with `version: 1` is a recipe the doc
// promises is valid; each is validated through the built CLI (run `npm run build` first).

const ROOT = join(import.meta.dirname, '..');
const DOC = join(ROOT, 'docs', 'recipe-language.md');
const CLI = join(ROOT, 'bin', 'condense.mjs');

/** A recipe example of a Markdown page: its text and the line of the page it starts on. */
interface RecipeBlock {
  line: number;
  text: string;
}

/** The ```yaml blocks of `markdown` whose first line is `version: 1`. */
function recipeBlocks(markdown: string): RecipeBlock[] {
  const blocks: RecipeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```yaml') continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) throw new Error(`${DOC}:${i + 1}: unterminated code block`);
    const body = lines.slice(i + 1, end);
    if (/^version:\s*1\s*(#.*)?$/.test(body[0] ?? '')) blocks.push({ line: i + 2, text: body.join('\n') + '\n' });
    i = end;
  }
  return blocks;
}

/** Writes a recipe to a fresh directory and runs `condense validate` on it. */
function validate(text: string): { status: number | null; stdout: string; stderr: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'condense-docs-')), 'example.yaml');
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [CLI, 'validate', '--recipe-only', file], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.split(file).join('example.yaml') };
}

const blocks = recipeBlocks(readFileSync(DOC, 'utf8'));

describe('docs/recipe-language.md examples', () => {
  it('the CLI is built (npm run build)', () => {
    expect(existsSync(join(ROOT, 'dist', 'cli.js')), 'dist/cli.js is missing: run npm run build').toBe(true);
  });

  it('has recipe examples to check', () => {
    // The complete recipe, the smallest one, extends, data, prune, distill and gates at least.
    expect(blocks.length).toBeGreaterThanOrEqual(7);
  });

  it.each(blocks.map((b) => [b.line, b] as const))('the recipe at line %i validates', (_line, block) => {
    const r = validate(block.text);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/: valid\n$/);
  });

  it('a broken example fails the check, located', () => {
    const complete = blocks[0]!;
    const broken = complete.text.replace(/^version: 1.*$/m, 'version: 1\nepochz: 3');
    const r = validate(broken);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('example.yaml:2:1: unknown key "epochz" [additionalProperties]');
  });

  it('extraction keeps only yaml blocks that start with version: 1', () => {
    const md = ['```yaml', 'version: 1', 'name: a', '```', '```yaml', 'stages: []', '```', '```sh', 'version: 1', '```', '```yaml', 'version: 1  # c', '```'].join('\n');
    expect(recipeBlocks(md)).toEqual([{ line: 2, text: 'version: 1\nname: a\n' }, { line: 12, text: 'version: 1  # c\n' }]);
  });
});
