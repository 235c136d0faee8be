import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { featureLoss, pixelLoss } from '../../src/losses/index.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { assertAllClose, assertNoLeak, numericGradient, randomNd, refFeature, take, tfGradient, toTensor4d } from './reference.js';

// featureLoss and pixelLoss share SPEC's formula (mean squared error per image, mean over the batch).
const LOSSES = { featureLoss, pixelLoss } as const;

for (const backend of TEST_BACKENDS) {
  for (const [name, loss] of Object.entries(LOSSES)) {
    const test = suite(`${name} [${backend}]`);
    test.before(() => useBackend(backend));

    test('closed form: 1/(CHW) ||x - y||^2, averaged over the batch, target batch 1 broadcast', () => {
      const x = tf.tensor4d([1, 2, 3, 4, 0, 0, 0, 2], [2, 1, 2, 2]);
      const y = tf.zeros([1, 1, 2, 2]) as tf.Tensor4D;
      // image 0: (1 + 4 + 9 + 16) / 4 = 7.5; image 1: 4 / 4 = 1; mean 4.25
      assert.ok(Math.abs(take(loss(x, y)) - 4.25) < 1e-6);
      tf.dispose([x, y]);
    });

    test('matches the loop reference with per-image and broadcast targets', () => {
      const x = randomNd([3, 2, 3, 4], 30);
      const xt = toTensor4d(x);
      for (const target of [randomNd([3, 2, 3, 4], 31), randomNd([1, 2, 3, 4], 32)]) {
        const tt = toTensor4d(target);
        assertAllClose([take(loss(xt, tt))], [refFeature(x, target)], 1e-5, 1e-7, `target batch ${target.shape[0]}`);
        tt.dispose();
      }
      xt.dispose();
    });

    test('gradient matches central differences of the reference', () => {
      const x = randomNd([2, 2, 2, 3], 33);
      const target = randomNd([2, 2, 2, 3], 34);
      const tt = toTensor4d(target);
      const analytic = tfGradient((t) => loss(t, tt), x);
      // d/dx = 2 (x - y) / (B C H W): float32 rounding only.
      assertAllClose(analytic, numericGradient((y) => refFeature(y, target), x), 1e-4, 1e-6, 'grad');
      tt.dispose();
    });

    test('mismatched shapes throw a shape error naming the target', () => {
      const x = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
      const y = tf.zeros([2, 2, 3, 3]) as tf.Tensor4D;
      const z = tf.zeros([3, 2, 2, 3]) as tf.Tensor4D;
      const re = new RegExp(`Argument 'target' passed to '${name}' must be \\[2 or 1,2,2,3\\] to match 'generated'`);
      assert.throws(() => loss(x, y), re);
      assert.throws(() => loss(x, z), re);
      tf.dispose([x, y, z]);
    });

    test('leaves no tensor behind', () => {
      const x = toTensor4d(randomNd([1, 2, 2, 3], 35));
      const y = toTensor4d(randomNd([1, 2, 2, 3], 36));
      assertNoLeak(() => loss(x, y).dispose(), name);
      tf.dispose([x, y]);
    });

    test.run();
  }
}
