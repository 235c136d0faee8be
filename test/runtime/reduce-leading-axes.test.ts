/**
 * The WASM `Mean`/`Sum` replacements (src/runtime/kernels/reduce-sum.ts, with
 * src/runtime/kernels/reduce-leading-axes.ts where the SIMD kernels cannot load):
 * against float64 plain loops and the stock kernels, for leading, middle,
 * negative and unsorted axes with and without keepDims, plus the cases that go
 * to the stock kernel (split axes, int32), the AvgPool fallback's plan, and
 * flat tensor and backend-buffer counts.
 *
 * Measured here (2-core shared machine, medians of 21, Mean over [1, 2]):
 * [1, 64, 64, 128] stock 2.6 ms -> 0.41 ms; [1, 256, 256, 32] 8.4 -> 0.81 ms.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { leadingAxesPlan } from '../../src/runtime/kernels/reduce-leading-axes.js';
import { stockKernel } from '../../src/runtime/kernels/register-kernels.js';
import { useBackend } from '../helpers/backends.js';
import { assertNoLeaks } from '../helpers/leaks.js';
import { lcgValues } from '../networks/layers-reference.js';

/** Deterministic values in [offset - 1, offset + 1). */
function values(n: number, seed: number, offset = 0): Float32Array {
  return lcgValues(n, seed, offset - 1, offset + 1);
}

/** Float64 sum or mean of `data` (row-major `shape`) over `axes` (non-negative), keepDims shape. */
function reference(data: Float32Array, shape: number[], axes: number[], mean: boolean): { shape: number[]; data: Float64Array } {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(outShape.reduce((p, d) => p * d, 1));
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < data.length; i++) {
    let o = 0;
    for (let k = 0; k < shape.length; k++) o = o * outShape[k]! + (axes.includes(k) ? 0 : index[k]!);
    out[o] += data[i]!;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]!) break;
      index[k] = 0;
    }
  }
  const count = axes.reduce((p, a) => p * shape[a]!, 1);
  if (mean) for (let i = 0; i < out.length; i++) out[i] = out[i]! / count;
  return { shape: outShape, data: out };
}

const CASES: ReadonlyArray<readonly [number[], number[]]> = [
  [[2, 5, 6, 3], [1, 2]],
  [[2, 5, 6, 3], [0, 1, 2]],
  [[2, 5, 6, 3], [-3, -2]],
  [[2, 5, 6, 3], [2, 1]],
  [[2, 5, 6, 3], [1]],
  [[2, 5, 6, 3], [0]],
  [[3, 7, 4], [1]],
  [[9, 4], [0]],
  [[2, 3, 4, 5, 2], [1, 2, 3]],
  [[1, 16, 16, 8], [1, 2]],
  // Innermost and all axes (perceptual's kernel since reduce-sum.ts), and a split run (the stock kernel).
  [[2, 5, 6, 3], [3]],
  [[2, 5, 6, 3], [1, 3]],
  [[2, 5, 6, 3], [0, 1, 2, 3]],
  [[2, 1, 6, 3], [1]],
];

test('leadingAxesPlan splits contiguous non-innermost runs and declines the rest', () => {
  assert.equal(leadingAxesPlan([2, 5, 6, 3], [1, 2]), { outer: 2, reduced: 30, inner: 3 });
  assert.equal(leadingAxesPlan([2, 5, 6, 3], [-4, -3, -2]), { outer: 1, reduced: 60, inner: 3 });
  assert.equal(leadingAxesPlan([2, 5, 6, 3], 1), { outer: 2, reduced: 5, inner: 18 });
  assert.is(leadingAxesPlan([2, 5, 6, 3], [2, 3]), null);
  assert.is(leadingAxesPlan([2, 5, 6, 3], [0, 2]), null);
  assert.is(leadingAxesPlan([2, 5, 6, 3], null), null);
  assert.is(leadingAxesPlan([7], [0]), null);
});

