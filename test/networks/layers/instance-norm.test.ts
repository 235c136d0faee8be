/**
 * instanceNorm (src/networks/layers/instance-norm.ts), on cpu and wasm:
 * forward against a float64 plain-loop instance norm (including a large-mean
 * input that a one-pass variance would ruin), the `moments` override, and
 * tf.grad with respect to x, gamma and beta against central finite
 * differences of the float64 loop; flat tensor counts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceNorm } from '../../../src/networks/layers/instance-norm.js';
import { TEST_BACKENDS, useBackend } from '../../helpers/backends.js';
import { instanceNormBatchRef, lcgValues } from '../layers-reference.js';

/** Deterministic values in [offset - 1, offset + 1). */
function values(n: number, seed: number, offset = 0): Float32Array {
  return lcgValues(n, seed, offset - 1, offset + 1);
}

for (const backend of TEST_BACKENDS) {
  test(`${backend}: instanceNorm matches a float64 loop, also for a large mean (two-pass variance)`, async () => {
    await useBackend(backend);
    const shape = [2, 5, 6, 3] as const;
    const size = 2 * 5 * 6 * 3;
    const gamma = Float32Array.from([1.5, -0.7, 0.3]);
    const beta = Float32Array.from([0.2, 0, -1]);
    for (const [offset, eps] of [[0, 1e-5], [500, 1e-5], [3, 1e-3]] as const) {
      const data = values(size, 11 + offset, offset);
      const got = tf.tidy(() => instanceNorm(tf.tensor4d(data, [...shape]), tf.tensor1d(gamma), tf.tensor1d(beta), eps).dataSync());
      const want = instanceNormBatchRef(data, shape, gamma, beta, eps);
      // Large mean: float32 x - mean is exact to ~ulp(500) = 3e-5 on a unit-scale spread; a one-pass
      // E[x^2] - E[x]^2 would be off by ~ulp(250000) = 0.016 in a variance of ~0.33.
      const tolerance = offset >= 100 ? 5e-4 : 1e-5;
      for (let i = 0; i < size; i++) {
        assert.ok(Math.abs(got[i]! - want[i]!) <= tolerance * (1 + Math.abs(want[i]!)), `offset ${offset} eps ${eps} [${i}]: ${got[i]} vs ${want[i]}`);
      }
    }
  });

  test(`${backend}: instanceNorm with given moments uses them instead of x's own`, async () => {
    await useBackend(backend);
    const data = values(1 * 2 * 3 * 2, 5);
    const got = tf.tidy(() => {
      const moments = { mean: tf.tensor4d([0.5, -0.25], [1, 1, 1, 2]), variance: tf.tensor4d([4, 0.25], [1, 1, 1, 2]) };
      return instanceNorm(tf.tensor4d(data, [1, 2, 3, 2]), tf.tensor1d([2, 1]), tf.tensor1d([0.1, -0.1]), 0, moments).dataSync();
    });
    for (let i = 0; i < data.length; i++) {
      const want = i % 2 === 0 ? (2 * (data[i]! - 0.5)) / 2 + 0.1 : (data[i]! + 0.25) / 0.5 - 0.1;
      assert.ok(Math.abs(got[i]! - want) <= 1e-6, `[${i}]: ${got[i]} vs ${want}`);
    }
  });

  test(`${backend}: tf.grad of instanceNorm w.r.t. x, gamma and beta matches central finite differences`, async () => {
    await useBackend(backend);
    const shape = [2, 3, 4, 5] as const;
    const size = 2 * 3 * 4 * 5;
    const eps = 1e-5;
    const x = values(size, 21, 0.5);
    const gamma = values(5, 22, 1);
    const beta = values(5, 23);
    const weights = values(size, 24); // loss = sum(weights * instanceNorm(x))
    const loss = (xv: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>): number => {
      const y = instanceNormBatchRef(xv, shape, g, b, eps);
      let s = 0;
      for (let i = 0; i < size; i++) s += weights[i]! * y[i]!;
      return s;
    };
    const numeric = (which: 0 | 1 | 2, length: number): Float64Array => {
      const h = 1e-4;
      const out = new Float64Array(length);
      const args = [Float64Array.from(x), Float64Array.from(gamma), Float64Array.from(beta)] as const;
      for (let i = 0; i < length; i++) {
        const arg = args[which];
        const keep = arg[i]!;
        arg[i] = keep + h;
        const up = loss(...args);
        arg[i] = keep - h;
        const down = loss(...args);
        arg[i] = keep;
        out[i] = (up - down) / (2 * h);
      }
      return out;
    };
    const [dx, dGamma, dBeta] = tf.tidy(() => {
      const w = tf.tensor4d(weights, [...shape]);
      const f = (xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sum(tf.mul(w, instanceNorm(xt as tf.Tensor4D, g, b, eps)));
      const grads = tf.grads(f)([tf.tensor4d(x, [...shape]), tf.tensor1d(gamma), tf.tensor1d(beta)]);
      return grads.map((g) => g.dataSync());
    });
    for (const [name, got, want] of [['x', dx!, numeric(0, size)], ['gamma', dGamma!, numeric(1, 5)], ['beta', dBeta!, numeric(2, 5)]] as const) {
      assert.is(got.length, want.length, name);
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-3 * scale + 1e-5, `d/d${name} [${i}]: ${got[i]} vs ${want[i]} (scale ${scale})`);
      }
    }
  });

  test(`${backend}: instanceNorm and its gradient leave no tensors behind`, async () => {
    await useBackend(backend);
    const x = tf.tensor4d(values(2 * 4 * 4 * 3, 9), [2, 4, 4, 3]);
    const gamma = tf.tensor1d([1, 2, 3]);
    const beta = tf.tensor1d([0, 1, 0]);
    const run = (): void => {
      instanceNorm(x, gamma, beta, 1e-5).dispose();
      tf.dispose(tf.grads((a: tf.Tensor, g: tf.Tensor) => tf.sum(instanceNorm(a as tf.Tensor4D, g, beta, 1e-5)))([x, gamma]));
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    assert.is(tf.memory().numTensors, before);
    tf.dispose([x, gamma, beta]);
  });
}

test.run();
