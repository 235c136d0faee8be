/**
 * The WASM `Mean`/`Sum` on perceptual's summation kernel
 * (src/runtime/kernels/reduce-sum.ts, wasm/src/reduce-sum.c): the
 * [outer, reduced, inner] split; every code path of the kernel (one
 * contiguous row with and without a 16-wide remainder and block boundaries,
 * 2-3 columns scalar, 32/16/4-column register blocks and a scalar tail,
 * several outer slices) against float64 loops; and the accuracy of a
 * loss-sized reduction, where the stock kernel's sequential float32 sum is
 * off in the fourth digit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { contiguousAxesPlan } from '../../src/runtime/kernels/reduce-sum.js';
import { stockKernel } from '../../src/runtime/kernels/register-kernels.js';
import { useBackend } from '../helpers/backends.js';
import { assertNoLeaks } from '../helpers/leaks.js';
import { lcgValues } from '../networks/layers-reference.js';

/** Float64 sums of x [outer, reduced, inner] over the middle axis, divided by `divisor`. */
function reference(x: Float32Array, outer: number, reduced: number, inner: number, divisor: number): Float64Array {
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < reduced; r++) {
      for (let i = 0; i < inner; i++) out[o * inner + i] += x[(o * reduced + r) * inner + i]!;
    }
  }
  return out.map((v) => v / divisor);
}

test('contiguousAxesPlan: any contiguous run, innermost and all axes included; split runs decline', () => {
  assert.equal(contiguousAxesPlan([2, 5, 6, 3], [1, 2]), { outer: 2, reduced: 30, inner: 3 });
  assert.equal(contiguousAxesPlan([2, 5, 6, 3], [3]), { outer: 60, reduced: 3, inner: 1 });
  assert.equal(contiguousAxesPlan([2, 5, 6, 3], [-1, -2]), { outer: 10, reduced: 18, inner: 1 });
  assert.equal(contiguousAxesPlan([2, 5, 6, 3], null), { outer: 1, reduced: 180, inner: 1 });
  assert.equal(contiguousAxesPlan([2, 5, 6, 3], [0, 1, 2, 3]), { outer: 1, reduced: 180, inner: 1 });
  assert.equal(contiguousAxesPlan([7], 0), { outer: 1, reduced: 7, inner: 1 });
  assert.is(contiguousAxesPlan([2, 5, 6, 3], [0, 2]), null);
  assert.is(contiguousAxesPlan([2, 5, 6, 3], [1, 3]), null);
});

test('wasm Mean and Sum match float64 loops on every path of the kernel', async () => {
  await useBackend('wasm');
  // [shape, axes]: inner 1 (contiguous rows: under 16, a 16-multiple, more than one
  // 1024-value block plus a remainder), inner 2 and 3 (scalar columns), inner 4 and 6
  // (SIMD columns, with a 2-column tail), inner 53 (32, 16 and 4 columns in registers,
  // then one), reductions longer than one 64-row block, outer > 1.
  const cases: ReadonlyArray<readonly [number[], number[] | null]> = [
    [[7], [0]],
    [[3, 32], [1]],
    [[2, 2 * 1024 + 37], [1]],
    [[1, 45, 47, 3], null],
    [[3, 130, 2], [1]],
    [[2, 9, 15, 3], [1, 2]],
    [[1, 150, 4], [0, 1]],
    [[2, 67, 6], [1]],
    [[2, 70, 53], [1]],
    [[2, 5, 6, 3], [3]],
    [[2, 1, 6, 3], [1]],
  ];
  for (const [shape, axes] of cases) {
    const size = shape.reduce((p, d) => p * d, 1);
    const plan = contiguousAxesPlan(shape, axes)!;
    // An offset of 100 makes cancellation visible: a sloppy accumulation would miss the bound.
    const data = lcgValues(size, size + shape.length, 99, 101);
    const x = tf.tensor(data, shape);
    for (const kernel of [tf.Mean, tf.Sum]) {
      const want = reference(data, plan.outer, plan.reduced, plan.inner, kernel === tf.Mean ? plan.reduced : 1);
      const got = kernel === tf.Mean ? tf.mean(x, axes ?? undefined) : tf.sum(x, axes ?? undefined);
      const gotData = got.dataSync();
      assert.is(gotData.length, want.length);
      for (let i = 0; i < want.length; i++) {
        // Float32 sums of at most 64 values per lane, in float64 across blocks: a few ulp.
        const bound = 3e-7 * Math.abs(want[i]!);
        assert.ok(Math.abs(gotData[i]! - want[i]!) <= bound, `${kernel} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)} [${i}]: ${gotData[i]} vs ${want[i]}`);
      }
      got.dispose();
    }
    x.dispose();
  }
});

test('a loss-sized Mean (a million squared differences) is exact to float32 rounding; the stock kernel is not', async () => {
  await useBackend('wasm');
  const n = 1 << 20;
  const diff = lcgValues(n, 5, -1, 1);
  const squares = Float32Array.from(diff, (v) => v * v);
  let sum = 0;
  for (const v of squares) sum += v;
  const want = sum / n;
  const x = tf.tensor4d(squares, [1, 128, 128, 64]);
  const got = tf.mean(x);
  const error = Math.abs(got.dataSync()[0]! - want) / want;
  assert.ok(error < 1e-7, `relative error ${error}`);
  const backend = tf.backend();
  const info = stockKernel('wasm', tf.Mean)!.kernelFunc({ inputs: { x }, backend, attrs: { axis: [0, 1, 2, 3], keepDims: false } }) as tf.TensorInfo;
  const stockError = Math.abs((backend.readSync(info.dataId) as Float32Array)[0]! - want) / want;
  backend.disposeData(info.dataId);
  // What this kernel is for (measured 7e-5 for this case); if a later tfjs-backend-wasm sums
  // accurately, this replacement can go.
  assert.ok(stockError > 10 * error, `stock relative error ${stockError} against ${error}`);
  tf.dispose([x, got]);
});

test('no tensors or backend buffers are left behind', async () => {
  await useBackend('wasm');
  const x = tf.tensor4d(lcgValues(2 * 8 * 8 * 6, 3), [2, 8, 8, 6]);
  assertNoLeaks(() => {
    tf.tidy(() => {
      tf.mean(x);
      tf.sum(x, [1, 2]);
      tf.sum(x, -1, true);
    });
  });
  x.dispose();
});

test.run();
