import { Command, Option } from 'commander';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_NAMES } from './backend/names.js';
import { CondenseError, EXIT, RecipeError, formatProblem } from './errors.js';
import { CONDENSE_VERSION } from './version.js';

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_RECIPE = join(PACKAGE_ROOT, 'recipes', 'quickstart.yaml');
const BACKENDS = [...BACKEND_NAMES];

const collect = (value: string, previous: string[]) => [...previous, value];

/** Builds the `condense` command. Actions import the API lazily so `--help` stays fast. */
export function buildProgram(): Command {
  const program = new Command('condense')
    .description('Staged compression of TensorFlow.js models from YAML recipes')
    .version(CONDENSE_VERSION)
    .showHelpAfterError('(run condense --help for usage)')
    .exitOverride();
  program.command('run').description('run a recipe (default: the bundled quickstart)')
    .argument('[recipe]', 'recipe file', DEFAULT_RECIPE)
    .option('--out <dir>', 'run directory (default runs/<name>)')
    .option('--set <path=value>', 'override a recipe value (repeatable)', collect, [])
    .option('--resume', 'continue an interrupted run from its checkpoints')
    .addOption(new Option('--backend <name>', 'compute backend').choices(BACKENDS))
    .option('--cache <dir>', 'shared stage cache (default $CONDENSE_CACHE, else the user cache dir)')
    .option('--no-cache', 'use and fill no shared stage cache, only the run directory')
    .option('--json', 'one JSON event per line on stdout')
    .action(async (recipe: string, o) => (await import('./commands/run.js')).runCommand(recipe, o));
  program.command('sweep').description('run a recipe over a grid or random space of --set values; sweep.json and sweep.html with the Pareto front')
    .argument('<sweep>', 'sweep file (version, recipe, grid or random, objectives)')
    .option('--out <dir>', 'sweep directory (default sweeps/<name>)')
    .option('--workers <n>', 'trials run at once, each a separate process (default 1)')
    .option('--queue <url>', 'enqueue the trials in BullMQ at redis://HOST:PORT for `condense worker`s to run')
    .addOption(new Option('--backend <name>', 'compute backend of every trial').choices(BACKENDS))
    .option('--cache <dir>', 'shared stage cache (default $CONDENSE_CACHE, else the user cache dir)')
    .option('--no-cache', 'no shared stage cache: trials share nothing')
    .option('--json', 'one JSON event per line on stdout')
    .action(async (file: string, o) => (await import('./commands/sweep.js')).sweepCommand(file, o));
  program.command('worker').description('run sweep trials from a BullMQ queue (see docs/distributed-sweeps.md)')
    .requiredOption('--queue <url>', 'the Redis the sweep enqueued on: redis://HOST:PORT')
    .option('--concurrency <n>', 'trials run at once on this machine (default 1)')
    .action(async (o) => (await import('./commands/worker.js')).workerCommand(o));
  program.command('validate').description('check recipes, their data and models; exit 0 when valid, 2 when not')
    .argument('<recipes...>', 'recipe files')
    .option('--recipe-only', 'check the recipe files alone: load no data and no model')
    .addOption(new Option('--backend <name>', 'compute backend the model is checked on').choices(BACKENDS))
    .option('--json', 'problems as a JSON array')
    .action(async (files: string[], o) => (await import('./commands/recipe.js')).validateCommand(files, o));
  program.command('resolve').description('print the fully resolved recipe (vars and --set applied, defaults filled)')
    .argument('<recipe>', 'recipe file')
    .option('--set <path=value>', 'override a recipe value (repeatable)', collect, [])
    .option('--json', 'print JSON instead of YAML')
    .action(async (file: string, o) => (await import('./commands/recipe.js')).resolveCommand(file, o));
  program.command('plan').description('show which stages would run and which are cached')
    .argument('<recipe>', 'recipe file')
    .option('--out <dir>', 'run directory (default runs/<name>)')
    .option('--set <path=value>', 'override a recipe value (repeatable)', collect, [])
    .option('--resume', 'plan as `run --resume` would')
    .addOption(new Option('--backend <name>', 'compute backend').choices(BACKENDS))
    .option('--cache <dir>', 'shared stage cache (default $CONDENSE_CACHE, else the user cache dir)')
    .option('--no-cache', 'plan without the shared stage cache')
    .option('--json', 'print JSON')
    .action(async (file: string, o) => (await import('./commands/plan.js')).planCommand(file, o));
  program.command('schema').description('print the recipe JSON Schema')
    .action(async () => (await import('./commands/recipe.js')).schemaCommand());
  program.command('report').description('re-render the reports of a run directory')
    .argument('<runDir>', 'run directory')
    .action(async (dir: string) => (await import('./commands/report.js')).reportCommand(dir));
  program.command('compare').description('compare runs: recipe values that differ and final metrics')
    .argument('<runDirs...>', 'run directories (two or more)')
    .option('--json', 'print JSON')
    .option('--html <file>', 'also write a self-contained HTML page with an accuracy-vs-size chart')
    .action(async (dirs: string[], o) => (await import('./commands/compare.js')).compareCommand(dirs, o));
  program.command('reproduce').description('rerun a run from its directory, every stage recomputed, and compare its metrics (exit 4 when one differs)')
    .argument('<runDir>', 'run directory (holds run.lock.json and recipe.resolved.yaml)')
    .option('--out <dir>', 'where the rerun goes (default RUN_DIR-reproduce)')
    .option('--tolerance <t>', 'relative difference allowed when the backend build differs (default 0.01)')
    .option('--force', 'rerun even when the sources recorded in run.lock.json changed')
    .option('--json', 'JSON events and a final JSON result on stdout')
    .action(async (dir: string, o) => (await import('./commands/reproduce.js')).reproduceCommand(dir, o));
  const cache = program.command('cache').description('the stage cache shared by every run directory');
  cache.command('ls').description('list the cached stages, least recently used first')
    .option('--cache <dir>', 'cache directory (default $CONDENSE_CACHE, else the user cache dir)')
    .option('--json', 'print JSON')
    .action(async (o) => (await import('./commands/cache.js')).cacheListCommand(o));
  cache.command('prune').description('remove cached stages no run used for a while')
    .requiredOption('--older-than <age>', 'e.g. 30d, 12h, 2w')
    .option('--cache <dir>', 'cache directory (default $CONDENSE_CACHE, else the user cache dir)')
    .option('--json', 'print JSON')
    .action(async (o) => (await import('./commands/cache.js')).cachePruneCommand(o));
  program.command('presets').description('list the presets `extends` can name: built-in and from installed packages')
    .option('--json', 'print JSON')
    .action(async (o) => (await import('./commands/presets.js')).presetsCommand(o));
  program.command('doctor').description('list backends, whether each loads here, and their speed')
    .option('--json', 'print JSON')
    .action(async (o) => (await import('./commands/doctor.js')).doctorCommand(o));
  return program;
}

/** Prints an error the way a user needs it and returns the exit code. */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof RecipeError) {
    if (json) {
      process.stdout.write(JSON.stringify(err.problems.map(({ file, line, col, path, message, hint, keyword }) => ({ file, line, col, path, message, hint, keyword }))) + '\n');
    } else {
      for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n${p.frame ? p.frame + '\n' : ''}`);
    }
    return err.exitCode;
  }
  if (err instanceof CondenseError) {
    if (json) process.stdout.write(JSON.stringify({ event: 'error', message: err.message, hint: err.hint, exitCode: err.exitCode }) + '\n');
    process.stderr.write(`condense: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`condense: internal error (a bug; please report it): ${e?.stack ?? String(err)}\n`);
  return EXIT.stageFailed;
}

/** Entry point of the `condense` bin. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const code = (err as { code?: string; exitCode?: number }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
      return EXIT.usage;
    }
    return reportError(err, json);
  }
}

