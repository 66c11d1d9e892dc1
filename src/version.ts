import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** condense's version, from its package.json (dist/ and src/ both sit one level below it). */
export const CONDENSE_VERSION = (require('../package.json') as { version: string }).version;
