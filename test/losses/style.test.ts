import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { gramMatrix, styleLoss, styleLossOverLayers } from '../../src/losses/index.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import {
  assertAllClose, assertNoLeak, numericGradient, randomNd, refGram, refStyle, take, tfGradient, toTensor3d, toTensor4d,
} from './reference.js';

for (const backend of TEST_BACKENDS) {
  const test = suite(`styleLoss [${backend}]`);
  test.before(() => useBackend(backend));

  test('closed form: SUM (not mean) over C x C, averaged over the batch, target broadcast', () => {
    // Image 0 has Gram [[2.5,3.5],[3.5,5]] (see gram test); image 1 is zero. Target: zeros [1,2,2].
    const x = tf.tensor4d([1, 2, 3, 4, 0, 0, 0, 0], [2, 1, 2, 2]);
    const target = tf.zeros([1, 2, 2]) as tf.Tensor3D;
    // (2.5^2 + 2 * 3.5^2 + 5^2 + 0) / 2 = 55.75 / 2
    assert.ok(Math.abs(take(styleLoss(x, target)) - 27.875) < 1e-5);
    tf.dispose([x, target]);
  });

  test('matches the loop reference with a batch-1 target and with a per-image target', () => {
    const x = randomNd([3, 3, 2, 4], 10);
    const t1 = refGram(randomNd([1, 3, 2, 4], 11));
    const t3 = refGram(randomNd([3, 3, 2, 4], 12));
    const xt = toTensor4d(x);
    for (const target of [t1, t3]) {
      const gt = toTensor3d(target);
      assertAllClose([take(styleLoss(xt, gt))], [refStyle(x, target)], 1e-5, 1e-7, `style target batch ${target.shape[0]}`);
      gt.dispose();
    }
    xt.dispose();
  });

  test('loss of the target features themselves is 0', () => {
    const x = toTensor4d(randomNd([1, 4, 4, 3], 13));
    const g = gramMatrix(x);
    assert.ok(Math.abs(take(styleLoss(x, g))) < 1e-10);
    tf.dispose([x, g]);
  });

  test('gradient matches central differences of the reference', () => {
    const x = randomNd([2, 2, 3, 3], 14);
    const target = refGram(randomNd([1, 2, 3, 3], 15));
    const gt = toTensor3d(target);
    const analytic = tfGradient((t) => styleLoss(t, gt), x);
    const numeric = numericGradient((y) => refStyle(y, target), x);
    // float32 forward + backward through a matmul: a relative 1e-3 covers rounding.
    assertAllClose(analytic, numeric, 1e-3, 1e-6, 'dstyle');
    gt.dispose();
  });

  test('styleLossOverLayers is the weighted sum of the per-layer losses', () => {
    const a = randomNd([2, 4, 4, 2], 16);
    const b = randomNd([2, 2, 2, 3], 17);
    const ga = refGram(randomNd([1, 4, 4, 2], 18));
    const gb = refGram(randomNd([1, 2, 2, 3], 19));
    const features = { a: toTensor4d(a), b: toTensor4d(b) };
    const grams = { a: toTensor3d(ga), b: toTensor3d(gb) };
    const expected = 1 * refStyle(a, ga) + 0.25 * refStyle(b, gb);
    assertAllClose([take(styleLossOverLayers(features, grams, ['a', 'b'], { b: 0.25 }))], [expected], 1e-5, 1e-7, 'sum over layers');
    assert.is(take(styleLossOverLayers(features, grams, [])), 0);
    assert.throws(() => styleLossOverLayers(features, grams, ['a', 'c']), /layers\[1\] must be a key of features \(a, b\) \(received "c"\)/);
    assertNoLeak(() => styleLossOverLayers(features, grams, ['a', 'b']).dispose(), 'styleLossOverLayers');
    tf.dispose([...Object.values(features), ...Object.values(grams)]);
  });

  test('shape errors name the argument and how the target must look', () => {
    const x = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
    const wrongChannels = tf.zeros([1, 4, 4]) as tf.Tensor3D;
    const wrongBatch = tf.zeros([3, 3, 3]) as tf.Tensor3D;
    assert.throws(() => styleLoss(x, wrongChannels), /Argument 'targetGram' passed to 'styleLoss' must be \[1 or 2,3,3\].*got shape \[1,4,4\]/);
    assert.throws(() => styleLoss(x, wrongBatch), /got shape \[3,3,3\]/);
    tf.dispose([x, wrongChannels, wrongBatch]);
  });

  test('leaves no tensor behind', () => {
    const x = toTensor4d(randomNd([2, 2, 2, 3], 20));
    const g = toTensor3d(refGram(randomNd([1, 2, 2, 3], 21)));
    assertNoLeak(() => styleLoss(x, g).dispose(), 'styleLoss');
    tf.dispose([x, g]);
  });

  test.run();
}
