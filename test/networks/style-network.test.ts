import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { styleNetwork, styleParamSpecs } from '../../src/networks/style-network.js';
import { transform } from '../../src/networks/transform.js';
import type { Params, StyleArch, TransformModel } from '../../src/types.js';
import { conv2DPathCalls } from '../../src/runtime/kernels/conv2d-simd.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { conv2dRef, instanceNormRef, lcgValues, maxRelativeError } from './layers-reference.js';

const count = (arch: StyleArch): number => styleParamSpecs(arch).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
const image = (shape: [number, number, number, number], seed: number): tf.Tensor4D => tf.tensor4d(lcgValues(shape.reduce((a, b) => a * b), seed, 0, 1), shape);
const model = (arch: StyleArch, seed: number): TransformModel => ({ arch, params: initParams(arch, seed), provenance: {} });
const disposeParams = (params: Params): void => tf.dispose(Object.values(params));

test('parameter counts match hand-computed totals (ml5: FORMAT.md 1,677,638)', () => {
  assert.is(count(resolveStyleArch({ variant: 'ml5' })), 1_677_638);
  // johnson swaps the output IN (6) for a bias (3), in both upsampling modes.
  assert.is(count(resolveStyleArch({})), 1_677_635);
  assert.is(count(resolveStyleArch({ upsample: 'transpose' })), 1_677_635);
  // width 0.5 (16/32/64 channels), by hand: 3920 + 4672 + 18560 + 10 x 36992 + 18496 + 4640 + 3891.
  assert.is(count(resolveStyleArch({ width: 0.5 })), 424_099);
  const names = styleParamSpecs(resolveStyleArch({ residualBlocks: 2, upsample: 'transpose' })).map((s) => s.name);
  assert.equal(names.slice(0, 3), ['c1.kernel', 'c1.norm.gamma', 'c1.norm.beta']);
  assert.ok(names.includes('res1.norm2.beta') && !names.includes('res2.conv1.kernel'));
  assert.equal(styleParamSpecs(resolveStyleArch({ upsample: 'transpose' })).find((s) => s.name === 'u1.kernel')!.shape, [3, 3, 64, 128]);
  assert.equal(styleParamSpecs(resolveStyleArch({})).find((s) => s.name === 'u1.kernel')!.shape, [3, 3, 128, 64]);
});

test('cpu: both upsampling modes and widths keep a 1x37x50x3 input size, output in [0, 1]', async () => {
  await useBackend('cpu');
  const x = image([1, 37, 50, 3], 1);
  for (const upsample of ['resize', 'transpose'] as const) {
    for (const width of [0.25, 0.5]) {
      const m = model(resolveStyleArch({ upsample, width, residualBlocks: 2 }), 3);
      const y = transform(m, x);
      assert.equal(y.shape, [1, 37, 50, 3], `${upsample} ${width}`);
      const values = y.dataSync();
      assert.ok(values.every((v) => v >= 0 && v <= 1), `${upsample} ${width}: range`);
      // Random init still gives a non-constant image (tanh of a per-pixel conv).
      assert.ok(Math.max(...values) - Math.min(...values) > 0.05);
      y.dispose();
      disposeParams(m.params);
    }
  }
  x.dispose();
});

test('wasm: the full-width network (both modes) keeps odd sizes 2x13x10x3; ml5 variant too', async () => {
  await useBackend('wasm');
  const x = image([2, 13, 10, 3], 2);
  for (const arch of [resolveStyleArch({}), resolveStyleArch({ upsample: 'transpose' }), resolveStyleArch({ variant: 'ml5' })]) {
    const m = model(arch, 4);
    const y = transform(m, x);
    assert.equal(y.shape, [2, 13, 10, 3]);
    assert.ok(y.dataSync().every((v) => v >= 0 && v <= 1));
    y.dispose();
    disposeParams(m.params);
  }
  x.dispose();
});

