import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bicubicUpsample } from '../../src/data/bicubic.js';
import { resolveSrArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { bicubicUpsampleTf, depthToSpace } from '../../src/networks/layers/pixel-shuffle.js';
import { srNetwork, srParamSpecs } from '../../src/networks/sr-network.js';
import { transform } from '../../src/networks/transform.js';
import type { Params, SrArch } from '../../src/types.js';
import { useBackend } from '../helpers/backends.js';
import { lcgValues } from './layers-reference.js';

const image = (shape: [number, number, number, number], seed: number): tf.Tensor4D => tf.tensor4d(lcgValues(shape.reduce((a, b) => a * b), seed, 0, 1), shape);
const disposeParams = (params: Params): void => tf.dispose(Object.values(params));

test.before(async () => {
  await useBackend('wasm');
});

test('paper parameter count: x4 with 64 filters and 4 blocks', () => {
  // c1 15552+64, 8 res convs x (36864+64), 2 up convs x (36864+64), out 15552+3.
  const count = srParamSpecs(resolveSrArch({ scale: 4 })).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  assert.is(count, 15_616 + 8 * 36_928 + 2 * 36_928 + 15_555);
  assert.equal(srParamSpecs(resolveSrArch({ scale: 8 })).filter((s) => /^u\d\.kernel$/.test(s.name)).length, 3);
});

test('sub-pixel x4 parameter count: 5x5 first conv, 3x3 output conv to 4*4*3 channels', () => {
  // c1 5*5*3*64+64, 8 res convs x (36864+64), out 3*3*64*48+48; no upsampling stages.
  const specs = srParamSpecs(resolveSrArch({ upsample: 'shuffle' }));
  assert.is(specs.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0), 4_864 + 8 * 36_928 + 27_696);
  assert.equal(specs.at(-2), { name: 'out.kernel', shape: [3, 3, 64, 48] });
  assert.not.ok(specs.some((s) => s.name.startsWith('u')));
});

test('depthToSpace (reshape/transpose, differentiable) equals tf.depthToSpace NHWC for f = 2, 3, 4', () => {
  for (const f of [2, 3, 4]) {
    const x = image([2, 3, 5, f * f * 3], f);
    const ours = depthToSpace(x, f);
    const reference = tf.depthToSpace(x, f, 'NHWC');
    assert.equal(ours.shape, [2, 3 * f, 5 * f, 3]);
    assert.equal(Array.from(ours.dataSync()), Array.from(reference.dataSync()), `f ${f}`);
    tf.dispose([x, ours, reference]);
  }
});

test('bicubicUpsampleTf equals src/data/bicubic.ts bicubicUpsample (edges replicated) for f = 2, 4, 8', () => {
  for (const f of [2, 4, 8]) {
    for (const [h, w] of [[5, 7], [1, 1], [2, 3]] as const) {
      const x = image([2, h, w, 3], 10 * f + h);
      const ours = bicubicUpsampleTf(x, f);
      assert.equal(ours.shape, [2, h * f, w * f, 3]);
      const values = x.dataSync() as Float32Array;
      const got = ours.dataSync();
      let diff = 0;
      for (let b = 0; b < 2; b++) {
        const one = values.subarray(b * h * w * 3, (b + 1) * h * w * 3);
        const reference = bicubicUpsample({ height: h, width: w, channels: 3, data: one }, f).data;
        for (let i = 0; i < reference.length; i++) diff = Math.max(diff, Math.abs(got[b * reference.length + i]! - reference[i]!));
      }
      assert.ok(diff < 1e-5, `f ${f}, ${h}x${w}: max diff ${diff}`);
      tf.dispose([x, ours]);
    }
  }
});