test('wasm Mean and Sum match float64 loops and the stock kernels, every axis case, keepDims either way', async () => {
  await useBackend('wasm');
  const backend = tf.backend();
  for (const [shape, axes] of CASES) {
    const size = shape.reduce((p, d) => p * d, 1);
    // An offset of 100 makes cancellation visible: a sloppy accumulation would miss the 1e-5 bound.
    const data = values(size, size + axes.length, 100);
    const x = tf.tensor(data, shape);
    const positive = axes.map((a) => (a < 0 ? a + shape.length : a));
    for (const kernel of [tf.Mean, tf.Sum]) {
      const want = reference(data, shape, positive, kernel === tf.Mean);
      for (const keepDims of [false, true]) {
        const got = kernel === tf.Mean ? tf.mean(x, axes, keepDims) : tf.sum(x, axes, keepDims);
        const label = `${kernel} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)} keepDims=${keepDims}`;
        assert.equal(got.shape, keepDims ? want.shape : want.shape.filter((_, i) => !positive.includes(i)), label);
        assert.is(got.dtype, 'float32', label);
        const gotData = got.dataSync();
        const info = stockKernel('wasm', kernel)!.kernelFunc({ inputs: { x }, backend, attrs: { axis: axes, keepDims } }) as tf.TensorInfo;
        const stockData = backend.readSync(info.dataId) as Float32Array;
        backend.disposeData(info.dataId);
        for (let i = 0; i < want.data.length; i++) {
          const tolerance = 1e-6 * (1 + Math.abs(want.data[i]!));
          assert.ok(Math.abs(gotData[i]! - want.data[i]!) <= tolerance, `${label} [${i}]: ${gotData[i]} vs ${want.data[i]}`);
          assert.ok(Math.abs(gotData[i]! - stockData[i]!) <= 2 * tolerance, `${label} [${i}] vs stock: ${gotData[i]} vs ${stockData[i]}`);
        }
        got.dispose();
      }
    }
    x.dispose();
  }
});

test('wasm Mean of a large map with a large mean stays about as accurate as the stock kernel (float64 reference)', async () => {
  await useBackend('wasm');
  const shape = [1, 128, 128, 16];
  const data = values(128 * 128 * 16, 7, 1000);
  const x = tf.tensor(data, shape);
  const want = reference(data, shape, [1, 2], true).data;
  const got = tf.mean(x, [1, 2]);
  const gotData = got.dataSync();
  const backend = tf.backend();
  const info = stockKernel('wasm', tf.Mean)!.kernelFunc({ inputs: { x }, backend, attrs: { axis: [1, 2], keepDims: false } }) as tf.TensorInfo;
  const stockData = backend.readSync(info.dataId) as Float32Array;
  backend.disposeData(info.dataId);
  let error = 0;
  let stockError = 0;
  for (let k = 0; k < 16; k++) {
    error = Math.max(error, Math.abs(gotData[k]! - want[k]!) / want[k]!);
    stockError = Math.max(stockError, Math.abs(stockData[k]! - want[k]!) / want[k]!);
  }
  // Both are float32 accumulations over 16384 values: a few ulp of 1000 (1 ulp = 6e-8 relative).
  assert.ok(error <= Math.max(2 * stockError, 2e-6), `max relative error ${error} (stock ${stockError})`);
  tf.dispose([x, got]);
});

test('wasm int32 Mean and Sum fall back to the stock kernels (exact integer sums)', async () => {
  await useBackend('wasm');
  const x = tf.tensor4d(Int32Array.from({ length: 2 * 3 * 4 * 2 }, (_, i) => i * 7 - 50), [2, 3, 4, 2], 'int32');
  const sum = tf.sum(x, [1, 2]);
  assert.is(sum.dtype, 'int32');
  const data = x.dataSync();
  const want: number[] = [];
  for (let b = 0; b < 2; b++) {
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let i = 0; i < 12; i++) s += data[b * 24 + i * 2 + c]!;
      want.push(s);
    }
  }
  assert.equal(Array.from(sum.dataSync()), want);
  const mean = tf.mean(x, [1, 2]);
  const meanData = mean.dataSync();
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(meanData[i]! - want[i]! / 12) <= 1, `mean [${i}]: ${meanData[i]} vs ${want[i]! / 12}`);
  tf.dispose([x, sum, mean]);
});

test('wasm Mean and Sum leave no tensors or backend buffers behind', async () => {
  await useBackend('wasm');
  const x = tf.tensor4d(values(2 * 8 * 8 * 4, 3), [2, 8, 8, 4]);
  assertNoLeaks(() => {
    tf.tidy(() => {
      tf.mean(x, [1, 2], true);
      tf.sum(x, [0, 1, 2]);
      tf.moments(x, [1, 2], true);
    });
  });
  x.dispose();
});

test.run();
