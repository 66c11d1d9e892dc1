// `npx condense` in this repository must run this checkout's CLI, not a registry package of the
// same name: npm links the bins of dependencies only, so link our own into node_modules/.bin.
import { chmodSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'node_modules', '.bin');
const target = join(root, 'bin', 'condense.mjs');
mkdirSync(binDir, { recursive: true });
const link = join(binDir, 'condense');
rmSync(link, { force: true });
symlinkSync(relative(binDir, target), link);
chmodSync(target, 0o755);
