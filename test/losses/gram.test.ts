import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { gramMatrix } from '../../src/losses/index.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { assertAllClose, assertNoLeak, numericGradient, randomNd, refGram, tfGradient, toTensor4d } from './reference.js';

for (const backend of TEST_BACKENDS) {
  const test = suite(`gramMatrix [${backend}]`);
  test.before(() => useBackend(backend));

  test('closed form: pixels (1,2) and (3,4) give [[10,14],[14,20]] / (C H W = 4)', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
    const g = gramMatrix(x);
    assert.equal(g.shape, [1, 2, 2]);
    assertAllClose(g.dataSync(), [2.5, 3.5, 3.5, 5], 0, 1e-6, 'gram');
    tf.dispose([x, g]);
  });

  test('matches the loop reference per image of a batch (B=2, 3x4, C=5)', () => {
    const x = randomNd([2, 3, 4, 5], 1);
    const t = toTensor4d(x);
    const g = gramMatrix(t);
    assert.equal(g.shape, [2, 5, 5]);
    assertAllClose(g.dataSync(), refGram(x).data, 1e-5, 1e-6, 'gram');
    tf.dispose([t, g]);
  });

  test('gradient of sum(G * R) matches central differences of the reference', () => {
    const x = randomNd([2, 2, 3, 3], 2);
    const r = randomNd([2, 3, 3], 3);
    const rTensor = tf.tensor3d(Float32Array.from(r.data), [2, 3, 3]);
    const analytic = tfGradient((t) => tf.sum(tf.mul(gramMatrix(t), rTensor)), x);
    const numeric = numericGradient((y) => refGram(y).data.reduce((s, v, i) => s + v * r.data[i]!, 0), x);
    assertAllClose(analytic, numeric, 1e-4, 1e-5, 'dG');
    rTensor.dispose();
  });

  test('rejects a rank-3 input with a shape error', () => {
    const x = tf.zeros([2, 2, 3]) as unknown as tf.Tensor4D;
    assert.throws(() => gramMatrix(x), /Argument 'features' passed to 'gramMatrix' must be rank 4 NHWC, got shape \[2,2,3\]/);
    x.dispose();
  });

  test('leaves no tensor behind', () => {
    const x = toTensor4d(randomNd([1, 2, 2, 3], 4));
    assertNoLeak(() => gramMatrix(x).dispose(), 'gramMatrix');
    x.dispose();
  });

  test.run();
}
