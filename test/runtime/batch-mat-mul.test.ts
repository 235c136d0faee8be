/**
 * The WASM `BatchMatMul` replacement (src/runtime/kernels/batch-mat-mul.ts):
 * every transposeA/transposeB combination, with batch broadcasting, against a
 * plain-loop float64 product, plus equality with the stock kernel and flat
 * tensor counts; and a^T b over a long shared axis (Gram matrices) on the
 * blocked kernel (wasm/src/gram.c), against float64.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GRAM_MIN_SHARED, makeBatchMatMulConfig } from '../../src/runtime/kernels/batch-mat-mul.js';
import { stockKernel } from '../../src/runtime/kernels/register-kernels.js';
import { useBackend } from '../helpers/backends.js';
import { assertNoLeaks } from '../helpers/leaks.js';
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

test('a batch of equal-shaped pairs runs one matrix at a time: each equals the stock kernel on that pair alone, every transpose combination', async () => {
  await useBackend('wasm');
  const stock = stockKernel('wasm', tf.BatchMatMul)!;
  const backend = tf.backend();
  const [m, k, n] = [6, 9, 4];
  // [3] and [2, 2] batch axes: the rank-4 case checks that the batch axes, not only the first, are walked.
  for (const dims of [[3], [2, 2]]) {
    const count = dims.reduce((x, y) => x * y, 1);
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const aShape = [...dims, ...(tA ? [k, m] : [m, k])];
      const bShape = [...dims, ...(tB ? [n, k] : [k, n])];
      const av = lcgValues(count * m * k, 7);
      const bv = lcgValues(count * k * n, 8);
      const a = tf.tensor(av, aShape);
      const b = tf.tensor(bv, bShape);
      const before = tf.memory();
      const got = tf.matMul(a, b, tA, tB);
      assert.equal(got.shape, [...dims, m, n]);
      const data = await got.data();
      got.dispose();
      assert.is(tf.memory().numTensors, before.numTensors, 'no tensor leaks');
      assert.is(tf.memory().numBytes, before.numBytes, 'no bytes left behind');
      for (let t = 0; t < count; t++) {
        const aOne = av.subarray(t * m * k, (t + 1) * m * k);
        const bOne = bv.subarray(t * k * n, (t + 1) * k * n);
        const expected = reference(aOne, [1, ...aShape.slice(-2)], bOne, [1, ...bShape.slice(-2)], tA, tB);
        const one = tf.tidy(() => [tf.tensor3d(aOne, [1, ...aShape.slice(-2)] as [number, number, number]), tf.tensor3d(bOne, [1, ...bShape.slice(-2)] as [number, number, number])]);
        const info = stock.kernelFunc({ inputs: { a: one[0]!, b: one[1]! }, backend, attrs: { transposeA: tA, transposeB: tB } }) as tf.TensorInfo;
        const alone = backend.readSync(info.dataId) as Float32Array;
        backend.disposeData(info.dataId);
        tf.dispose(one);
        for (let i = 0; i < m * n; i++) {
          const value = data[t * m * n + i]!;
          assert.ok(Math.abs(value - expected[i]!) <= 1e-5 * (1 + Math.abs(expected[i]!)), `${dims} tA=${tA} tB=${tB} matrix ${t} [${i}]: ${value} vs ${expected[i]}`);
          if (!tA && !tB && value !== alone[i]) assert.unreachable(`${dims} matrix ${t} [${i}]: ${value} in the batch, ${alone[i]} alone`);
        }
      }
      // The route: the stock kernel is called once per matrix, with batch-1 operands.
      const shapes: number[][] = [];
      const spied = makeBatchMatMulConfig({ ...stock, kernelFunc: (args) => (shapes.push([...(args.inputs['a'] as tf.TensorInfo).shape]), stock.kernelFunc(args)) });
      const routed = spied.kernelFunc({ inputs: { a, b }, backend, attrs: { transposeA: tA, transposeB: tB } }) as tf.TensorInfo;
      assert.equal(backend.readSync(routed.dataId), data);
      backend.disposeData(routed.dataId);
      assert.equal(shapes, Array.from({ length: count }, () => [1, m, k]));
      tf.dispose([a, b]);
    }
  }
});

test('a^T b over a long shared axis (Gram matrices) runs blocked, float64 across blocks: partial blocks, odd rows, batch 2', async () => {
  await useBackend('wasm');
  // k = 3 blocks of 256 plus 37; m = 13 rows (two 6-row micro-tiles and one left over); n = 16 (two 8-column panels).
  const [k, m, n] = [3 * 256 + 37, 13, 16];
  assert.ok(k >= GRAM_MIN_SHARED);
  const av = lcgValues(2 * k * m, 3, 99, 101); // an offset makes accumulation errors visible
  const bv = lcgValues(2 * k * n, 4);
  const a = tf.tensor3d(av, [2, k, m]);
  const b = tf.tensor3d(bv, [2, k, n]);
  const got = tf.matMul(a, b, true, false);
  const data = got.dataSync();
  const expected = reference(av.subarray(0, k * m), [1, k, m], bv.subarray(0, k * n), [1, k, n], true, false)
    .concat(reference(av.subarray(k * m), [1, k, m], bv.subarray(k * n), [1, k, n], true, false));
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(data[i]! - expected[i]!) <= 1e-6 * scale, `[${i}]: ${data[i]} vs ${expected[i]}`);
  tf.dispose([a, b, got]);
});

test('a Gram matrix over 65536 pixels is exact to float32 rounding; one float32 accumulator per entry (the stock product) is not', async () => {
  await useBackend('wasm');
  const [k, c] = [65536, 64];
  // Post-ReLU-like features: non-negative, so nothing cancels and every rounding adds up.
  const fv = lcgValues(k * c, 5, -0.5, 1).map((v) => Math.max(0, v));
  const f = tf.tensor3d(fv, [1, k, c]);
  const rows = [0, 31, 63];
  const want = new Float64Array(rows.length * c);
  for (let p = 0; p < k; p++) {
    rows.forEach((i, r) => {
      const v = fv[p * c + i]!;
      if (v !== 0) for (let j = 0; j < c; j++) want[r * c + j] += v * fv[p * c + j]!;
    });
  }
  const error = (out: ArrayLike<number>): number => {
    let diff = 0;
    let scale = 0;
    rows.forEach((i, r) => {
      for (let j = 0; j < c; j++) {
        diff = Math.max(diff, Math.abs(out[i * c + j]! - want[r * c + j]!));
        scale = Math.max(scale, want[r * c + j]!);
      }
    });
    return diff / scale;
  };
  const gram = tf.matMul(f, f, true, false);
  const ours = error(gram.dataSync());
  assert.ok(ours < 3e-7, `relative error ${ours}`);
  const backend = tf.backend();
  const ft = tf.transpose(f, [0, 2, 1]);
  const info = stockKernel('wasm', tf.BatchMatMul)!.kernelFunc({ inputs: { a: ft, b: f }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
  const stock = error(backend.readSync(info.dataId) as Float32Array);
  backend.disposeData(info.dataId);
  assert.ok(stock > 10 * ours, `stock product: relative error ${stock} against ${ours}`);
  tf.dispose([f, ft, gram]);
});

test('calls the blocked kernel does not take (n % 8 != 0, a broadcast batch) keep the transposed stock product', async () => {
  await useBackend('wasm');
  const stock = stockKernel('wasm', tf.BatchMatMul)!;
  const backend = tf.backend();
  for (const [aShape, bShape] of [[[1, 600, 5], [1, 600, 12]], [[1, 600, 5], [2, 600, 16]]] as const) {
    const a = tf.tensor3d(lcgValues(aShape[0] * 600 * 5, 6), [...aShape]);
    const b = tf.tensor3d(lcgValues(bShape[0] * 600 * bShape[2], 7), [...bShape]);
    const got = tf.matMul(a, b, true, false);
    const at = tf.transpose(a, [0, 2, 1]);
    const info = stock.kernelFunc({ inputs: { a: at, b }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
    assert.equal(Array.from(got.dataSync()), Array.from(backend.readSync(info.dataId) as Float32Array), JSON.stringify({ aShape, bShape }));
    backend.disposeData(info.dataId);
    tf.dispose([a, b, got, at]);
  }
});

test('the blocked product leaves no tensors or backend buffers behind', async () => {
  await useBackend('wasm');
  const f = tf.tensor3d(lcgValues(600 * 8, 8), [1, 600, 8]);
  assertNoLeaks(() => tf.dispose(tf.matMul(f, f, true, false)));
  f.dispose();
});

test.run();