test('sub-pixel head: out channel (i f + j) 3 + c lands on pixel (f h + i, f w + j), over the bicubic skip', () => {
  const f = 4;
  const arch = resolveSrArch({ scale: f, upsample: 'shuffle', filters: 4, residualBlocks: 1 });
  const params = initParams(arch, 9);
  params['out.kernel']!.dispose();
  params['out.kernel'] = tf.zeros([3, 3, 4, f * f * 3]);
  params['out.bias']!.dispose();
  const bias = Array.from({ length: f * f * 3 }, (_, k) => ((k * 7) % 11) / 10 - 0.5);
  params['out.bias'] = tf.tensor1d(bias);
  const [h, w] = [3, 2];
  const x = image([1, h, w, 3], 11);
  const y = transform({ arch, params, provenance: {} }, x).dataSync();
  const skip = bicubicUpsample({ height: h, width: w, channels: 3, data: x.dataSync() as Float32Array }, f).data;
  let diff = 0;
  for (let yy = 0; yy < h * f; yy++) {
    for (let xx = 0; xx < w * f; xx++) {
      for (let c = 0; c < 3; c++) {
        const k = ((yy % f) * f + (xx % f)) * 3 + c;
        const o = (yy * w * f + xx) * 3 + c;
        diff = Math.max(diff, Math.abs(y[o]! - Math.min(1, Math.max(0, skip[o]! + 0.5 * Math.tanh(bias[k]!)))));
      }
    }
  }
  assert.ok(diff < 1e-5, `max diff ${diff}`);
  x.dispose();
  disposeParams(params);
});

test('sub-pixel network trains: gradients reach every parameter and match a finite difference', () => {
  const arch = resolveSrArch({ scale: 2, upsample: 'shuffle', filters: 4, residualBlocks: 1 });
  const params = initParams(arch, 12);
  const variables = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.variable(v, true, `shuffle-grad-test/${k}`)]));
  const x = image([2, 4, 5, 3], 13);
  const weights = image([2, 8, 10, 3], 14);
  const loss = () => tf.sum(tf.mul(transform({ arch, params: variables, provenance: {} }, x), weights)) as tf.Scalar;
  const { value, grads } = tf.variableGrads(loss);
  assert.is(Object.keys(grads).length, Object.keys(variables).length);
  for (const [name, g] of Object.entries(grads)) {
    const values = g.dataSync();
    assert.ok(values.every(Number.isFinite) && values.some((v) => v !== 0), `gradient of ${name}`);
  }
  // d loss / d out.bias[0] by central difference.
  const bias = variables['out.bias']!;
  const base = bias.dataSync().slice();
  const at = (delta: number): number => {
    const shifted = base.slice();
    shifted[0]! += delta;
    bias.assign(tf.tensor1d(shifted));
    return tf.tidy(() => loss().dataSync()[0]!);
  };
  const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
  const analytic = grads['shuffle-grad-test/out.bias']!.dataSync()[0]!;
  assert.ok(Math.abs(numeric - analytic) < 0.02 * Math.abs(analytic) + 1e-3, `numeric ${numeric} vs analytic ${analytic}`);
  tf.dispose([x, weights, value, ...Object.values(grads), ...Object.values(variables), ...Object.values(params)]);
});

test('x2, x4, x8 (every upsampling mode, every skip) give f-times-larger images in [0, 1]', () => {
  const x = image([2, 5, 7, 3], 1);
  for (const scale of [2, 4, 8] as const) {
    for (const upsample of ['resize', 'transpose', 'shuffle'] as const) {
      for (const skip of ['bicubic', 'bilinear', 'nearest', 'none'] as const) {
        const arch = resolveSrArch({ scale, upsample, skip, filters: 8, residualBlocks: 1 });
        const m = { arch, params: initParams(arch, scale), provenance: {} };
        const y = transform(m, x);
        assert.equal(y.shape, [2, 5 * scale, 7 * scale, 3], `x${scale} ${upsample} ${skip}`);
        assert.ok(y.dataSync().every((v) => v >= 0 && v <= 1));
        y.dispose();
        disposeParams(m.params);
      }
    }
  }
  x.dispose();
});