test('same seed gives identical params; another seed differs; gammas 1, betas/biases 0, He std', async () => {
  await useBackend('cpu');
  const arch = resolveStyleArch({ width: 0.5 });
  const a = initParams(arch, 42);
  const b = initParams(arch, 42);
  const c = initParams(arch, 43);
  for (const name of Object.keys(a)) assert.equal(Array.from(a[name]!.dataSync()), Array.from(b[name]!.dataSync()), name);
  assert.not.equal(Array.from(a['c1.kernel']!.dataSync()), Array.from(c['c1.kernel']!.dataSync()));
  assert.ok(a['c1.norm.gamma']!.dataSync().every((v) => v === 1));
  assert.ok(a['c1.norm.beta']!.dataSync().every((v) => v === 0) && a['out.bias']!.dataSync().every((v) => v === 0));
  // He normal: std sqrt(2 / fanIn), fanIn = 3 * 3 * 64 = 576 for res0.conv1 (36,864 samples: ~0.4% standard error).
  const k = Array.from(a['res0.conv1.kernel']!.dataSync());
  const std = Math.sqrt(k.reduce((s, v) => s + v * v, 0) / k.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / 576) - 1) < 0.02, `std ${std}`);
  [a, b, c].forEach(disposeParams);
});

test('johnson c1 is reflection-padded 9x9 conv + IN (eps 1e-5) + ReLU: matches a plain loop on a low-contrast input', async () => {
  await useBackend('cpu');
  const arch = resolveStyleArch({ width: 0.25, residualBlocks: 0 });
  const params = initParams(arch, 12);
  // Values in [0, 2e-3] (near 0, so float32 loses nothing): conv variance ~1e-7, so eps 1e-5 vs 1e-3 changes the result a lot.
  const pixels = lcgValues(12 * 8 * 3, 13, 0, 2e-3);
  const x = tf.tensor4d(pixels, [1, 12, 8, 3]);
  const c1 = styleNetwork(arch, params, x, { until: 'c1' });
  const conv = conv2dRef({ h: 12, w: 8, c: 3, data: pixels }, params['c1.kernel']!.dataSync(), [9, 9, 8], 1, [4, 4], [12, 8], 'reflect');
  const gamma = params['c1.norm.gamma']!.dataSync();
  const beta = params['c1.norm.beta']!.dataSync();
  assert.ok(maxRelativeError(c1.dataSync(), instanceNormRef(conv, gamma, beta, 1e-5, true).data) < 1e-3);
  assert.ok(maxRelativeError(c1.dataSync(), instanceNormRef(conv, gamma, beta, 1e-3, true).data) > 1e-1);
  const zeroPadded = conv2dRef({ h: 12, w: 8, c: 3, data: pixels }, params['c1.kernel']!.dataSync(), [9, 9, 8], 1, [4, 4], [12, 8], 'zero');
  assert.ok(maxRelativeError(c1.dataSync(), instanceNormRef(zeroPadded, gamma, beta, 1e-5, true).data) > 1e-1);
  tf.dispose([x, c1]);
  disposeParams(params);
});

test('lean and tidy forward passes are identical; numTensors stays flat', async () => {
  await useBackend('cpu');
  const m = model(resolveStyleArch({ width: 0.25, residualBlocks: 2 }), 5);
  const x = image([1, 18, 22, 3], 6);
  const before = tf.memory().numTensors;
  for (let round = 0; round < 2; round++) {
    const tidy = transform(m, x);
    const lean = transform(m, x, { lean: true });
    assert.equal(Array.from(lean.dataSync()), Array.from(tidy.dataSync()));
    tf.dispose([tidy, lean]);
    assert.is(tf.memory().numTensors, before);
  }
  x.dispose();
  disposeParams(m.params);
});

test('gradients flow to every parameter through the (tidy) forward pass on cpu', async () => {
  await useBackend('cpu');
  const arch = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
  const init = initParams(arch, 8);
  const variables: Params = Object.fromEntries(Object.entries(init).map(([name, t]) => [name, tf.variable(t, true, `style-grad-${name}`)]));
  const x = image([1, 8, 12, 3], 9);
  const { value, grads } = tf.variableGrads(() => {
    const y = transform({ arch, params: variables, provenance: {} }, x);
    return tf.mean(tf.square(tf.sub(y, 0.3))) as tf.Scalar;
  });
  assert.ok(Number.isFinite(value.dataSync()[0]!));
  for (const spec of styleParamSpecs(arch)) {
    const g = grads[`style-grad-${spec.name}`];
    assert.ok(g, `no gradient for ${spec.name}`);
    assert.equal(g!.shape, [...spec.shape]);
    assert.ok(g!.dataSync().every(Number.isFinite), spec.name);
  }
  assert.ok(grads['style-grad-c1.kernel']!.dataSync().some((v) => v !== 0));
  tf.dispose([value, x, ...Object.values(grads), ...Object.values(variables)]);
  disposeParams(init);
});

