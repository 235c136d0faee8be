/**
 * `import 'perceptual'` loads only what every use needs: sharp (image codecs),
 * piscina (worker pool), h5wasm (Keras weights), protobufjs
 * (ONNX export), bullmq/ioredis (the Redis queue) and webgpu/tfjs-backend-webgpu
 * (the webgpu backend) load on first use. Checked in a fresh Node process against
 * the built package (the test command builds dist/ first). The import time
 * itself is measured, not asserted: bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/** Which of the heavy dependencies a fresh Node process has loaded after importing `entry` (relative to this file). */
const probe = (entry: string) => `
import { createRequire } from 'node:module';
await import(${JSON.stringify(new URL(entry, import.meta.url).href)});
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify(['sharp', 'piscina', 'h5wasm', 'protobufjs', 'bullmq', 'ioredis', 'webgpu', '@tensorflow/tfjs-backend-webgpu'].filter((name) => loaded.some((path) => path.includes('/node_modules/' + name + '/')))));
`;

test('importing the package loads none of the heavy, use-specific dependencies', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe('../../dist/src/index.js')], { encoding: 'utf8' });
  assert.equal(JSON.parse(out.trim().split('\n').pop()!), []);
});

test('the probe sees a dependency once its module loads (the ONNX writer loads protobufjs)', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe('../../dist/src/export/onnx-graph.js')], { encoding: 'utf8' });
  assert.equal(JSON.parse(out.trim().split('\n').pop()!), ['protobufjs']);
});

test.run();
