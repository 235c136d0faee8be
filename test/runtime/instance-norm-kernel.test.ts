/**
 * The fused inference instance norm (src/runtime/kernels/instance-norm.ts,
 * wasm/src/instance-norm.c) against a float64 plain-loop instance norm: own
 * statistics per image (batch 2), given statistics, ReLU, a large mean (the
 * two-pass variance); the lean execution's norm equals the differentiable
 * execution's on every backend; no tensors or heap blocks left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { differentiableExecution, leanExecution } from '../../src/networks/execution.js';
import { INSTANCE_NORM_KERNEL } from '../../src/runtime/kernel-names.js';
import { instanceNormKernelUsable } from '../../src/runtime/kernels/instance-norm.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { instanceNormBatchRef } from '../networks/layers-reference.js';
import { relativeError, seeded } from './conv-reference.js';

function runKernel(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, relu: boolean, stats?: { mean: tf.Tensor1D; variance: tf.Tensor1D }): tf.Tensor4D {
  return tf.engine().runKernel(INSTANCE_NORM_KERNEL, { x, gamma, beta, ...(stats ?? {}) }, { epsilon: eps, relu } as never) as tf.Tensor4D;
}

test('wasm: the fused kernel equals a float64 instance norm (own and given statistics, ReLU, large mean)', async () => {
  await useBackend('wasm');
  assert.ok(instanceNormKernelUsable(8));
  assert.not.ok(instanceNormKernelUsable(6), 'channel counts not divisible by 4 use tfjs ops');
  const cases: [[number, number, number, number], number][] = [[[2, 9, 13, 8], 0], [[1, 70, 3, 4], 500]];
  for (const [shape, offset] of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = seeded(size, 3).map((v) => v * 2 + offset);
    const c = shape[3];
    const gamma = seeded(c, 4).map((v) => v + 1.5);
    const beta = seeded(c, 5);
    const x = tf.tensor4d(data, [...shape]);
    const [g, bt] = [tf.tensor1d(gamma), tf.tensor1d(beta)];
    for (const relu of [false, true]) {
      for (const eps of [1e-5, 1e-3]) {
        const y = runKernel(x, g, bt, eps, relu);
        const error = relativeError(y.dataSync(), instanceNormBatchRef(data, shape, gamma, beta, eps, relu));
        assert.ok(error < 2e-5, `own stats ${JSON.stringify({ shape, offset, relu, eps })}: ${error}`);
        y.dispose();
      }
      const given = { mean: seeded(c, 6).map((v) => v + offset), variance: seeded(c, 7).map((v) => v * v + 0.5) };
      const stats = { mean: tf.tensor1d(given.mean), variance: tf.tensor1d(given.variance) };
      const y = runKernel(x, g, bt, 1e-5, relu, stats);
      const error = relativeError(y.dataSync(), instanceNormBatchRef(data, shape, gamma, beta, 1e-5, relu, given));
      assert.ok(error < 2e-5, `given stats ${JSON.stringify({ shape, relu })}: ${error}`);
      tf.dispose([y, stats.mean, stats.variance]);
    }
    tf.dispose([x, g, bt]);
  }
});

for (const backend of TEST_BACKENDS) {
  test(`${backend}: the lean execution's norm (inference) equals the differentiable path, with and without ReLU`, async () => {
    await useBackend(backend);
    for (const c of [8, 6]) {
      const x = tf.tensor4d(seeded(2 * 5 * 7 * c, 11).map((v) => 3 * v + 1), [2, 5, 7, c]);
      const gamma = tf.tensor1d(seeded(c, 12));
      const beta = tf.tensor1d(seeded(c, 13));
      for (const relu of [false, true]) {
        const before = tf.memory().numTensors;
        const ids = tf.backend().numDataIds();
        const fast = leanExecution.norm(x, { name: 'n', gamma, beta, epsilon: 1e-5 }, relu);
        const plain = differentiableExecution.norm(x, { name: 'n', gamma, beta, epsilon: 1e-5 }, relu);
        assert.ok(relativeError(fast.dataSync(), plain.dataSync()) < 2e-5, `${backend} C=${c} relu=${relu}`);
        tf.dispose([fast, plain]);
        assert.is(tf.memory().numTensors, before);
        assert.is(tf.backend().numDataIds(), ids);
      }
      tf.dispose([x, gamma, beta]);
    }
  });
}

test.run();