test('full-size x4 network on tiny inputs (1x1, 2x3): no multiple-of-4 or minimum size needed', () => {
  const m = { arch: resolveSrArch({}), params: initParams(resolveSrArch({}), 1), provenance: {} };
  for (const [h, w] of [[1, 1], [2, 3]] as const) {
    const x = image([1, h, w, 3], 2);
    const y = transform(m, x);
    assert.equal(y.shape, [1, 4 * h, 4 * w, 3]);
    tf.dispose([x, y]);
  }
  disposeParams(m.params);
});

test('with a zero output conv the bilinear skip returns the bilinear upsampling and none returns 0.5', () => {
  for (const skip of ['bilinear', 'none'] as const) {
    const arch: SrArch = resolveSrArch({ scale: 2, filters: 4, residualBlocks: 0, skip });
    const params = initParams(arch, 3);
    params['out.kernel']!.dispose();
    params['out.kernel'] = tf.zeros(params['c1.kernel']!.shape.slice(0, 2).concat([4, 3]));
    const x = tf.tensor4d([0, 0.2, 0.4, 1, 0.6, 0.8], [1, 1, 2, 3]);
    const y = transform({ arch, params, provenance: {} }, x).dataSync();
    if (skip === 'none') assert.ok(y.every((v) => v === 0.5));
    else {
      // Half-pixel bilinear 2x of a 2-pixel row [a, b]: a, 0.75a + 0.25b, 0.25a + 0.75b, b (edges clamp).
      const [a, b] = [[0, 0.2, 0.4], [1, 0.6, 0.8]];
      const row = [a!, a!.map((v, i) => 0.75 * v + 0.25 * b![i]!), a!.map((v, i) => 0.25 * v + 0.75 * b![i]!), b!].flat();
      for (let i = 0; i < 12; i++) {
        assert.ok(Math.abs(y[i]! - row[i]!) < 1e-6, `row 0 [${i}]`);
        assert.ok(Math.abs(y[12 + i]! - row[i]!) < 1e-6, `row 1 [${i}]`);
      }
    }
    x.dispose();
    disposeParams(params);
  }
});

test('no per-image statistics: a crop far enough from its cut edge gives exactly the same pixels (tiling)', () => {
  // Receptive radius in low-res pixels: c1 4 + 1 block (2 convs) 2 + up conv 0.5 + out 4/2 = 8.5 -> margin 10.
  const arch = resolveSrArch({ scale: 2, filters: 6, residualBlocks: 1 });
  const params = initParams(arch, 4);
  const x = image([1, 20, 24, 3], 5);
  const full = srNetwork(arch, params, x);
  const crop = tf.slice(x, [0, 0, 0, 0], [1, 20, 16, 3]);
  const part = srNetwork(arch, params, crop);
  // Columns 0..(16 - 10) * 2 of the crop's output lie within its valid region.
  const a = tf.slice(full, [0, 0, 0, 0], [1, 40, 12, 3]).dataSync();
  const b = tf.slice(part, [0, 0, 0, 0], [1, 40, 12, 3]).dataSync();
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  assert.ok(diff < 1e-6, `diff ${diff}`);
  // ...whereas near the cut the two differ (the test can fail).
  const edgeA = tf.slice(full, [0, 0, 28, 0], [1, 40, 4, 3]).dataSync();
  const edgeB = tf.slice(part, [0, 0, 28, 0], [1, 40, 4, 3]).dataSync();
  assert.ok(edgeA.some((v, i) => Math.abs(v - edgeB[i]!) > 1e-4));
  tf.dispose([x, full, crop, part]);
  disposeParams(params);
});

test('lean and tidy agree; numTensors flat', () => {
  const arch = resolveSrArch({ scale: 4, filters: 8, residualBlocks: 2 });
  const m = { arch, params: initParams(arch, 6), provenance: {} };
  const x = image([1, 6, 5, 3], 7);
  const before = tf.memory().numTensors;
  for (let round = 0; round < 2; round++) {
    const a = transform(m, x);
    const b = transform(m, x, { lean: true });
    assert.equal(Array.from(a.dataSync()), Array.from(b.dataSync()));
    tf.dispose([a, b]);
    assert.is(tf.memory().numTensors, before);
  }
  x.dispose();
  disposeParams(m.params);
});

test.run();
