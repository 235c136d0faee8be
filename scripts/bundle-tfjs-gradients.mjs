// tfjs-core registers gradients only through dist/register_all_gradients.js, an
// ES module with extensionless imports that Node cannot load. Bundle it into one
// file (as @tensorflow/tfjs's own Node bundle does); its inlined copy of core
// shares the global engine and gradient registry with @tensorflow/tfjs-core.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const core = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));

await build({
  entryPoints: [join(core, 'dist', 'register_all_gradients.js')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: join(root, 'dist', 'vendor', 'tfjs-core-gradients.js'),
  logLevel: 'warning',
  legalComments: 'none',
});
