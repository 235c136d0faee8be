/**
 * @file Registers tfjs-core's gradient functions in Node.
 *
 * `@tensorflow/tfjs-core` alone registers no gradients; its
 * `dist/register_all_gradients.js` is an ES module with extensionless imports
 * that Node cannot load, so `npm run build` bundles it into
 * `dist/vendor/tfjs-core-gradients.js` (scripts/bundle-tfjs-gradients.mjs),
 * exactly as @tensorflow/tfjs's own Node bundle inlines it. The bundle shares
 * the global engine and gradient registry with the installed tfjs-core.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getGradient } from '@tensorflow/tfjs-core';
import { perceptualError } from '../errors.js';

/** The repository root (two levels above src/runtime, three above dist/src/runtime). */
function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return directory;
}

/** Loads the bundled core gradients once. @throws PerceptualError if the build step was skipped. */
export async function registerCoreGradients(): Promise<void> {
  if (getGradient('Conv2D') !== undefined && getGradient('Conv2D') !== null) return;
  const bundle = join(packageRoot(), 'dist', 'vendor', 'tfjs-core-gradients.js');
  if (!existsSync(bundle)) {
    throw perceptualError('E_BACKEND_UNAVAILABLE', `The gradient bundle ${bundle} is missing. Run \`npm run build\` (npm ci runs it).`);
  }
  await import(pathToFileURL(bundle).href);
}
