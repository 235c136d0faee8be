/** describeEnvironment / formatEnvironment: facts without activating a backend. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BACKEND_ORDER,
  describeEnvironment,
  formatEnvironment,
  selectBackend,
  wasmSimdSupported,
  wasmThreadsSupported,
} from '../../src/runtime/index.js';

const test = suite('describeEnvironment');

test('a plain JSON-serialisable object with the machine facts', async () => {
  const info = await describeEnvironment({ env: {} });
  assert.equal(JSON.parse(JSON.stringify(info)), info);
  assert.is(info.node, process.version);
  assert.is(info.platform, process.platform);
  assert.is(info.cpus.count, cpus().length);
  assert.ok(info.memory.totalBytes > info.memory.freeBytes && info.memory.freeBytes > 0);
  assert.is(info.versions['@tensorflow/tfjs-core'], tf.version_core);
  assert.equal(info.backends.map((b) => b.name), [...BACKEND_ORDER]);
  assert.ok(info.backends.find((b) => b.name === 'cpu')?.available);
  assert.is(info.wasm.threadsUsed, 1);
  assert.is(info.wasm.simd, wasmSimdSupported());
  assert.is(info.wasm.threadsSupported, wasmThreadsSupported());
  // The embedded SIMD kernels: the committed binary's digest, and they compile wherever SIMD does.
  const manifest = JSON.parse(readFileSync(new URL('../../wasm/MANIFEST.json', import.meta.url), 'utf8')) as { sha256: string; bytes: number };
  assert.is(info.wasm.kernels.sha256, manifest.sha256);
  assert.is(info.wasm.kernels.bytes, manifest.bytes);
  assert.is(info.wasm.kernels.compiles, wasmSimdSupported());
  assert.equal(info.env, { PERCEPTUAL_BACKEND: null, PERCEPTUAL_WASM_PATH: null });
  // The WebGPU adapter, or why there is none; the same reason the webgpu probe gives when it refuses.
  const webgpu = info.backends.find((b) => b.name === 'webgpu')!;
  assert.type(info.webgpu.reason, 'string');
  if (info.webgpu.adapter === null) assert.ok(!webgpu.available && webgpu.reason.startsWith(info.webgpu.reason), `${webgpu.reason} / ${info.webgpu.reason}`);
  else assert.ok(webgpu.reason.startsWith(info.webgpu.reason), `${webgpu.reason} / ${info.webgpu.reason}`);
});

test('choices per purpose follow the env var, and a bad one becomes a reason', async () => {
  const forced = await describeEnvironment({ env: { PERCEPTUAL_BACKEND: 'cpu' } });
  assert.is(forced.choice.train.backend, 'cpu');
  assert.is(forced.choice.infer.backend, 'cpu');
  assert.match(forced.choice.train.reason, /forced by PERCEPTUAL_BACKEND for train/);
  const bad = await describeEnvironment({ env: { PERCEPTUAL_BACKEND: 'tpu' } });
  assert.is(bad.choice.train.backend, null);
  assert.match(bad.choice.train.reason, /PERCEPTUAL_BACKEND must be one of node-gpu, webgpu, node, wasm, cpu \(received "tpu"\)/);
});

test('activates nothing: the tfjs backend in use is unchanged', async () => {
  await selectBackend({ backend: 'cpu', env: {} });
  await describeEnvironment({ env: {} });
  assert.is(tf.getBackend(), 'cpu');
  const info = await describeEnvironment({ env: {} });
  assert.is(info.active?.backend, 'cpu');
});

test('the SIMD probe agrees with tfjs-backend-wasm once it is loaded', async () => {
  await selectBackend({ backend: 'wasm', env: {} });
  assert.is(wasmSimdSupported(), await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
});

test('formatEnvironment: one line per fact, each backend and each purpose', async () => {
  const info = await describeEnvironment({ env: { PERCEPTUAL_BACKEND: 'wasm' } });
  const text = formatEnvironment(info);
  assert.match(text, new RegExp(`^Node ${process.version.replace(/\./g, '\\.')} on ${process.platform}`));
  for (const name of BACKEND_ORDER) assert.match(text, new RegExp(`^  (yes|no ) ${name} `, 'm'));
  assert.match(text, /^train: wasm \(forced by PERCEPTUAL_BACKEND for train\)$/m);
  assert.match(text, /^infer: wasm /m);
  assert.match(text, /^wasm binary: .*tfjs-backend-wasm(-simd)?\.wasm$/m);
  assert.match(text, /^perceptual SIMD kernels: \d+ bytes, sha256 [0-9a-f]{12}, this engine compiles them; /m);
  assert.match(text, /^PERCEPTUAL_BACKEND: wasm$/m);
  assert.ok(text.includes(`\nWebGPU: ${info.webgpu.reason}\n`), text);
});

test.run();
