/**
 * The WASM `BatchMatMul` replacement (src/runtime/kernels/batch-mat-mul.ts):
 * every transposeA/transposeB combination, with batch broadcasting, against a
 * plain-loop float64 product, plus equality with the stock kernel and flat
 * tensor counts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stockKernel } from '../../src/runtime/kernels/register-kernels.js';
import { useBackend } from '../helpers/backends.js';
import { lcgValues } from '../networks/layers-reference.js';

/** a: [ba, ...], b: [bb, ...] with ba or bb 1 (broadcast); returns [batch, m, n] in float64. */
function reference(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], tA: boolean, tB: boolean): number[] {
  const [ba, a1, a2] = aShape as [number, number, number];
  const [bb, b1, b2] = bShape as [number, number, number];
  const m = tA ? a2 : a1;
  const k = tA ? a1 : a2;
  const n = tB ? b1 : b2;
  const batch = Math.max(ba, bb);
  const out: number[] = [];
  for (let t = 0; t < batch; t++) {
    const ao = (ba === 1 ? 0 : t) * a1 * a2;
    const bo = (bb === 1 ? 0 : t) * b1 * b2;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = tA ? a[ao + p * a2 + i]! : a[ao + i * a2 + p]!;
          const bv = tB ? b[bo + j * b2 + p]! : b[bo + p * b2 + j]!;
          sum += av * bv;
        }
        out.push(sum);
      }
    }
  }
  return out;
}

test('wasm BatchMatMul matches a float64 loop and the stock kernel for every transpose combination', async () => {
  await useBackend('wasm');
  const m = 5;
  const k = 7;
  const n = 3;
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const aShape = tA ? [2, k, m] : [2, m, k];
    const bShape = tB ? [1, n, k] : [1, k, n];
    const av = lcgValues(2 * m * k, 1);
    const bv = lcgValues(n * k, 2);
    const a = tf.tensor3d(av, aShape as [number, number, number]);
    const b = tf.tensor3d(bv, bShape as [number, number, number]);
    const before = tf.memory().numTensors;
    const got = tf.matMul(a, b, tA, tB);
    assert.equal(got.shape, [2, m, n]);
    const data = await got.data();
    const expected = reference(av, aShape, bv, bShape, tA, tB);
    for (let i = 0; i < expected.length; i++) {
      assert.ok(Math.abs(data[i]! - expected[i]!) <= 1e-5 * (1 + Math.abs(expected[i]!)), `tA=${tA} tB=${tB} [${i}]: ${data[i]} vs ${expected[i]}`);
    }
    const stock = stockKernel('wasm', tf.BatchMatMul);
    assert.ok(stock, 'the stock wasm BatchMatMul was replaced');
    const backend = tf.backend();
    const info = stock!.kernelFunc({ inputs: { a, b }, backend, attrs: { transposeA: tA, transposeB: tB } }) as tf.TensorInfo;
    const stockData = backend.readSync(info.dataId) as Float32Array;
    backend.disposeData(info.dataId);
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(data[i]! - stockData[i]!) <= 1e-6, `stock [${i}]`);
    got.dispose();
    assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    tf.dispose([a, b]);
  }
});

test.run();
