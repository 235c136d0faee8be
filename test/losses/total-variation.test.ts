import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { totalVariationLoss } from '../../src/losses/index.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { assertAllClose, assertNoLeak, numericGradient, randomNd, refTv, take, tfGradient, toTensor4d } from './reference.js';

for (const backend of TEST_BACKENDS) {
  const test = suite(`totalVariationLoss [${backend}]`);
  test.before(() => useBackend(backend));

  // [[0, 1], [3, 7]]: horizontal differences 1, 4; vertical 3, 6; C H W = 4.
  const image = (): tf.Tensor4D => tf.tensor4d([0, 1, 3, 7], [1, 2, 2, 1]);

  test('closed form p = 2 (default) and p = 1', () => {
    const x = image();
    assert.ok(Math.abs(take(totalVariationLoss(x)) - (1 + 16 + 9 + 36) / 4) < 1e-6);
    assert.ok(Math.abs(take(totalVariationLoss(x, { power: 2 })) - 15.5) < 1e-6);
    assert.ok(Math.abs(take(totalVariationLoss(x, { power: 1 })) - (1 + 4 + 3 + 6) / 4) < 1e-6);
    x.dispose();
  });

  test('closed form with a mask: only pairs with both pixels in the mask count, still / (C H W)', () => {
    const x = image();
    // Mask [[1, 1], [0, 1]]: the top pair (difference 1) and the right column (difference 6) remain.
    const mask = tf.tensor4d([1, 1, 0, 1], [1, 2, 2, 1]);
    assert.ok(Math.abs(take(totalVariationLoss(x, { mask })) - (1 + 36) / 4) < 1e-6);
    assert.ok(Math.abs(take(totalVariationLoss(x, { power: 1, mask })) - (1 + 6) / 4) < 1e-6);
    tf.dispose([x, mask]);
  });

  test('averaged over the batch; a 1 x 1 image has none', () => {
    const x = tf.tensor4d([0, 1, 3, 7, 5, 5, 5, 5], [2, 2, 2, 1]);
    assert.ok(Math.abs(take(totalVariationLoss(x)) - 15.5 / 2) < 1e-6);
    const single = tf.ones([2, 1, 1, 3]) as tf.Tensor4D;
    assert.is(take(totalVariationLoss(single)), 0);
    tf.dispose([x, single]);
  });

  test('matches the loop reference: p in {1, 2}, no mask, batch-1 mask, per-image mask, 1-row image', () => {
    const x = randomNd([2, 4, 5, 3], 40, 0, 1);
    const xt = toTensor4d(x);
    const binary = (shape: number[], seed: number) => {
      const m = randomNd(shape, seed, 0, 1);
      return { shape, data: m.data.map((v) => (v < 0.6 ? 1 : 0)) };
    };
    const masks = [undefined, binary([1, 4, 5, 1], 41), binary([2, 4, 5, 1], 42)];
    for (const power of [1, 2] as const) {
      for (const mask of masks) {
        const mt = mask && toTensor4d(mask);
        const value = take(totalVariationLoss(xt, mt ? { power, mask: mt } : { power }));
        assertAllClose([value], [refTv(x, power, mask)], 1e-5, 1e-7, `p=${power} mask=${mask?.shape[0]}`);
        mt?.dispose();
      }
    }
    const row = randomNd([1, 1, 6, 2], 43);
    const rowT = toTensor4d(row);
    assertAllClose([take(totalVariationLoss(rowT))], [refTv(row, 2)], 1e-5, 1e-7, '1-row');
    tf.dispose([xt, rowT]);
  });

  test('gradients match central differences of the reference (p = 2, p = 1, masked)', () => {
    // Random values: no difference is within eps of 0, where |d| has its kink.
    const x = randomNd([2, 3, 3, 2], 44);
    const maskNd = { shape: [1, 3, 3, 1], data: Float64Array.from([1, 1, 0, 1, 1, 1, 0, 1, 1]) };
    const mask = toTensor4d(maskNd);
    for (const power of [1, 2] as const) {
      for (const m of [undefined, mask]) {
        const analytic = tfGradient((t) => totalVariationLoss(t, { power, mask: m }), x);
        const numeric = numericGradient((y) => refTv(y, power, m ? maskNd : undefined), x);
        assertAllClose(analytic, numeric, 1e-4, 1e-6, `p=${power} masked=${m !== undefined}`);
      }
    }
    mask.dispose();
  });

  test('bad options and shapes throw E_OPTIONS / shape errors with the fix', () => {
    const x = image();
    const badMask = tf.ones([1, 2, 3, 1]) as tf.Tensor4D;
    assert.throws(() => totalVariationLoss(x, { power: 3 as 2 }), (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'E_OPTIONS' && /options\.power must be one of 1, 2 \(received 3\)/.test(e.message));
    assert.throws(() => totalVariationLoss(x, { mask: badMask }), /Argument 'mask' passed to 'totalVariationLoss' must be \[1,2,2,1\] to match 'images', got shape \[1,2,3,1\]/);
    assert.throws(() => totalVariationLoss(x, { mask: [1] as unknown as tf.Tensor4D }), /options\.mask must be a Tensor4D/);
    tf.dispose([x, badMask]);
  });

  test('leaves no tensor behind', () => {
    const x = toTensor4d(randomNd([1, 3, 3, 2], 45));
    const mask = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
    assertNoLeak(() => totalVariationLoss(x, { power: 1, mask }).dispose(), 'totalVariationLoss');
    tf.dispose([x, mask]);
  });

  test.run();
}