test('every test backend agrees with cpu to 1e-4 relative (both upsampling modes, ml5 variant)', async () => {
  const archs = [resolveStyleArch({ width: 0.5 }), resolveStyleArch({ width: 0.5, upsample: 'transpose' }), resolveStyleArch({ width: 0.5, variant: 'ml5' })];
  const results: Record<string, Float32Array[]> = Object.fromEntries(TEST_BACKENDS.map((b) => [b, []]));
  for (const backend of TEST_BACKENDS) {
    await useBackend(backend);
    const x = image([1, 16, 20, 3], 10);
    for (const arch of archs) {
      const m = model(arch, 11);
      // Compare the pre-activation too: tanh would hide differences in its flat tails.
      const o = styleNetwork(arch, m.params, x, { until: 'out' });
      const y = transform(m, x);
      results[backend]!.push(o.dataSync() as Float32Array, y.dataSync() as Float32Array);
      tf.dispose([o, y]);
      disposeParams(m.params);
    }
    x.dispose();
  }
  for (const backend of TEST_BACKENDS.filter((b) => b !== 'cpu')) {
    results.cpu!.forEach((want, i) => {
      const error = maxRelativeError(results[backend]![i]!, want);
      assert.ok(error < 1e-4, `${backend} case ${i}: relative error ${error}`);
    });
  }
});

test('at 64x64, where every wasm conv kernel runs (Winograd residual and upsampling convs, RGB output, stock), cpu and wasm agree, lean passes too', async () => {
  // Two residual blocks keep the cpu side short; every kind of conv is still there.
  const archs = [
    resolveStyleArch({ width: 0.5, residualBlocks: 2 }),
    resolveStyleArch({ width: 0.5, residualBlocks: 2, upsample: 'transpose' }),
    resolveStyleArch({ width: 0.5, residualBlocks: 2, variant: 'ml5' }),
  ];
  const results: Record<string, Float32Array[]> = { cpu: [], wasm: [] };
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const x = image([1, 64, 64, 3], 12);
    for (const arch of archs) {
      const m = model(arch, 13);
      const before = conv2DPathCalls();
      const o = styleNetwork(arch, m.params, x, { until: 'out' });
      if (backend === 'wasm') {
        const now = conv2DPathCalls();
        // The 4 residual convs (16x16 maps, 256 pixels) and the 2 folded upsampling convs take Winograd; the 9x9
        // 16 -> 3 output conv takes the RGB-output kernel; the 9x9 input conv (3 channels) and the stride-2 convs stay stock.
        const calls = [now.winograd - before.winograd, now['rgb-output'] - before['rgb-output'], now.stock - before.stock];
        assert.equal(calls, [6, 1, 3], JSON.stringify(calls));
      }
      const y = transform(m, x);
      const lean = transform(m, x, { lean: true });
      results[backend]!.push(o.dataSync() as Float32Array, y.dataSync() as Float32Array, lean.dataSync() as Float32Array);
      tf.dispose([o, y, lean]);
      disposeParams(m.params);
    }
    x.dispose();
  }
  results.cpu!.forEach((want, i) => {
    const error = maxRelativeError(results.wasm![i]!, want);
    // Winograd rounding, amplified by the instance norms of low-variance maps: 4e-6 to 1.2e-5 observed
    // (wasm/README.md); inference keeps the fast kernels, so its bound is looser than the loss networks' 1e-5.
    assert.ok(error < 5e-5, `case ${i}: relative error ${error}`);
  });
});

test('transform rejects images that are not rank-4 NHWC RGB', async () => {
  await useBackend('cpu');
  const m = model(resolveStyleArch({ width: 0.25, residualBlocks: 0 }), 1);
  const rank3 = tf.zeros([8, 8, 3]) as unknown as tf.Tensor4D;
  const rgba = tf.zeros([1, 8, 8, 4]) as tf.Tensor4D;
  assert.throws(() => transform(m, rank3), /Argument 'images' passed to 'transform' must be rank 4 NHWC with 3 channels.*got shape \[8,8,3\]/);
  assert.throws(() => transform(m, rgba), (e: Error & { code?: string }) => e.code === 'E_TENSOR_SHAPE' && /\[1,8,8,4\]/.test(e.message));
  tf.dispose([rank3, rgba]);
  disposeParams(m.params);
});

test.run();
