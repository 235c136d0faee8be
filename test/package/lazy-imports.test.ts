/**
 * `import 'perceptual'` loads only what every use needs: sharp (image codecs),
 * piscina (worker pool), h5wasm (Keras weights) and onnx-proto/protobufjs
 * (ONNX export) load on first use. Checked in a fresh Node process against
 * the built package (the test command builds dist/ first). The import time
 * itself is measured, not asserted: bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const probe = `
import { createRequire } from 'node:module';
await import(${JSON.stringify(new URL('../../dist/src/index.js', import.meta.url).href)});
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify(['sharp', 'piscina', 'h5wasm', 'onnx-proto', 'protobufjs'].filter((name) => loaded.some((path) => path.includes('/node_modules/' + name + '/')))));
`;

test('importing the package loads none of the heavy, use-specific dependencies', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  assert.equal(JSON.parse(out.trim().split('\n').pop()!), []);
});

test.run();
