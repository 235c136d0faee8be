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
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getGradient } from '@tensorflow/tfjs-core';
import { perceptualError } from '../errors.js';
import { packageRoot } from '../package-root.js';

/** Loads the bundled core gradients once. @throws PerceptualError if the build step was skipped. */
export async function registerCoreGradients(): Promise<void> {
  if (getGradient('Conv2D') !== undefined && getGradient('Conv2D') !== null) return;
  const bundle = join(packageRoot(), 'dist', 'vendor', 'tfjs-core-gradients.js');
  if (!existsSync(bundle)) {
    throw perceptualError('E_BACKEND_UNAVAILABLE', `The gradient bundle ${bundle} is missing. Run \`npm run build\` (npm ci runs it).`);
  }
  await import(pathToFileURL(bundle).href);
}
