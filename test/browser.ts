// Headless Chromium for tests: the same finder and launcher as condense's browser measurements.
export { CHROMIUM_ARGS, findChromium, launchChromium } from '../src/browser/chromium.js';
