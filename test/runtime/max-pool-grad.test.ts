/**
 * The WASM `MaxPoolGrad` (src/runtime/kernels/max-pool-grad.ts,
 * wasm/src/max-pool-grad.c): each output's gradient goes to the first maximum
 * of its window in row-major order. Checked against a plain loop written from
 * that rule, on inputs full of ties (small integers) and without ties, for
 * 'valid' and 'same' padding, overlapping windows (gradients add up), odd
 * sizes, batch 2, and channel counts that take the SIMD lanes, the scalar
 * tail and both; the CPU backend follows the same rule, and the stock wasm
 * kernel, which breaks ties otherwise, is shown to differ.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stockKernel } from '../../src/runtime/kernels/register-kernels.js';
import { useBackend } from '../helpers/backends.js';
import { assertNoLeaks } from '../helpers/leaks.js';
import { lcgValues } from '../networks/layers-reference.js';

type Shape4 = [number, number, number, number];

/** dx of sum(maxPool(x) * dy), each window's gradient to its first maximum (strictly greater than all before it). */
function reference(x: Float32Array, xs: Shape4, dy: Float32Array, k: number, stride: number, pad: 'valid' | 'same'): Float64Array {
  const [b, h, w, c] = xs;
  const oh = pad === 'same' ? Math.ceil(h / stride) : Math.floor((h - k) / stride) + 1;
  const ow = pad === 'same' ? Math.ceil(w / stride) : Math.floor((w - k) / stride) + 1;
  const top = pad === 'same' ? Math.floor(Math.max((oh - 1) * stride + k - h, 0) / 2) : 0;
  const left = pad === 'same' ? Math.floor(Math.max((ow - 1) * stride + k - w, 0) / 2) : 0;
  const dx = new Float64Array(x.length);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let p = 0; p < k; p++)
            for (let q = 0; q < k; q++) {
              const r = i * stride - top + p;
              const s = j * stride - left + q;
              if (r < 0 || r >= h || s < 0 || s >= w) continue;
              const index = ((n * h + r) * w + s) * c + ch;
              if (x[index]! > best) {
                best = x[index]!;
                at = index;
              }
            }
          if (at >= 0) dx[at] += dy[((n * oh + i) * ow + j) * c + ch]!;
        }
  return dx;
}

const CASES: ReadonlyArray<readonly [Shape4, number, number, 'valid' | 'same']> = [
  [[1, 8, 8, 4], 2, 2, 'valid'],
  [[2, 9, 7, 3], 2, 2, 'same'], // odd sizes: windows cut by the border; 3 channels: the scalar tail only
  [[1, 10, 11, 6], 3, 1, 'same'], // overlapping windows; 6 channels: SIMD lanes and a tail
  [[1, 11, 9, 8], 3, 2, 'same'],
  [[1, 12, 12, 16], 2, 2, 'same'],
];

function gradient(x: tf.Tensor4D, k: number, stride: number, pad: 'valid' | 'same', dy: Float32Array): Float32Array {
  const g = tf.tidy(() =>
    tf.grad((v: tf.Tensor) => {
      const y = tf.maxPool(v as tf.Tensor4D, k, stride, pad);
      return tf.sum(tf.mul(y, tf.tensor(dy, y.shape)));
    })(x),
  );
  const data = g.dataSync() as Float32Array;
  g.dispose();
  return data;
}

for (const ties of [true, false]) {
  test(`wasm and cpu send max-pool gradients to the first maximum (${ties ? 'inputs full of ties' : 'distinct inputs'})`, async () => {
    for (const [xs, k, stride, pad] of CASES) {
      await useBackend('cpu');
      const size = xs.reduce((p, d) => p * d, 1);
      const raw = lcgValues(size, size + k, -3, 3);
      const xData = ties ? raw.map(Math.floor) : raw;
      const probe = tf.maxPool(tf.zeros(xs) as tf.Tensor4D, k, stride, pad);
      const dy = lcgValues(probe.size, 7, 0.5, 1.5);
      const want = reference(xData, xs, dy, k, stride, pad);
      probe.dispose();
      for (const backend of ['wasm', 'cpu'] as const) {
        await useBackend(backend);
        const x = tf.tensor4d(xData, xs);
        const got = gradient(x, k, stride, pad, dy);
        x.dispose();
        const label = `${backend} ${JSON.stringify({ xs, k, stride, pad })}`;
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-6 * (1 + Math.abs(want[i]!)), `${label} [${i}]: ${got[i]} vs ${want[i]}`);
      }
    }
  });
}

test('the stock wasm kernel breaks ties otherwise (why this kernel exists)', async () => {
  await useBackend('wasm');
  const xs: Shape4 = [1, 4, 4, 4];
  const x = tf.tensor4d(new Float32Array(64).fill(1), xs); // every window is one big tie
  const dy = tf.ones([1, 2, 2, 4]);
  const y = tf.maxPool(x, 2, 2, 'valid');
  const info = stockKernel('wasm', tf.MaxPoolGrad)!.kernelFunc({ inputs: { dy, input: x, output: y }, backend: tf.backend(), attrs: { filterSize: 2, strides: 2, pad: 'valid' } }) as tf.TensorInfo;
  const stock = tf.engine().makeTensorFromTensorInfo(info);
  const ours = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid')))(x));
  const want = reference(x.dataSync() as Float32Array, xs, dy.dataSync() as Float32Array, 2, 2, 'valid');
  assert.equal(Array.from(ours.dataSync()), Array.from(want));
  assert.not.equal(Array.from(stock.dataSync()), Array.from(want));
  tf.dispose([x, dy, y, stock, ours]);
});

test('no tensors or backend buffers are left behind', async () => {
  await useBackend('wasm');
  const x = tf.tensor4d(lcgValues(2 * 8 * 8 * 4, 3), [2, 8, 8, 4]);
  assertNoLeaks(() => tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'same')))(x)));
  x.dispose();
});

test.run();
