/**
 * selectBackend: the env var and option, purposes, error codes and messages,
 * the WASM binary path override, planBackend agreeing with selectBackend, and
 * the silenced tfjs-backend-cpu banner.
 */
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  availableBackends,
  BACKEND_ENV_VAR,
  CANDIDATES,
  currentRuntime,
  planBackend,
  selectBackend,
  WASM_PATH_ENV_VAR,
  wasmBinaryDirectory,
} from '../../src/runtime/index.js';

/** Runs `fn` and returns what it threw (fails when it does not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  assert.unreachable('expected a throw');
  throw new Error('unreachable');
}

const test = suite('selectBackend');

test(`${BACKEND_ENV_VAR} forces a backend; the option overrides it`, async () => {
  const byEnv = await selectBackend({ env: { [BACKEND_ENV_VAR]: 'cpu' } });
  assert.is(byEnv.backend, 'cpu');
  assert.is(tf.getBackend(), 'cpu');
  assert.match(byEnv.reason, /^forced by PERCEPTUAL_BACKEND for infer$/);
  assert.is(currentRuntime(), byEnv);
  const byOption = await selectBackend({ backend: 'wasm', purpose: 'train', env: { [BACKEND_ENV_VAR]: 'cpu' } });
  assert.is(byOption.backend, 'wasm');
  assert.is(tf.getBackend(), 'wasm');
  assert.is(byOption.purpose, 'train');
  assert.match(byOption.reason, /^forced by options\.backend for train$/);
  assert.is(byOption.details.threads, 1);
  assert.type(byOption.details.simd, 'boolean');
});

test('an empty PERCEPTUAL_BACKEND counts as unset', async () => {
  const plan = await planBackend({ env: { [BACKEND_ENV_VAR]: '' } });
  assert.is(plan.backend, (await availableBackends())[0]);
});

test('unknown names are RangeErrors with code E_OPTIONS naming their source', async () => {
  const fromEnv = await thrown(() => selectBackend({ env: { [BACKEND_ENV_VAR]: 'tpu' } }));
  assert.instance(fromEnv, RangeError);
  assert.is(fromEnv.code, 'E_OPTIONS');
  assert.is(fromEnv.message, 'PERCEPTUAL_BACKEND must be one of node-gpu, webgpu, node, wasm, cpu (received "tpu")');
  const fromOption = await thrown(() => selectBackend({ backend: 'webgl', env: {} }));
  assert.match(fromOption.message, /^options\.backend must be one of node-gpu, webgpu, node, wasm, cpu \(received "webgl"\)$/);
  const purpose = await thrown(() => selectBackend({ purpose: 'serve', env: {} }));
  assert.instance(purpose, RangeError);
  assert.is(purpose.code, 'E_OPTIONS');
  assert.match(purpose.message, /^options\.purpose must be 'train' or 'infer' \(received "serve"\)$/);
});

test("a forced 'node' that cannot load is E_BACKEND_UNAVAILABLE listing what can", async () => {
  if ((await CANDIDATES.node.probe()).available) {
    console.log('  (skipped: @tensorflow/tfjs-node is installed here)');
    return;
  }
  const error = await thrown(() => selectBackend({ backend: 'node', env: {} }));
  assert.is(error.name, 'PerceptualError');
  assert.is(error.code, 'E_BACKEND_UNAVAILABLE');
  assert.match(error.message, /^Backend 'node' \(forced by options\.backend\) could not be loaded \(node: @tensorflow\/tfjs-node is not installed/);
  const available = (await availableBackends()).filter((name) => name !== 'node');
  assert.ok(error.message.includes(`Available here: ${available.join(', ')}.`), error.message);
  if (!(await CANDIDATES['node-gpu'].probe()).available) assert.ok(error.message.includes('Available here: wasm, cpu.'), error.message);
  assert.match(error.message, /Choose one of those with --backend or PERCEPTUAL_BACKEND/);
});

test('purpose train tries node-gpu > webgpu > node > wasm > cpu and says why it skipped each', async () => {
  const available = await availableBackends();
  const runtime = await selectBackend({ purpose: 'train', env: {} });
  const expected = available[0];
  assert.is(runtime.backend, expected);
  const order = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];
  assert.equal(runtime.rejected.map((r) => r.backend), order.slice(0, order.indexOf(runtime.backend)));
  for (const attempt of runtime.rejected) assert.ok(attempt.reason.length > 10, attempt.reason);
  if (runtime.rejected.length > 0) {
    assert.match(runtime.reason, new RegExp(`^best that loaded for train: ${runtime.backend} \\(order node-gpu > webgpu > node > wasm > cpu; `));
  }
  const plan = await planBackend({ purpose: 'train', env: {} });
  assert.is(plan.backend, runtime.backend);
  assert.equal(plan.rejected.map((r) => r.backend), runtime.rejected.map((r) => r.backend));
});

test(`${WASM_PATH_ENV_VAR} and options.wasmPath locate the .wasm binaries`, async () => {
  assert.match(wasmBinaryDirectory({ env: {} }), /@tensorflow[/\\]tfjs-backend-wasm[/\\]dist$/);
  assert.is(wasmBinaryDirectory({ env: { [WASM_PATH_ENV_VAR]: 'vendor/wasm' } }), resolve('vendor/wasm'));
  assert.is(wasmBinaryDirectory({ env: { [WASM_PATH_ENV_VAR]: 'https://cdn.example/tfjs/' } }), 'https://cdn.example/tfjs/');
  assert.is(wasmBinaryDirectory({ wasmPath: '/opt/wasm', env: { [WASM_PATH_ENV_VAR]: '/ignored' } }), '/opt/wasm');
  const error = await thrown(() => selectBackend({ backend: 'wasm', env: { [WASM_PATH_ENV_VAR]: '/nonexistent/perceptual-wasm' } }));
  assert.is(error.code, 'E_BACKEND_UNAVAILABLE');
  assert.match(error.message, /\/nonexistent\/perceptual-wasm\/tfjs-backend-wasm(-simd)?\.wasm does not exist \(set PERCEPTUAL_WASM_PATH/);
});

test("choosing cpu does not print tfjs-backend-cpu's 'Hi, looks like' banner", async () => {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
  try {
    await selectBackend({ backend: 'cpu', env: {} });
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync());
  } finally {
    console.warn = original;
  }
  assert.is((tf.findBackend('cpu') as unknown as { firstUse: boolean }).firstUse, false);
  assert.not.ok(warnings.some((w) => w.includes('Hi, looks like')), warnings.join('\n'));
});

test.run();
